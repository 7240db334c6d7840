"""Hostile and broken inputs: each ends in one clear InputError line, never a traceback."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from qualcode.errors import CodebookError, InputError
from qualcode.io import safe
from qualcode.io.codebook import load_codebook, parse_codebook
from qualcode.io.participants import read_participants
from qualcode.io.refi import read_refi_codebook
from qualcode.io.tables import read_rating_table
from qualcode.io.transcripts import CUE_BACKWARDS, NO_LABELS, parse_speaker_text, read_transcript

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
QDC = "urn:QDA-XML:codebook:1.0"


def _docx(path: Path, xml: str | bytes, method: int = zipfile.ZIP_DEFLATED) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        z.writestr("word/document.xml", xml)
    path.write_bytes(buf.getvalue())
    return path


def _body(inner: str) -> str:
    return f"<w:document {W}><w:body>{inner}</w:body></w:document>"


def _p(text: str, style: str = "") -> str:
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{ppr}<w:r><w:t>{text}</w:t></w:r></w:p>"


@pytest.mark.parametrize(("xml", "message"), [
    (b"", "expected Word document XML, got no element found"),
    (b"not xml at all", "expected Word document XML, got syntax error"),
    (_body("<w:p><w:r><w:t>a&#0;b</w:t></w:r></w:p>"), "reference to invalid character number"),
    ('<!DOCTYPE d [<!ENTITY a "x">]><d>&a;</d>', "without a document type declaration"),
    (f"<x {W}/>", "whose XML root is <w:document>, got <x>"),
    (f"<w:document {W}/>", "with a <w:body>, got none"),
    (_body("<w:p>" * 200 + "</w:p>" * 200), "nested at most 100 levels deep"),
])
def test_broken_docx_is_one_line(tmp_path: Path, xml: str | bytes, message: str) -> None:
    with pytest.raises(InputError) as err:
        read_transcript(_docx(tmp_path / "t.docx", xml))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_zip_members_corrupt_encrypted_unknown_method_and_bombs(tmp_path: Path) -> None:
    good = _docx(tmp_path / "g.docx", _body(_p("Anna: hello there")))
    data = bytearray(good.read_bytes())
    data[40:60] = b"\xff" * 20  # inside the deflated member
    (tmp_path / "c.docx").write_bytes(bytes(data))
    with pytest.raises(InputError, match="expected an intact member 'word/document.xml'"):
        read_transcript(tmp_path / "c.docx")
    z = zipfile.ZipFile(good)
    for flag, method, message in ((0x1, None, "encrypted"), (0, 99, "stored or deflated")):
        info = z.getinfo("word/document.xml")
        info.flag_bits |= flag
        if method:
            info.compress_type = method
        with pytest.raises(InputError, match=message):
            safe.read_zip_member(z, "word/document.xml", "g.docx")
        info.flag_bits &= ~flag
        info.compress_type = zipfile.ZIP_DEFLATED
    bomb = _docx(tmp_path / "b.docx", b"<a>" + b"x" * (safe.MAX_XML_BYTES + 10) + b"</a>")
    with pytest.raises(InputError, match="of at most 67,108,864 bytes"):
        read_transcript(bomb)
    with pytest.raises(InputError, match="compressed at most 200:1"):
        safe.read_zip_member(zipfile.ZipFile(_docx(tmp_path / "r.zip", b" " * (4 << 20))),
                             "word/document.xml", "r.zip", max_bytes=8 << 20)
    with pytest.raises(InputError, match="names inside the archive"):
        safe.read_zip_member(z, "../../etc/passwd", "g.docx")
    (tmp_path / "n.docx").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(InputError, match="unreadable zip"):
        read_transcript(tmp_path / "n.docx")


def test_docx_headings_procedural_and_tables_in_document_order(tmp_path: Path) -> None:
    xml = _body(_p("Interview 3", "Heading1") + _p("Interviewer: How was it?")
                + "<w:tbl><w:tr><w:tc>" + _p("Anna") + "</w:tc><w:tc>" + _p("Fine, thanks.")
                + "</w:tc></w:tr></w:tbl>" + _p("Interviewer: Good."))
    t = read_transcript(_docx(tmp_path / "t.docx", xml))
    assert t.plain_text == "Interview 3\nInterviewer: How was it?\nAnna: Fine, thanks.\nInterviewer: Good."
    assert [(x.speaker, x.text, x.procedural) for x in t.turns] == [
        (None, "Interview 3", True), ("Interviewer", "How was it?", False),
        ("Anna", "Fine, thanks.", False), ("Interviewer", "Good.", False)]
    assert all(t.plain_text[x.start:x.end] == x.text for x in t.turns)


@pytest.mark.parametrize("value", ["inf", "nan", "1e400", "1:inf", "-5", "00:00:99999999999"])
def test_csv_times_that_are_not_times(tmp_path: Path, value: str) -> None:
    (tmp_path / "t.csv").write_text(f"speaker,text,start\nAnna,hello,{value}\n")
    with pytest.raises(InputError) as err:
        read_transcript(tmp_path / "t.csv")
    assert str(err.value) == f"{tmp_path / 't.csv'}:2: field 'start': expected a start time like 00:01:02 or 62.5, got {value!r}"


def test_long_csv_cells_in_every_csv_reader(tmp_path: Path) -> None:
    big = "x" * (safe.MAX_CELL_CHARS + 1)
    cases = [
        (read_transcript, "t.csv", f'speaker,text\nAnna,"{big}"\n'),
        (read_participants, "p.csv", f'participant_id,group,role,site\nP1,a,b,"{big}"\n'),
        (read_rating_table, "r.csv", f'unit,a,b\n1,"{big}",1\n'),
        (load_codebook, "c.csv", f'code,definition\na,"{big}"\n'),
    ]
    for reader, name, text in cases:
        (tmp_path / name).write_text(text)
        with pytest.raises(InputError, match=r":2: expected cells of at most 1,000,000 characters"):
            reader(tmp_path / name)
    ok = "y" * 200_000  # above Python's default csv limit of 131,072: read
    (tmp_path / "ok.csv").write_text(f'speaker,text\nAnna,"{ok}"\n')
    assert read_transcript(tmp_path / "ok.csv").turns[0].text == ok


def test_file_and_line_limits(tmp_path: Path) -> None:
    with open(tmp_path / "huge.txt", "wb") as f:
        f.truncate(safe.MAX_FILE_BYTES + 1)
    with pytest.raises(InputError, match="expected a file of at most 8,388,608 bytes"):
        read_transcript(tmp_path / "huge.txt")
    (tmp_path / "line.txt").write_text("Anna: " + "word " * 250_000)
    with pytest.raises(InputError, match=r"line.txt:1: expected lines of at most 1,000,000 characters"):
        read_transcript(tmp_path / "line.txt")
    (tmp_path / "cue.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\n" + "word " * 250_000 + "\n")
    with pytest.raises(InputError, match=r"cue.srt:3: expected lines of at most"):
        read_transcript(tmp_path / "cue.srt")


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("codes: &c\n  - id: a\n    definition: d\n    children: *c\n", "c.yaml:4: expected YAML without aliases"),
    ("a: &a [x, x]\nb: &b [*a, *a]\ncodes: [*b]\n", "c.yaml:2: expected YAML without aliases"),
    ("codes: " + "[" * 3000 + "]" * 3000, "expected valid YAML"),
    ("codes:\n  - id: a\n   definition: [\n", "c.yaml:3: expected valid YAML, got did not find"),
    ("codes: []\n---\ncodes: []\n", "c.yaml:2: expected a single YAML document"),
])
def test_yaml_codebooks_refused_in_one_line(yaml_text: str, message: str) -> None:
    with pytest.raises(CodebookError) as err:
        parse_codebook(yaml_text, "c.yaml")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_deeply_nested_codebooks_have_a_limit_not_a_recursion_error() -> None:
    flow = "codes: [" + "{id: c, definition: d, children: [" * 3000 + "]}" * 3000 + "]"
    with pytest.raises(CodebookError, match="nested at most 100 levels deep"):
        parse_codebook(flow, "deep.yaml")
    chain = "codes:\n" + "".join(f"  - {{id: c{i}, definition: d{f', parent: c{i - 1}' if i else ''}}}\n"
                                 for i in range(3000))
    with pytest.raises(CodebookError, match=r"deep.yaml:102: expected codes nested at most 100 levels"):
        parse_codebook(chain, "deep.yaml")
    ok = "codes:\n" + "".join(f"  - {{id: c{i}, definition: d{f', parent: c{i - 1}' if i else ''}}}\n"
                              for i in range(100))
    assert parse_codebook(ok, "ok.yaml").codes[-1].parent == "c98"


def test_refi_limits_encoding_and_nesting(tmp_path: Path) -> None:
    deep = tmp_path / "deep.qdc"
    deep.write_text(f'<CodeBook xmlns="{QDC}"><Codes>' + '<Code name="a">' * 20000 + "</Code>" * 20000
                    + "</Codes></CodeBook>")
    with pytest.raises(CodebookError, match="nested at most 100 levels deep"):
        read_refi_codebook(deep)
    many = tmp_path / "many.qdc"
    many.write_text(f'<CodeBook xmlns="{QDC}"><Codes>' + "".join(f'<Code name="c{i}"/>' for i in range(200_000))
                    + "</Codes></CodeBook>")
    with pytest.raises(CodebookError, match="expected at most 20,000 codes .* got more than 20,000 codes"):
        read_refi_codebook(many)
    enc = tmp_path / "enc.qdc"
    enc.write_text(f'<?xml version="1.0" encoding="x-klingon"?><CodeBook xmlns="{QDC}"/>')
    with pytest.raises(CodebookError, match="an unknown encoding"):
        read_refi_codebook(enc)


def test_rating_table_refuses_inf_and_nan_at_interval_level(tmp_path: Path) -> None:
    from qualcode.cli import main

    (tmp_path / "r.csv").write_text("unit,a,b\n1,1,2\n2,inf,3\n3,nan,1\n")
    with pytest.raises(InputError, match=r"r.csv:3: field 'a': expected a finite number"):
        read_rating_table(tmp_path / "r.csv", numeric=True)
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-W", "error", "-m", "qualcode", "agreement", "--table",
                           str(tmp_path / "r.csv"), "--level", "interval"], capture_output=True, text=True)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "expected a finite number" in proc.stderr
    assert main is not None


def test_warnings_a_coder_can_act_on(tmp_path: Path) -> None:
    warnings: list[str] = []
    turns = parse_speaker_text("Interviewer:\nHow are you?\n\nAnna:\nFine.\nReally.\n", warnings=warnings)
    assert [(t.speaker, t.text) for t in turns] == [("Interviewer", "How are you?"), ("Anna", "Fine.\nReally.")]
    assert "speaker labels stand on their own line (e.g. 'Interviewer:')" in warnings[0]
    warnings = []
    turns = parse_speaker_text("INTERVIEWER\nHow are you?\n\nANNA\nFine.\n\nINTERVIEWER\nGood.\n\nANNA\nYes.\n",
                               warnings=warnings)
    assert [(t.speaker, t.text) for t in turns][:2] == [("INTERVIEWER", "How are you?"), ("ANNA", "Fine.")]
    assert warnings and "own line" in warnings[0]
    warnings = []
    parse_speaker_text("Just some prose.\n\nMore prose here.\n", warnings=warnings)
    assert warnings == [NO_LABELS]
    (tmp_path / "h.csv").write_text("Speaker,Utterance,Time\n")
    with pytest.raises(InputError, match="h.csv:2: expected rows of turns after the header, got only the header"):
        read_transcript(tmp_path / "h.csv")
    (tmp_path / "b.srt").write_text("1\n00:00:05,000 --> 00:00:01,000\nAnna: Hello\n")
    t = read_transcript(tmp_path / "b.srt")
    assert t.warnings == (CUE_BACKWARDS.format(line=2, start="00:00:05,000", end="00:00:01,000"),)
    assert t.turns[0].start_time == t.turns[0].end_time == 5.0


UNCLOSED = ('participant_id,group,role,site\nS05,service user,Patient,A\n'
            'S06,"service user,Patient,B\nS07,professional ,professional,GP,C\n,x,y,z\n')


def test_unclosed_quote_in_participants_is_refused_naming_its_line(tmp_path: Path) -> None:
    # Python's csv module reads the rest of the file into S06's group: S07 and the blank id vanish.
    (tmp_path / "p.csv").write_text(UNCLOSED)
    with pytest.raises(InputError) as err:
        read_participants(tmp_path / "p.csv")
    assert str(err.value) == (f"{tmp_path / 'p.csv'}:3: expected every quoted cell closed by a second '\"', "
                              "got a quote opened on line 3 and never closed (the rest of the file, 3 lines, "
                              "would become one cell)")


@pytest.mark.parametrize(("reader", "name", "text"), [
    (read_transcript, "t.csv", 'speaker,text\nAnna,hello\nBen,"yes\nAnna,so\n'),
    (read_participants, "p.csv", 'participant_id,group,role,site\nP1,a,b,"c\n'),
    (read_rating_table, "r.csv", 'unit,a,b\n1,"1,1\n2,1,1\n'),
    (load_codebook, "c.csv", 'code,definition\na,"open\nb,closed\n'),
])
def test_unclosed_quote_in_every_csv_reader(tmp_path: Path, reader, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(InputError, match="expected every quoted cell closed") as err:
        reader(tmp_path / name)
    assert f"{name}:" in str(err.value) and "\n" not in str(err.value)


def test_cell_over_several_lines_where_one_row_per_line(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text('participant_id,group,role,site\nP1,"a\nb",c,d\nP2,a,b,c\n')
    with pytest.raises(InputError) as err:
        read_participants(tmp_path / "p.csv")
    assert str(err.value) == (f"{tmp_path / 'p.csv'}:2: expected one row per line (a line break inside a cell "
                              "here is usually a quote left open), got a quoted cell running from line 2 to line 3")
    (tmp_path / "r.csv").write_text('unit,a,b\n1,"1\n",1\n')
    with pytest.raises(InputError, match="r.csv:2: expected one row per line"):
        read_rating_table(tmp_path / "r.csv")
    # A transcript's utterance may hold a line break when quoted: still read.
    (tmp_path / "t.csv").write_text('speaker,text\nAnna,"two\nlines"\nBen,yes\n')
    assert [t.text for t in read_transcript(tmp_path / "t.csv").turns] == ["two lines", "yes"]


def test_semicolon_csv_in_other_readers(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("speaker;text\nAnna;hello, there\n")
    assert [(t.speaker, t.text) for t in read_transcript(tmp_path / "t.csv").turns] == [("Anna", "hello, there")]
    (tmp_path / "r.csv").write_text("unit;a;b\n1;yes;no\n")
    assert read_rating_table(tmp_path / "r.csv") == (["a", "b"], ["1"], [["yes", "no"]])
    assert safe.csv_delimiter("\n\na,b;c\n") == "," and safe.csv_delimiter("a\tb\n") == "\t"
