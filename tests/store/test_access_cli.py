"""The CLI side of issue 15: ``app --host`` needs accounts, ``segments --coder`` applies the
blind rule to names outside the sample, assign warns about seen transcripts, reopen, and
formula cells neutralised in ``segments --format csv`` and ``matrix.xlsx``."""

from __future__ import annotations

import csv
import io
import json

import pytest

from qualcode.cli import main
from tests.conftest import TINY_CODEBOOK, write

FORMULA = '=HYPERLINK("http://evil.example","click")'


def run(capsys, *args) -> tuple[int, str, str]:  # noqa: ANN001
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def built(tmp_path, capsys):
    study = tmp_path / "st"
    run(capsys, "init", study, "--codebook", write(tmp_path / "cb.yaml", TINY_CODEBOOK))
    buf = io.StringIO()
    csv.writer(buf).writerows([["participant_id", "group", "role", "site", "speaker"],
                               [FORMULA, "-1+1", "@SUM(A1)", "+x", "P01"], ["P02", "professional", "GP", "B", "P02"]])
    sheet = write(tmp_path / "p.csv", buf.getvalue())
    for name, who in (("t1", "P01"), ("t2", "P02")):
        write(tmp_path / f"{name}.txt", f"Interviewer: How do you book?\n\n{who}: I ring at eight and the phone "
              f"is engaged.\n\n{who}: The budget has been cut again.\n")
    code, _, err = run(capsys, "import", study, tmp_path / "t1.txt", tmp_path / "t2.txt", "--participants", sheet)
    assert code == 0, err
    assert run(capsys, "code", study, "--model", "hash")[0] == 0
    return study


def test_app_host_refuses_other_computers_without_accounts(built, capsys, monkeypatch):
    started = []
    monkeypatch.setattr("qualcode.cli.study_commands.launch_app", lambda *a: started.append(a) or 0)
    code, _, err = run(capsys, "app", built, "--host", "0.0.0.0")
    assert code == 2 and "expected accounts before serving other computers" in err and not started
    assert run(capsys, "app", built, "--host", "127.0.0.1")[0] == 0  # this computer: fine
    assert run(capsys, "app", built, "--host", "::1")[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("long enough\n"))
    assert run(capsys, "user", "add", built, "ada", "--role", "admin", "--password-stdin")[0] == 0
    assert run(capsys, "app", built, "--host", "0.0.0.0")[0] == 0
    assert [a[2] for a in started] == ["127.0.0.1", "::1", "0.0.0.0"]


def test_segments_for_a_name_outside_the_sample_are_blind(built, capsys):
    from qualcode.store import Study

    with Study.open(built) as study:
        [name] = study.assign(["alice", "bob"], 0.5, seed=1)
        seg = study.segments(transcript_id=study.transcript_id(name), codeable_only=True)[0].id
        study.decide(seg, "money", "bob")
    code, out, _ = run(capsys, "segments", built, "--coder", "mallory", "--transcript", name)
    rows = {r["id"]: r for r in json.loads(out)}
    assert code == 0 and rows[seg]["codes"] == [] and rows[seg]["suggestions"] == []
    out = run(capsys, "segments", built, "--transcript", name)[1]  # the owner: everything
    assert {"code": "money", "source": "human", "coder": "bob"} in {r["id"]: r for r in json.loads(out)}[seg]["codes"]


def test_assign_warns_and_skips_seen_then_reopen(built, capsys):
    from qualcode.store import Study

    with Study.open(built) as study:
        seg = study.segments(transcript_id=study.transcript_id("t1"), codeable_only=True)[0].id
        study.decide(seg, "money", "alice")
    code, out, err = run(capsys, "assign", built, "--coders", "alice,bob", "--fraction", "1")
    assert code == 0 and "warning: t1: alice already coded it with suggestions in view; left out" in err
    assert "t1" not in out and "t2" in out
    assert run(capsys, "done", built, "--transcript", "t2", "--coder", "bob")[0] == 0
    code, _, err = run(capsys, "reopen", built, "--transcript", "t2", "--coder", "alice")
    assert code == 2 and "expected a transcript 'alice' marked done" in err
    assert run(capsys, "reopen", built, "--transcript", "t2", "--coder", "bob", "--by", "sam")[0] == 0
    with Study.open(built) as study:
        assert study.done_by(study.transcript_id("t2")) == []


def test_segments_csv_neutralises_formulas(built, capsys):
    out = run(capsys, "segments", built, "--format", "csv", "--identifiable")[1]  # labels kept as typed
    rows = list(csv.DictReader(io.StringIO(out)))
    p1 = next(r for r in rows if r["speaker"] == "P01")
    assert p1["participant"] == "'" + FORMULA
    assert (p1["group"], p1["role"], p1["site"]) == ("'-1+1", "'@SUM(A1)", "'+x")
    assert next(r for r in rows if r["speaker"] == "P02")["participant"] == "P02"  # plain text untouched


def test_framework_matrix_neutralises_formulas(built, tmp_path, capsys):
    from openpyxl import load_workbook

    from qualcode.store import Study

    with Study.open(built) as study:
        seg = study.segments(transcript_id=study.transcript_id("t1"), codeable_only=True)[0].id
        study.decide(seg, "money", "alice")
    out = tmp_path / "matrix.xlsx"
    assert run(capsys, "report", built, "--out", out, "--source", "human")[0] == 0
    book = load_workbook(out)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    values = {c.value for c in cells}
    assert "'" + FORMULA in values and "'-1+1" in values
