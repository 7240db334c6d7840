"""Theme report as HTML, DOCX and the XLSX framework matrix: same counts as Markdown, exact quotes."""

from __future__ import annotations

import pytest

from qualcode.cli import main
from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from qualcode.reports.paper_formats import docx_report, framework_workbook, html_report
from qualcode.store import Study
from tests.conftest import write

GP = ("Interviewer: What happens when you need a referral?\n\n"
      "GP1: The phone line is engaged all morning <and> patients give up.\n\n"
      "GP1: Our budget was cut so the service has less money.\n")
PATIENT = ("Interviewer: How do you book?\n\n"
           "P01: I ring at eight and all the appointments are gone.\n")


@pytest.fixture
def study(tmp_path, tiny_codebook):
    s = Study.init(tmp_path / "reports", codebook=tiny_codebook)
    people = read_participants(write(tmp_path / "p.csv", "participant_id,group,role,site,speaker\n"
                                     "GP1,professional,GP,A,GP1\nP01,service user,Patient,B,P01\n"
                                     "INT,interviewer,Interviewer,,Interviewer\n"))
    s.import_transcripts([read_transcript(write(tmp_path / "gp.txt", GP)),
                          read_transcript(write(tmp_path / "pat.txt", PATIENT))], people)
    phone, money, ring = s.segments(codeable_only=True)
    s.decide(phone.id, "phones", "alice")
    s.decide(money.id, "money", "alice")
    s.decide(ring.id, "access", "alice")
    yield s
    s.close()


def test_html_counts_by_group_and_escaped_attributed_quotes(study):
    page = html_report(study)
    assert page.startswith("<!DOCTYPE html>") and "<h2>Theme: Access</h2>" in page
    # Access (with its child Phone lines): one professional segment, one service-user segment
    assert "<tr><td><b>Access</b></td><td class='n'>2</td><td class='n'>2</td><td class='n'>1 (1)</td>" \
           "<td class='n'>1 (1)</td></tr>" in page
    assert "engaged all morning &lt;and&gt; patients" in page and "<and>" not in page
    assert "(P01, Patient, site B)" in page


def test_docx_has_the_tables_and_quotes(study, tmp_path):
    from docx import Document

    path = write(tmp_path / "r.docx", "")
    path.write_bytes(docx_report(study))
    doc = Document(str(path))
    texts = [p.text for p in doc.paragraphs]
    assert "Theme: Access" in texts and "Theme: Money" in texts
    assert any(t.startswith("“I ring at eight and all the appointments are gone.”") and "(P01, Patient, site B)" in t
               for t in texts)
    access = doc.tables[0]
    assert [c.text for c in access.rows[0].cells] == ["code", "segments", "participants", "professional",
                                                      "service user"]
    assert [c.text for c in access.rows[1].cells] == ["Access", "2", "2", "1 (1)", "1 (1)"]


def test_framework_matrix_rows_are_participants_columns_themes(study):
    wb = framework_workbook(study)
    assert wb.sheetnames == ["Counts", "Framework matrix", "Quotes"]
    matrix = [list(r) for r in wb["Framework matrix"].iter_rows(values_only=True)]
    assert matrix[0] == ["participant", "group", "role", "site", "Access", "Money"]
    rows = {r[0]: r for r in matrix[1:]}
    assert set(rows) == {"GP1", "P01"}  # the interviewer is never coded
    assert "The phone line is engaged" in rows["GP1"][4] and "budget was cut" in rows["GP1"][5]
    assert rows["P01"][4].startswith("[") and rows["P01"][5] in ("", None)
    quotes = list(wb["Quotes"].iter_rows(values_only=True))
    header = quotes[0]
    text = {r[header.index("code")]: r for r in quotes[1:]}
    seg = next(s for s in study.segments() if s.id == text["Money"][header.index("segment")])
    assert seg.text.startswith("Our budget") and text["Money"][header.index("start")] == seg.start
    counts = {r[1]: r for r in wb["Counts"].iter_rows(min_row=2, values_only=True)}
    assert counts["Access"][3:5] == (2, 2) and counts["Phone lines"][3:5] == (1, 1)


@pytest.mark.parametrize("suffix, magic", [(".html", b"<!DOCTYPE html>"), (".docx", b"PK"), (".xlsx", b"PK"),
                                           (".md", b"# Theme report")])
def test_cli_report_format_follows_the_file_name(study, tmp_path, capsys, suffix, magic):
    folder = str(study.folder)
    out = tmp_path / f"report{suffix}"
    assert main(["report", folder, "--out", str(out)]) == 0
    assert out.read_bytes().startswith(magic)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")]  # no temporary file left


def test_cli_report_unknown_format_is_one_line(study, tmp_path, capsys):
    assert main(["report", str(study.folder), "--out", str(tmp_path / "r.pdf")]) == 2
    err = capsys.readouterr().err.strip()
    assert "expected a file ending in .md, .html, .docx or .xlsx (framework matrix), got '.pdf'" in err
    assert len(err.splitlines()) == 1
