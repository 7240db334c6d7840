"""The streamed .docx reader and XML/zip hardening: same text as a whole tree, bounded memory,
the .docx text limit, and parse_xml's refusals unchanged now that it goes through iter_xml."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from qualcode.errors import CodebookError, InputError
from qualcode.io import docx_text as dx
from qualcode.io import safe
from qualcode.io.transcripts import read_transcript

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _zip(xml: str | bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", xml)
    return buf.getvalue()


def _p(text: str, style: str = "") -> str:
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{ppr}<w:r><w:t>{text}</w:t></w:r></w:p>"


def _tc(*paras: str) -> str:
    return "<w:tc>" + "".join(_p(x) for x in paras) + "</w:tc>"


def _whole_tree(xml: str) -> tuple[str, frozenset[int]]:
    """What docx_text gave before it streamed: every block of the body of the whole tree."""
    body = ET.fromstring(xml).find(dx.W + "body")
    lines: list[str] = []
    headings: set[int] = set()
    for block in body:
        lines.extend(dx._block_lines(block, headings, len(lines)))
    return "\n".join(lines), frozenset(headings)


BLOCKS = [
    _p("Interview 3", "Heading1"), _p("Interviewer: How was it?"),
    "<w:tbl><w:tr>" + _tc("Anna") + _tc("Fine,", "thanks.") + "</w:tr>"
    + "<w:tr>" + _tc("a note") + _tc("") + "</w:tr></w:tbl>",
    "<w:sdt><w:sdtContent>" + _p("Contents") + _p("1 Intro") + "</w:sdtContent></w:sdt>",
    "<w:p><w:r><w:t>Anna: one</w:t><w:br/><w:t>two</w:t><w:tab/><w:t>three</w:t></w:r></w:p>",
    '<w:bookmarkStart w:id="0"/>', _p("   ", "Heading2"), _p("Part two", "Title"),
]


def test_small_docx_exact_text_and_headings() -> None:
    xml = f"<w:document {W}><w:body>{''.join(BLOCKS)}<w:sectPr/></w:body></w:document>"
    text, headings = dx.docx_text(_zip(xml), "t.docx")
    assert text == ("Interview 3\nInterviewer: How was it?\nAnna: Fine, thanks.\na note\nContents\n1 Intro\n"
                    "Anna: one\ntwo\tthree\n   \nPart two")
    assert headings == {0, 9}
    assert (text, headings) == _whole_tree(xml)


def test_streamed_text_same_as_whole_tree_across_many_chunks() -> None:
    # ~3 MB of XML: blocks straddle the 64 KiB chunks; a background beside the body and a
    # second body are ignored, as before.
    blocks = "".join(BLOCKS[i % len(BLOCKS)].replace("Anna", f"P{i % 97:02d}") for i in range(30_000))
    xml = (f"<w:document {W}><w:background>{_p('not text')}</w:background><w:body>{blocks}<w:sectPr/>"
           f"</w:body><w:body>{_p('second body')}</w:body></w:document>")
    assert len(xml) > 3_000_000
    text, headings = dx.docx_text(_zip(xml), "t.docx")
    assert (text, headings) == _whole_tree(xml)
    assert "second body" not in text and "not text" not in text and len(headings) == 7500


def test_memory_follows_the_text_not_the_tree() -> None:
    paras = "".join(_p(f"P01: line {i} of what was said in the interview") for i in range(20_000))
    data = _zip(f"<w:document {W}><w:body>{paras}</w:body></w:document>")
    tracemalloc.start()
    try:
        text, _ = dx.docx_text(data, "m.docx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # lines + joined text + one 64 KiB chunk's elements: ~3.5x; the whole tree was ~17x
    assert len(text) > 900_000 and peak < 6 * len(text)


def test_docx_text_limit_is_refused_while_streaming(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    xml = f"<w:document {W}><w:body>{_p('Anna: 0123456789')}{_p('Bob: 01234567')}</w:body></w:document>"
    (tmp_path / "ok.docx").write_bytes(_zip(xml))
    monkeypatch.setattr(dx, "MAX_TEXT_CHARS", 30)  # the text is exactly 16 + 1 + 13 characters
    assert read_transcript(tmp_path / "ok.docx").plain_text == "Anna: 0123456789\nBob: 01234567"
    monkeypatch.setattr(dx, "MAX_TEXT_CHARS", 29)
    with pytest.raises(InputError) as err:
        read_transcript(tmp_path / "ok.docx")
    assert str(err.value) == (f"{tmp_path / 'ok.docx'}: expected a .docx whose text is at most 29 characters "
                              "(qualcode's limit), got more")


def test_the_docx_text_limit_is_the_txt_limit() -> None:
    assert dx.MAX_TEXT_CHARS == safe.MAX_FILE_BYTES


@pytest.mark.parametrize(("xml", "message"), [
    (b'<!DOCTYPE d [<!ENTITY a "x">]><d>&a;</d>',
     "f.xml: expected Test XML without a document type declaration (<!DOCTYPE>, entities), got a <!DOCTYPE> "
     "declaration"),
    ("<!DOCTYPE d><d/>".encode("utf-16-le"),
     "f.xml: expected Test XML without a document type declaration (<!DOCTYPE>, entities), got a <!DOCTYPE> "
     "declaration"),
    (b"<a>\n<b>\n</a>", "f.xml:3: expected Test XML, got mismatched tag"),
    (b"", "f.xml:1: expected Test XML, got no element found"),
    (b"not xml", "f.xml:1: expected Test XML, got syntax error"),
    (b"<a/><b/>", "f.xml:1: expected Test XML, got junk after document element"),
    (b"<a>&#0;</a>", "f.xml:1: expected Test XML, got reference to invalid character number"),
    (b"<a>" * 101 + b"</a>" * 101,
     "f.xml: expected Test XML elements nested at most 100 levels deep (qualcode's limit on nesting), got more "
     "than 100 levels"),
    (b'<?xml version="1.0" encoding="x-unknown"?><a/>',
     "f.xml: expected Test XML in UTF-8, UTF-16 or another known encoding, got an unknown encoding (unknown "
     "encoding: x-unknown)"),
])
def test_parse_xml_refusals_unchanged(xml: bytes, message: str) -> None:
    with pytest.raises(InputError) as err:
        safe.parse_xml(xml, "f.xml", "Test XML")
    assert str(err.value) == message


def test_parse_xml_limits_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    assert safe.parse_xml(b"<a><b/><b/></a>", "f.xml").tag == "a"
    monkeypatch.setattr(safe, "MAX_XML_ELEMENTS", 3)
    assert len(safe.parse_xml(b"<a><b/><b/></a>", "f.xml")) == 2
    with pytest.raises(InputError) as err:
        safe.parse_xml(b"<a><b/><b/><b/></a>", "f.xml", "Test XML")
    assert str(err.value) == "f.xml: expected Test XML of at most 3 elements (qualcode's limit on XML size), got more"
    monkeypatch.setattr(safe, "MAX_CODES", 2)
    with pytest.raises(CodebookError, match=r"expected at most 2 codes .*, got more than 2 codes"):
        safe.parse_xml(b'<C xmlns="u"><Code/><Code/><Code/></C>', "f.qdc", "REFI-QDA XML", CodebookError,
                       code_tag="Code")
    monkeypatch.setattr(safe, "MAX_XML_BYTES", 10)
    with pytest.raises(InputError) as err:
        safe.parse_xml(b"<a>0123456789</a>", "f.xml", "Test XML")
    assert str(err.value) == "f.xml: expected a file of at most 10 bytes (qualcode's limit on file size), got 17 bytes"


def test_iter_xml_checks_a_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    # a <!DOCTYPE split across two chunks is still found, before the parser sees it
    with pytest.raises(InputError, match="without a document type declaration"):
        list(safe.iter_xml([b"<?xml version='1.0'?><!DOC", b"TYPE d><d/>"], "f.xml"))
    events = [(e, el.tag) for e, el in safe.iter_xml([b"<a><b", b"/></a>"], "f.xml")]
    assert events == [("start", "a"), ("start", "b"), ("end", "b"), ("end", "a")]
    monkeypatch.setattr(safe, "MAX_XML_BYTES", 12)
    with pytest.raises(InputError) as err:
        list(safe.iter_xml([b"<a>", b"0123456789", b"</a>"], "f.xml"))
    assert str(err.value) == "f.xml: expected a file of at most 12 bytes (qualcode's limit on file size), got more than 12 bytes"


def test_iter_zip_member_chunks_and_refuses_a_member_that_lies() -> None:
    data = _zip(b"x" * 300_000)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        chunks = list(safe.iter_zip_member(z, "word/document.xml", "t.docx", chunk_bytes=1 << 16))
        assert [len(c) for c in chunks] == [65536] * 4 + [300_000 - 4 * 65536]
        assert safe.read_zip_member(z, "word/document.xml", "t.docx") == b"x" * 300_000
        with pytest.raises(InputError, match=r"member 'word/document.xml' of at most 1,000 bytes .*, got 300,000"):
            next(safe.iter_zip_member(z, "word/document.xml", "t.docx", max_bytes=1000))
        z.getinfo("word/document.xml").file_size = 1000  # declares less than it holds
        with pytest.raises(InputError, match=r"expected an intact member 'word/document.xml', got a corrupt one"):
            list(safe.iter_zip_member(z, "word/document.xml", "t.docx", max_bytes=2000, chunk_bytes=100))
