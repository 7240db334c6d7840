"""The report in Markdown, HTML, Word and Excel: tables, charts, matrix, no names, safe cells."""

from __future__ import annotations

import io
import re

import pytest

from qualcode.cli import main
from qualcode.redact import Redactor
from qualcode.reports.data import collect
from qualcode.reports.paper_formats import docx_report, html_report, report_workbook, xlsx_report
from qualcode.reports.theme_report import markdown_report
from tests.reports.conftest import NAMES

FORMATS = ("md", "html", "docx", "xlsx")


@pytest.fixture
def data(paper_study, redact_file):
    paper_study.set_framework_summary("GP1", "money", "Budget cuts; Okafor blames commissioning.", "sue")
    return collect(paper_study, redactor=Redactor.from_study(paper_study, redact_file))


def docx_texts(blob: bytes) -> tuple[object, list[str]]:
    from docx import Document

    doc = Document(io.BytesIO(blob))
    texts = [p.text for p in doc.paragraphs]
    texts += [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return doc, texts


def xlsx_values(blob: bytes) -> list[str]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(blob))
    return [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]


def named(text: str) -> list[str]:
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
    return [n for n in NAMES if re.search(rf"(?<![^\W_]){n}(?![^\W_])", text, re.IGNORECASE)]


def test_html_is_escaped_self_contained_with_tables_quotes_and_charts(data):
    page = html_report(data)
    assert page.startswith("<!DOCTYPE html>") and "<h2>Theme: Access</h2>" in page
    assert ("<tr><td><b>Access</b></td><td class='n'>3 of 3</td><td class='n'>4</td>"
            "<td class='n'>2 of 2 (3 seg.)</td><td class='n'>1 of 1 (1 seg.)</td></tr>") in page
    assert "<th>professional (n=2)</th>" in page
    assert "engaged all morning &lt;and&gt; patients" in page and "<and>" not in page
    assert "(GP2, GP, site B; machine suggestion, confidence 0.80, not reviewed by anyone)" in page
    assert page.count("<img ") == 4 and "src='data:image/png;base64," in page
    assert "<script" not in page and "http" not in page  # nothing fetched
    assert "<td>Access</td><td>Money</td><td class='n'>1</td><td class='n'>5</td><td class='n'>0.20</td>" in page
    assert "after interview 2 of 3 (gp2)" in page


def test_docx_has_tables_quotes_charts_and_the_matrix(data):
    doc, texts = docx_texts(docx_report(data))
    assert "Theme: Access" in texts and "Framework matrix" in texts
    access = doc.tables[0]
    assert [c.text for c in access.rows[0].cells] == ["code", "participants", "segments", "professional (n=2)",
                                                      "service user (n=1)"]
    assert [c.text for c in access.rows[1].cells] == ["Access", "3 of 3", "4", "2 of 2 (3 seg.)", "1 of 1 (1 seg.)"]
    assert any(t.startswith("“I ring at eight and all the appointments") and "(P01, Patient, site B)" in t
               for t in texts)
    assert len(doc.inline_shapes) == 4  # themes, codes, co-occurrence heatmap, saturation
    matrix = next(t for t in doc.tables if t.rows[0].cells[0].text == "participant")
    header = [c.text for c in matrix.rows[0].cells]
    assert header == ["participant", "group", "Access", "Access / Phone lines"]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in matrix.rows[1:]}
    assert set(rows) == {"GP1", "GP2", "P01"}
    assert rows["GP1"][2].startswith("DRAFT (machine: most representative sentence): “The phone line is engaged")
    assert "Refs: gp1_[GP1] " in rows["GP1"][2] and "(segment " in rows["GP1"][2]
    money = [t for t in doc.tables if [c.text for c in t.rows[0].cells] == ["participant", "group", "Money"]][0]
    gp1 = [c.text for c in money.rows[1].cells]
    assert gp1[0] == "GP1" and gp1[2].startswith("Budget cuts; [GP1] blames commissioning. [summary by sue, v1]")


