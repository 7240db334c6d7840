from __future__ import annotations

import json

import pytest

from qualcode.cli import main
from tests.conftest import write

KRIPPENDORFF_2011 = """unit,A,B,C,D
1,1,1,,1
2,2,2,3,2
3,3,3,3,3
4,3,3,3,3
5,2,2,2,2
6,1,2,3,4
7,4,4,4,4
8,1,1,2,1
9,2,2,2,2
10,,5,5,5
11,,,1,1
12,,,3,
"""


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("statistic,level,expected", [
    # Krippendorff (2011) publishes 3 decimals; irrCAC's README 5 (see tests/test_agreement.py)
    ("alpha", "nominal", 0.743), ("alpha", "ordinal", 0.815), ("alpha", "interval", 0.849),
    ("ac1", "nominal", 0.77544), ("fleiss", "nominal", 0.76117), ("percent", "nominal", 0.8181818)])
def test_table_json_is_exact(tmp_path, capsys, statistic, level, expected):
    table = write(tmp_path / "t.csv", KRIPPENDORFF_2011)
    code, out, _ = run(capsys, "agreement", "--table", table, "--statistic", statistic, "--level", level,
                       "--json", "--bootstrap", "200")
    result = json.loads(out)
    assert code == 0 and set(result) >= {"statistic", "value", "ci_low", "ci_high", "n_units", "n_coders"}
    assert result["value"] == pytest.approx(expected, abs=5e-4 if statistic == "alpha" else 1e-5)
    assert result["n_units"] == 12 and result["n_coders"] == 4
    assert result["ci_low"] <= result["value"] <= result["ci_high"]


def test_labels_and_two_coders(tmp_path, capsys):
    table = write(tmp_path / "t.csv", "unit,ann,bob\n" + "".join(
        f"{i},{a},{b}\n" for i, (a, b) in enumerate([("yes", "yes")] * 20 + [("yes", "no")] * 5 +
                                                    [("no", "yes")] * 10 + [("no", "no")] * 15)))
    code, out, _ = run(capsys, "agreement", "--table", table, "--statistic", "cohen", "--json")
    assert code == 0 and json.loads(out)["value"] == pytest.approx(0.4)


def test_single_coder_is_defined_with_a_reason(tmp_path, capsys):
    table = write(tmp_path / "t.csv", "unit,ann\n1,a\n2,b\n")
    code, out, _ = run(capsys, "agreement", "--table", table, "--json")
    result = json.loads(out)
    assert code == 0 and result["value"] is None and "two or more coders" in result["reason"]


@pytest.mark.parametrize("content,args,words", [
    ("unit\n1\n2\n", [], "only one column"),
    ("unit,a,b\n1,1,x\n", ["--statistic", "alpha", "--level", "interval"], "t.csv:2: field 'b'"),
    ("unit,a,b,c\n1,1,1,1\n", ["--statistic", "cohen"], "exactly 2 coder columns"),
])
def test_bad_tables_exit_2_with_one_line(tmp_path, capsys, content, args, words):
    table = write(tmp_path / "t.csv", content)
    code, out, err = run(capsys, "agreement", "--table", table, *args)
    assert code == 2 and words in err and err.count("\n") == 1


def test_unknown_statistic_is_refused(tmp_path, capsys):
    table = write(tmp_path / "t.csv", KRIPPENDORFF_2011)
    with pytest.raises(SystemExit) as exit_:
        main(["agreement", "--table", str(table), "--statistic", "kappa2"])
    assert exit_.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_study_agreement_table_json_and_xlsx(tmp_path, capsys):
    from openpyxl import load_workbook

    from tests.conftest import TINY_CODEBOOK

    cb = write(tmp_path / "cb.yaml", TINY_CODEBOOK)
    study = tmp_path / "st"
    assert run(capsys, "init", study, "--codebook", cb)[0] == 0
    interview = write(tmp_path / "i.txt", "P1: I ring at eight.\n\nP1: The budget was cut.\n\nP1: Money again.\n")
    assert run(capsys, "import", study, interview)[0] == 0
    rows = json.loads(run(capsys, "segments", study)[1])
    ids = [r["id"] for r in rows]
    for coder in ("ann", "bob"):
        assert run(capsys, "decide", study, "--segment", ids[0], "--code", "phones", "--coder", coder)[0] == 0
    run(capsys, "decide", study, "--segment", ids[1], "--code", "money", "--coder", "ann")
    code, out, err = run(capsys, "agreement", study, "--coders", "ann,bob", "--json", "--out", tmp_path / "a.xlsx",
                         "--bootstrap", "50")
    assert code == 0, err
    table = {r["code"]: r for r in json.loads(out)}
    assert table["phones"]["alpha"] == 1.0 and table["phones"]["units"] == 3
    assert table["money"]["flag"] is True
    book = load_workbook(tmp_path / "a.xlsx")
    assert book.sheetnames[:2] == ["all", "ann vs bob"]
    assert [c.value for c in book["all"][1]][:3] == ["code", "coders", "units"]
    code, out, _ = run(capsys, "disagreements", study, "--coders", "ann,bob")
    assert f"segment {ids[1]}" in out and "ann=yes bob=no" in out
    code, out, _ = run(capsys, "adjudicate", study, "--segment", ids[1], "--code", "money", "--present", "yes",
                       "--by", "carol", "--rationale", "about the budget")
    assert code == 0 and "final: money applies" in out
    code, _, err = run(capsys, "agreement", study, "--out", tmp_path / "a.txt")
    assert code == 2 and ".xlsx" in err
