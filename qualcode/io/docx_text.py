"""The text of a Word ``.docx`` in document order: paragraphs, headings and tables.

Read straight from ``word/document.xml`` through :mod:`qualcode.io.safe` (bounded zip
member, XML without entities, nesting limited) rather than through python-docx, so that
a broken or hostile file is one clear error, and so that what python-docx's
``document.paragraphs`` leaves out is kept:

* tables: each row becomes lines in document order; a row of two or more cells whose
  first cell is a speaker label (``Interviewer`` | ``How are you?``) becomes
  ``Interviewer: How are you?``, as a transcript laid out in a table means;
* headings (a ``Heading …``/``Title`` style or an outline level) are kept as procedural
  lines: part of the text, never coded.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from qualcode.errors import InputError
from qualcode.io import safe

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLES = ("heading", "title", "subtitle", "berschrift", "titre", "kop", "titolo")


def _paragraph_text(p: ET.Element) -> str:
    parts: list[str] = []
    for el in p.iter():
        tag = el.tag
        if tag == W + "t":
            parts.append(el.text or "")
        elif tag == W + "tab":
            parts.append("\t")
        elif tag in (W + "br", W + "cr"):
            parts.append("\n")
    return "".join(parts)


def _is_heading(p: ET.Element) -> bool:
    ppr = p.find(W + "pPr")
    if ppr is None:
        return False
    if ppr.find(W + "outlineLvl") is not None:
        return True
    style = ppr.find(W + "pStyle")
    value = (style.get(W + "val") or "").lower() if style is not None else ""
    return any(value.startswith(h) or h in value for h in _HEADING_STYLES)


def _table_lines(tbl: ET.Element) -> list[str]:
    from qualcode.io.transcripts import is_speaker_label

    lines: list[str] = []
    for tr in tbl.iter(W + "tr"):
        cells = []
        for tc in tr.findall(W + "tc"):
            paras = [_paragraph_text(p) for p in tc.iter(W + "p")]
            cells.append("\n".join(x for x in paras if x.strip()).strip())
        cells = [c for c in cells]
        if len(cells) >= 2 and cells[0] and "\n" not in cells[0] and not cells[0].endswith(":") \
                and is_speaker_label(cells[0]) and any(cells[1:]):
            lines.append(f"{cells[0]}: " + " ".join(" ".join(c.split()) for c in cells[1:] if c))
        else:
            lines.extend(c for c in cells if c)
    return lines


def docx_text(data: bytes, path: str | Path) -> tuple[str, frozenset[int]]:
    """(text, indices of its lines that are headings) of a ``.docx``'s body."""
    zf = safe.open_zip(data, path, "a Word .docx document (a zip archive)")
    with zf:
        names = {n.lower(): n for n in zf.namelist()}
        member = names.get("word/document.xml")
        if member is None:
            raise InputError(path, "a Word .docx document with word/document.xml inside",
                             ", ".join(sorted(zf.namelist())[:5]) or "an empty zip")
        xml = safe.read_zip_member(zf, member, path)
    root = safe.parse_xml(xml, path, "Word document XML")
    if root.tag != W + "document":
        raise InputError(path, "a Word document whose XML root is <w:document>", f"<{root.tag}>")
    body = root.find(W + "body")
    if body is None:
        raise InputError(path, "a Word document with a <w:body>", "none")
    lines: list[str] = []
    headings: set[int] = set()
    for block in body:
        if block.tag == W + "p":
            text = _paragraph_text(block)
            if _is_heading(block) and text.strip():
                headings.add(len(lines))
                text = " ".join(text.split())
            lines.extend(text.split("\n"))
        elif block.tag == W + "tbl":
            for line in _table_lines(block):
                lines.extend(line.split("\n"))
        elif block.tag == W + "sdt":  # a content control (e.g. a table of contents) holds paragraphs
            for p in block.iter(W + "p"):
                lines.extend(_paragraph_text(p).split("\n"))
    text = "\n".join(lines)
    if not text.strip():
        raise InputError(path, "a Word document with some text", "an empty document")
    return text, frozenset(headings)