def test_xlsx_sheets_counts_matrix_charts_and_safe_cells(data):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx_report(data)))
    assert wb.sheetnames == ["About", "Counts", "Co-occurrence", "Framework matrix", "Matrix references",
                             "Coded segments", "Saturation", "Charts"]
    counts = {r[1]: r for r in wb["Counts"].iter_rows(min_row=2, values_only=True)}
    header = next(wb["Counts"].iter_rows(max_row=1, values_only=True))
    access = dict(zip(header, counts["Access"], strict=True))
    assert (access["participants"], access["of"], access["segments"]) == (3, 3, 4)
    assert (access["professional: participants"], access["professional: of"], access["service user: of"]) == (2, 2, 1)
    assert counts["Access / Phone lines"][3:6] == (2, 3, 2)
    matrix = list(wb["Framework matrix"].iter_rows(values_only=True))
    assert matrix[0] == ("participant", "group", "Access", "Access / Phone lines", "Money")
    rows = {r[0]: r for r in matrix[1:4]}
    assert [r[0] for r in matrix[1:4]] == ["GP1", "GP2", "P01"]  # grouped: professionals first
    assert rows["P01"][1] == "service user" and rows["P01"][3] is None  # P01 never coded Phone lines
    assert rows["GP1"][4].startswith("Budget cuts; [GP1] blames commissioning. [summary by sue, v1]\nRefs: ")
    refs = list(wb["Matrix references"].iter_rows(min_row=2, values_only=True))
    assert ("GP1", "professional", "Money", "summary") == refs[[r[2] for r in refs].index("Money")][:4]
    coded = list(wb["Coded segments"].iter_rows(values_only=True))
    fragment = next(r for r in coded if r[11] and "within the process" in r[11])
    assert fragment[11].startswith("'--")  # safe_cell: never a formula
    machine = next(r for r in coded if r[8] == "machine")
    assert machine[10] == "machine suggestion, confidence 0.80, not reviewed by anyone"
    assert len(wb["Charts"]._images) == 4
    pairs = list(wb["Co-occurrence"].iter_rows(min_row=2, values_only=True))
    assert pairs[0][:5] == ("Access", "Money", 1, 5, 0.2)
    for sheet in ("Counts", "Co-occurrence", "Saturation"):
        last = list(wb[sheet].iter_rows(values_only=True))[-1]
        assert last[0].startswith("Counted: final (adjudicated) codes where a segment was adjudicated"), sheet


def test_formula_like_text_is_neutralised(paper_study):
    paper_study.set_framework_summary("GP2", "access", "=HYPERLINK(\"http://x\")", "sue")
    wb = report_workbook(collect(paper_study))
    values = [v for row in wb["Framework matrix"].iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert any(v.startswith("'=HYPERLINK") for v in values) and not any(v.startswith("=") for v in values)


def test_no_name_in_any_output_and_identifiable_is_audited(paper_study, redact_file, tmp_path, capsys):
    paper_study.set_framework_summary("GP1", "money", "Okafor and Patel both mention budgets.", "sue")
    folder = str(paper_study.folder)
    outputs = {}
    for fmt in FORMATS:
        out = tmp_path / f"report.{fmt}"
        assert main(["report", folder, "--out", str(out), "--redact", str(redact_file), "--by", "gender"]) == 0
        outputs[fmt] = out.read_bytes()
    assert "names replaced" in capsys.readouterr().out
    texts = {"md": outputs["md"].decode(), "html": outputs["html"].decode(),
             "docx": "\n".join(docx_texts(outputs["docx"])[1]), "xlsx": "\n".join(xlsx_values(outputs["xlsx"]))}
    for fmt, text in texts.items():
        assert named(text) == [], fmt
        assert "[GP1]" in text and "[name]" in text, fmt
    assert "female" in texts["md"] and "| **Access** | 3 of 3 | 4 | 1 of 1 (1 seg.) | 2 of 2 (3 seg.) |" in texts["md"]
    out = tmp_path / "named.md"
    assert main(["report", folder, "--out", str(out), "--identifiable"]) == 0
    assert "IDENTIFIABLE" in capsys.readouterr().out
    assert {"Okafor", "Ray", "Patel"} <= set(named(out.read_text()))
    log = paper_study.audit_log(limit=5)
    assert log[0].action == "export_identifiable" and log[0].after == {"target": str(out),
                                                                            "identifiable": True}
    assert [e.action for e in log[1:5]] == ["export"] * 4


def test_report_command_refuses_bad_input_and_writes_nothing(paper_study, tmp_path, capsys):
    folder = str(paper_study.folder)
    cases = [(["--out", str(tmp_path / "r.pdf")], "expected a file ending in .md, .html, .docx or .xlsx, got '.pdf'"),
             (["--out", str(tmp_path / "no" / "r.md")], "expected an existing folder"),
             (["--out", str(tmp_path / "r.md"), "--by", "shoe"], "--by shoe: expected a participant attribute"),
             (["--out", str(tmp_path / "r.md"), "--redact", str(tmp_path / "none.txt")], "none.txt: expected a text"),
             (["--out", str(tmp_path / "r.md"), "--redact", "x", "--identifiable"], "expected one of them")]
    for extra, message in cases:
        assert main(["report", folder, *extra]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert not list(tmp_path.glob("r.*")) and not (tmp_path / "no").exists()


def test_markdown_says_whose_coding_under_every_table(data):
    text = markdown_report(data)
    assert text.count("_Counted: final, else coders', else suggestions shown.") == 2
    assert "## Co-occurrence" in text and "| Access | Money | 1 | 5 | 0.20 |" in text
    assert "| 1. gp1_[GP1] | 2 | 2 |" in text
    assert "Codes counted: final, else coders', else suggestions shown." in text
