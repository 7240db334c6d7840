"""Tables for pandas and R, Taguette's codebook CSV and transcripts, segments --out."""

from __future__ import annotations

import csv
import io
import json

import pytest

from qualcode.cli import main
from qualcode.exports import FORMATS, format_for
from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from qualcode.store import Study
from tests.conftest import write
from tests.io.test_refi_export import add_span

TEXT = "Interviewer: Tell me.\n\nP01: I ring at eight.\n\nP01: The budget was cut.\n"


@pytest.fixture
def study_dir(tmp_path, tiny_codebook):
    study = Study.init(tmp_path / "st", codebook=tiny_codebook)
    people = read_participants(write(tmp_path / "p.csv", "participant_id,group,role,site,gender,age band\n"
                                     "P01,service user,Patient,B,female,=40-49\n"))
    study.import_transcripts([read_transcript(write(tmp_path / "int.txt", TEXT))], people)
    ring, budget = study.segments(codeable_only=True)
    study.decide(ring.id, "phones", "alice")
    study.decide(ring.id, "access", "bob")
    study.decide(budget.id, "money", "alice")
    study.decide(budget.id, "access", "bob", present=False)  # a rejection is not a coding
    study.set_final(ring.id, "access", True, "carol", "agreed")
    add_span(study, ring.transcript_id, budget.start + 4, budget.start + 10, "money", "bob")  # "budget"
    study.close()
    return tmp_path / "st"


def read_csv(path):
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


def test_long_table_has_one_row_per_coding_with_every_attribute(study_dir, tmp_path, capsys):
    out = tmp_path / "codings.csv"
    assert main(["export", str(study_dir), "--out", str(out)]) == 0
    rows = read_csv(out)
    got = sorted((r["unit"], r["code_id"], r["source"], r["coder"], r["decided_by"], r["text"][:10]) for r in rows)
    assert got == [("segment", "access", "final", "final", "carol", "I ring at "),
                   ("segment", "access", "human", "bob", "", "I ring at "),
                   ("segment", "money", "human", "alice", "", "The budget"),
                   ("segment", "phones", "human", "alice", "", "I ring at "),
                   ("span", "money", "human", "bob", "", "budget")]
    assert {(r["participant"], r["gender"], r["age_band"], r["group"]) for r in rows} == \
        {("P01", "female", "'=40-49", "service user")}  # a formula-like cell is quoted
    span = next(r for r in rows if r["unit"] == "span")
    assert TEXT[int(span["start"]):int(span["end"])] == "budget" and span["theme"] == "Money"
    assert not out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["export", str(study_dir), "--out", str(out), "--bom"]) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_wide_matrix_counts_spans_for_the_segments_they_overlap(study_dir, tmp_path):
    out = tmp_path / "wide.csv"
    assert main(["export", str(study_dir), "--out", str(out), "--wide"]) == 0
    rows = {r["text"][:10]: r for r in read_csv(out)}
    assert {k: (r["access"], r["phones"], r["money"]) for k, r in rows.items()} == {
        "Tell me.": ("0", "0", "0"), "I ring at ": ("1", "1", "0"), "The budget": ("0", "0", "1")}


def test_xlsx_and_parquet_hold_the_same_rows(study_dir, tmp_path):
    pd = pytest.importorskip("pandas")
    csv_rows = read_csv(_export(study_dir, tmp_path / "c.csv"))
    sheet = pd.read_excel(_export(study_dir, tmp_path / "c.xlsx"))
    assert len(sheet) == len(csv_rows) == 5 and list(sheet.columns) == list(csv_rows[0])
    pytest.importorskip("pyarrow")
    table = pd.read_parquet(_export(study_dir, tmp_path / "c.parquet"))
    assert len(table) == 5 and table["start"].dtype.kind == "i" and set(table["coder"]) == {"alice", "bob", "final"}


def _export(study_dir, out):
    assert main(["export", str(study_dir), "--out", str(out)]) == 0
    return out


def test_parquet_without_pyarrow_is_a_clear_error(study_dir, tmp_path, monkeypatch, capsys):
    import builtins

    real = builtins.__import__

    def no_pyarrow(name, *a, **k):  # noqa: ANN001, ANN002, ANN003
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    assert main(["export", str(study_dir), "--out", str(tmp_path / "c.parquet")]) == 2
    assert "pip install 'qualcode[parquet]'" in capsys.readouterr().err
    assert not (tmp_path / "c.parquet").exists()


