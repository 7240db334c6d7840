"""Every export, not only the reports, is anonymised by default: names from the participants
sheet, speaker labels and a --redact file appear in no file `qualcode export` or
`qualcode segments` writes; --identifiable keeps them and is recorded in the audit log."""

from __future__ import annotations

import zipfile

from qualcode.cli import main
from tests.reports.test_paper_formats import named, xlsx_values


def _qdpx_text(path) -> str:  # noqa: ANN001
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith((".qde", ".txt")))


def test_no_name_in_any_export_and_identifiable_is_audited(paper_study, redact_file, tmp_path, capsys):
    folder, redact = str(paper_study.folder), ["--redact", str(redact_file)]
    texts = {}
    for name in ("project.qdpx", "codings.csv", "codings.xlsx", "segments.csv", "transcripts/"):
        out = tmp_path / name
        command = "segments" if name == "segments.csv" else "export"
        target = str(out) + ("/" if name.endswith("/") else "")  # a folder is named with its slash
        assert main([command, folder, "--out", target, *redact]) == 0, name
        if name.endswith(".qdpx"):
            texts[name] = _qdpx_text(out)
        elif name.endswith(".xlsx"):
            texts[name] = "\n".join(xlsx_values(out.read_bytes()))
        elif name.endswith("/"):
            texts[name] = "\n".join(p.read_text(encoding="utf-8") for p in sorted(out.iterdir()))
        else:
            texts[name] = out.read_text(encoding="utf-8-sig")
    capsys.readouterr()
    for name, text in texts.items():
        assert named(text) == [], name
        assert "[name]" in text, name  # the redact file's phrase
    out = tmp_path / "named.csv"
    assert main(["export", folder, "--out", str(out), "--identifiable"]) == 0
    assert "IDENTIFIABLE" in capsys.readouterr().out
    assert {"Okafor", "Patel"} <= set(named(out.read_text(encoding="utf-8")))
    entry = paper_study.audit_log(limit=1)[0]
    assert entry.action == "export_identifiable" and entry.after["identifiable"] is True
    assert main(["segments", folder, "--redact", str(redact_file), "--identifiable"]) == 2
    assert "expected one of them" in capsys.readouterr().err
