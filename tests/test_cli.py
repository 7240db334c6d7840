"""The CLI through its entry point: exit codes, one-line errors, outputs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qualcode.cli import main
from tests.conftest import EXAMPLE, ROOT, TINY_CODEBOOK, write

INTERVIEW = ("[00:00:01] Interviewer: How do you book?\r\n\r\n"
             "[00:00:04] P01: I ring at eight and all the appointments are gone: every day.\r\n\r\n"
             "[00:00:09] P01: The budget has been cut again.\r\n")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli_study(tmp_path, capsys):
    cb = write(tmp_path / "cb.yaml", TINY_CODEBOOK)
    code, out, _ = run(capsys, "init", tmp_path / "st", "--codebook", cb)
    assert code == 0 and "3 codes" in out
    return tmp_path / "st"


def test_import_code_segments_report(cli_study, tmp_path, capsys):
    f = write(tmp_path / "int one.txt", INTERVIEW)
    people = write(tmp_path / "p.csv", "participant_id,group,role,site\nP01,service user,Patient,B\n"
                   "INT,interviewer,Interviewer,\n")
    code, out, _ = run(capsys, "import", cli_study, f, "--participants", people)
    assert code == 0 and "imported 1 transcript(s), 3 segments" in out
    code, out, _ = run(capsys, "import", cli_study, f)
    assert code == 0 and "imported 0" in out and "1 unchanged" in out
    code, out, _ = run(capsys, "code", cli_study, "--model", "hash")
    assert code == 0 and "coded 2 segments" in out and "2 newly embedded" in out
    code, out, _ = run(capsys, "code", cli_study, "--model", "hash")
    assert "0 newly embedded (2 from cache)" in out
    code, out, _ = run(capsys, "segments", cli_study)
    rows = json.loads(out)
    source = f.read_bytes().decode("utf-8").replace("\r\n", "\n")
    assert len(rows) == 3
    for row in rows:
        assert source[row["start"]:row["end"]] == row["text"]
        assert {"id", "transcript", "participant", "group", "speaker", "codes", "suggestions"} <= set(row)
    assert rows[1]["participant"] == "P01" and rows[1]["group"] == "service user"
    assert rows[1]["start_time"] == 4.0 and rows[1]["suggestions"][0]["code"] in {"access", "phones"}
    # --floor is honoured: only suggestions at 0.99 or more are stored (here each segment holds a
    # codebook example word for word, so its best code is that sure)
    before = sum(len(r["suggestions"]) for r in rows)
    code, out, _ = run(capsys, "code", cli_study, "--model", "hash", "--floor", "0.99", "--fine-tune", "never")
    assert code == 0 and "fine-tuned" not in out
    high = [s for r in json.loads(run(capsys, "segments", cli_study)[1]) for s in r["suggestions"]]
    assert f"{len(high)} suggestions stored" in out and len(high) <= before
    assert all(s["confidence"] >= 0.99 for s in high)
    run(capsys, "code", cli_study, "--model", "hash")
    code, out, _ = run(capsys, "segments", cli_study, "--format", "csv", "--codeable")
    assert out.splitlines()[0].startswith("id,transcript,participant") and len(out.splitlines()) == 3
    code, out, _ = run(capsys, "report", cli_study, "--out", tmp_path / "r.md", "--threshold", "0.3")
    report = (tmp_path / "r.md").read_text()
    assert code == 0 and "## Theme: Access" in report
    assert re.search(r"\(P01, Patient, site B; machine suggestion, confidence [01]\.\d\d", report)  # only suggestions: marked
    code, out, _ = run(capsys, "codebook", cli_study)
    assert "id: phones" in out


def state(study: Path) -> bytes:
    import sqlite3

    con = sqlite3.connect(study / "study.sqlite")
    dump = "\n".join(con.iterdump()).encode()
    con.close()
    return dump


@pytest.mark.parametrize("bad", ["empty", "binary", "missing"])
def test_bad_file_in_a_batch_changes_nothing(cli_study, tmp_path, capsys, bad):
    good = write(tmp_path / "good.txt", INTERVIEW)
    path = tmp_path / f"bad-{bad}.txt"
    if bad == "empty":
        path.write_bytes(b"")
    elif bad == "binary":
        path.write_bytes(b"\x00\x01\x02PK\x03\x04" * 10)
    before = state(cli_study)
    code, out, err = run(capsys, "import", cli_study, good, path)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and str(path) in err and "expected" in err
    assert state(cli_study) == before


def test_participants_sheet_missing_column(cli_study, tmp_path, capsys):
    sheet = write(tmp_path / "p.csv", "participant_id,group,site\nP1,a,b\n")
    code, _, err = run(capsys, "import", cli_study, write(tmp_path / "a.txt", INTERVIEW), "--participants", sheet)
    assert code == 2 and f"{sheet}:1" in err and "role" in err and err.count("\n") == 1


def test_duplicate_code_id_leaves_no_study(tmp_path, capsys):
    cb = write(tmp_path / "cb.yaml", "codes:\n  - id: a\n    definition: x\n  - id: a\n    definition: y\n")
    code, _, err = run(capsys, "init", tmp_path / "st", "--codebook", cb)
    assert code == 2 and f"{cb}:4" in err and "duplicate" in err
    assert not (tmp_path / "st").exists()


def test_unknown_study_and_wrong_arguments(tmp_path, capsys):
    code, _, err = run(capsys, "segments", tmp_path / "nowhere")
    assert code == 2 and "nowhere" in err and "qualcode init" in err and err.count("\n") == 1
    with pytest.raises(SystemExit) as exit_:
        main(["segments", str(tmp_path), "--format", "xml"])
    assert exit_.value.code == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "near"), [(["reprot"], "report"), (["evaluate", "g.csv", "--strategy", "activ"], "active")])
def test_a_mistyped_command_or_choice_names_the_nearest(argv, near, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and f"did you mean '{near}'?" in err and err.count("\n") == 1


def test_a_choice_far_from_every_other_gets_no_guess(capsys):
    with pytest.raises(SystemExit):
        main(["zzzz"])
    assert "did you mean" not in capsys.readouterr().err


def test_console_script_help_is_fast_and_exits_zero():
    exe = Path(sys.executable).with_name("qualcode")
    result = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "import" in result.stdout and "report" in result.stdout
    probe = subprocess.run([sys.executable, "-X", "importtime", "-c", "import qualcode.cli"],
                           capture_output=True, text=True)
    assert "torch" not in probe.stderr and "sqlalchemy" not in probe.stderr


@pytest.mark.slow
def test_demo_builds_codes_and_reports_with_the_real_model(tmp_path, capsys):
    code, out, err = run(capsys, "demo", tmp_path / "demo", "--no-app")
    assert code == 0, err
    report = (tmp_path / "demo" / "report.md").read_text()
    for theme in ("Pivotal role of the GP", "Performance management and accountability", "Equity"):
        assert f"## Theme: {theme}" in report
    import re

    quotes = re.findall(r"^> “.+” \(([PS]0\d), ([^,]+), site ([ABC])"
                        r"(?:; machine suggestion, confidence 0\.\d\d, not reviewed by anyone)?\)$", report, flags=re.M)
    assert len(quotes) >= 9 and {q[0][0] for q in quotes} == {"P", "S"}
    page = (tmp_path / "demo" / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<h2>Theme: Equity</h2>" in page
    # a second run reuses the study: nothing re-imported, nothing re-embedded
    code, out, _ = run(capsys, "demo", tmp_path / "demo", "--no-app")
    assert "imported 0 transcript(s) (8 unchanged)" in out and "0 newly embedded" in out


def test_example_is_large_enough():
    from qualcode.io.transcripts import read_transcript

    files = sorted((EXAMPLE / "transcripts").iterdir())
    assert len(files) == 8
    for path in files:
        t = read_transcript(path)
        speech = sum(len(turn.text.split()) for turn in t.turns if turn.speaker != "Interviewer")
        assert speech >= 1000, path
        assert sum(len(turn.text.split()) for turn in t.turns) >= 1200
    assert (ROOT / "app" / "streamlit_app.py").exists()


def test_codebook_changes_from_the_command_line(cli_study, capsys):
    code, out, _ = run(capsys, "codebook", cli_study, "--rename", "money", "Funding", "--by", "sup")
    assert code == 0 and "version 2" in out
    code, _, err = run(capsys, "codebook", cli_study, "--merge", "money", "money")
    assert code == 2 and "target" in err and "itself" in err and err.count("\n") == 1
    code, out, _ = run(capsys, "codebook", cli_study, "--split", "money", "budget:Budget", "costs:Costs")
    assert code == 0 and "version 3" in out and "0 segment(s)" in out
    code, _, err = run(capsys, "codebook", cli_study, "--split", "budget", "nocolon")
    assert code == 2 and "NEW_ID:NAME" in err
    code, out, _ = run(capsys, "codebook", cli_study, "--versions")
    assert [line.split()[0] for line in out.splitlines()] == ["1", "2", "3"]
    code, out, _ = run(capsys, "codebook", cli_study, "--version", "2")
    assert "name: Funding" in out and "id: budget" not in out


def test_next_lists_uncoded_segments(cli_study, tmp_path, capsys):
    from qualcode.pipeline import active

    f = write(tmp_path / "i.txt", INTERVIEW)
    run(capsys, "import", cli_study, f)
    run(capsys, "code", cli_study, "--model", "hash")
    rows = json.loads(run(capsys, "segments", cli_study)[1])
    run(capsys, "decide", cli_study, "--segment", rows[1]["id"], "--code", "phones", "--coder", "alice")
    code, out, err = run(capsys, "next", cli_study, "--coder", "alice", "--model", "hash", "--json")
    assert code == 0, err
    picks = json.loads(out)
    assert [p["id"] for p in picks] == [rows[2]["id"]]  # the interviewer and coded segments are not listed
    assert picks[0]["reason"] == "typical"  # one segment coded: typical segments first
    with pytest.raises(SystemExit):
        main(["next", "--help"])
    # the help states the cold start as it is (a literal there: the CLI starts without numpy)
    assert f"until {active.COLD_START} segments are coded" in " ".join(capsys.readouterr().out.split())
    code, out, err = run(capsys, "next", cli_study, "--coder", "alice", "--model", "hash")
    assert code == 0 and "typical of similar segments not coded yet" in out
    with pytest.raises(SystemExit) as exit_:
        main(["next", str(cli_study), "--coder", "alice", "-n", "0"])
    assert exit_.value.code == 2 and "at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("tuned, reused, says", [
    (False, False, "learned from coders' decisions\n"),
    (True, False, "learned from coders' decisions (embedding model fine-tuned on them)\n"),
    (True, True, "(embedding model fine-tuned on them, reused from the last run: same decisions)\n"),
])
def test_code_says_whether_the_model_was_fine_tuned_or_reused(cli_study, capsys, monkeypatch, tmp_path,
                                                               tuned, reused, says):
    import qualcode.workflow
    from qualcode.workflow import CodingReport

    seen = {}

    def fake_code_study(study, embedder, progress=None, **options):  # noqa: ANN001, ANN003
        seen.update(options)
        return CodingReport(3, 2, 1, 0, tuned, reused)

    monkeypatch.setattr(qualcode.workflow, "code_study", fake_code_study)
    code, out, _ = run(capsys, "code", cli_study, "--model", "hash")
    assert code == 0 and out.endswith(says)
    assert seen["fine_tune_cache"] == str(tmp_path / "cache" / "fine-tuned")  # beside the embeddings