def test_taguette_codebook_and_transcripts(study_dir, tmp_path):
    out = tmp_path / "codebook.csv"
    assert format_for(out) is FORMATS["taguette-codebook"]
    assert main(["export", str(study_dir), "--out", str(out)]) == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == ["tag", "description"]  # the columns Taguette's import_codebook reads
    assert [r[0] for r in rows[1:]] == ["Access", "Access.Phone lines", "Money"]
    folder = tmp_path / "for-taguette"
    folder.mkdir()
    assert main(["export", str(study_dir), "--out", str(folder) + "/"]) == 0
    assert (folder / "int.txt").read_text(encoding="utf-8") == TEXT


def test_segments_out_keeps_each_coder_apart_with_every_attribute(study_dir, tmp_path, capsys):
    out = tmp_path / "segments.csv"
    assert main(["segments", str(study_dir), "--out", str(out), "--codeable"]) == 0
    assert capsys.readouterr().out.startswith("wrote ")
    rows = read_csv(out)
    ring, budget = rows
    assert (ring["codes: alice"], ring["codes: bob"], ring["codes: final"]) == ("phones", "access", "access")
    assert (budget["codes: alice"], budget["codes: bob"], budget["codes: final"]) == ("money", "money", "")
    assert ring["gender"] == "female" and ring["age_band"] == "'=40-49"
    assert main(["segments", str(study_dir), "--codeable"]) == 0
    (first, _) = json.loads(capsys.readouterr().out)
    assert first["attributes"] == {"gender": "female", "age_band": "=40-49"}


class NameRedactor:
    """A stand-in for qualcode.redact.Redactor: 'budget' → '[B]' (shorter, so offsets move)."""

    def text(self, s):
        return s.replace("budget", "[B]")

    def with_offsets(self, s):
        cut = [i for i in range(len(s)) if s.startswith("budget", i)]

        def remap(offset):
            return offset - 3 * sum(1 for i in cut if i + 6 <= offset) - sum(min(3, max(0, offset - i - 3))
                                                                            for i in cut if i < offset < i + 6)
        return self.text(s), remap


def test_exports_apply_a_redactor_and_keep_offsets_on_the_redacted_text(study_dir, tmp_path):
    import zipfile
    from xml.etree import ElementTree as ET

    from qualcode.exports import write_export

    with Study.open(study_dir) as study:
        (out,) = write_export(study, tmp_path / "r.qdpx", redactor=NameRedactor())
        write_export(study, tmp_path / "r.csv", redactor=NameRedactor())
    with zipfile.ZipFile(out) as z:
        root = ET.fromstring(z.read("project.qde"))
        (text,) = [z.read(n).decode() for n in z.namelist() if n.startswith("sources/")]
    assert "budget" not in text and "[B]" in text
    quotes = {text[int(s.get("startPosition")):int(s.get("endPosition"))]
              for s in root.iter("{urn:QDA-XML:project:1.0}PlainTextSelection")}
    assert "[B]" in quotes and "The [B] was cut." in quotes
    assert all("budget" not in r["text"] for r in read_csv(tmp_path / "r.csv"))


def test_long_table_says_which_machine_suggestions_coders_are_shown(study_dir, tmp_path):
    from qualcode.records import Suggestion

    study = Study.open(study_dir)
    ring, budget = study.segments(codeable_only=True)
    study.replace_suggestions([Suggestion(ring.id, "money", 0.45, "r", True),  # shown below 0.5 (a learnt rule)
                               Suggestion(budget.id, "phones", 0.6, "r", False),  # hidden above 0.5
                               Suggestion(budget.id, "access", 0.55, "r", None)],  # stored before the engine decided
                              [ring.id, budget.id], "hash")
    study.close()
    out = tmp_path / "codings.csv"
    assert main(["export", str(study_dir), "--out", str(out)]) == 0
    rows = read_csv(out)
    machine = sorted((r["code_id"], r["confidence"], r["shown"]) for r in rows if r["source"] == "machine")
    assert machine == [("access", "0.55", "1"), ("money", "0.45", "1"), ("phones", "0.6", "0")]
    assert {r["shown"] for r in rows if r["source"] != "machine"} == {""}  # a person's coding is not "shown"
