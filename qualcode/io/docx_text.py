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


MAX_TEXT_CHARS = safe.MAX_FILE_BYTES
"""Most characters of text in one ``.docx`` (as many as a ``.txt`` may hold), checked
while the document is read: a compressed file may hold far more text than its size."""


def _block_lines(block: ET.Element, headings: set[int], n_lines: int) -> list[str]:
    """The lines of one top-level block of ``<w:body>`` (``n_lines``: lines before it)."""
    lines: list[str] = []
    if block.tag == W + "p":
        text = _paragraph_text(block)
        if _is_heading(block) and text.strip():
            headings.add(n_lines)
            text = " ".join(text.split())
        lines.extend(text.split("\n"))
    elif block.tag == W + "tbl":
        for line in _table_lines(block):
            lines.extend(line.split("\n"))
    elif block.tag == W + "sdt":  # a content control (e.g. a table of contents) holds paragraphs
        for p in block.iter(W + "p"):
            lines.extend(_paragraph_text(p).split("\n"))
    return lines


def docx_text(data: bytes, path: str | Path) -> tuple[str, frozenset[int]]:
    """(text, indices of its lines that are headings) of a ``.docx``'s body.

    ``word/document.xml`` is streamed (:func:`qualcode.io.safe.iter_zip_member` into
    :func:`qualcode.io.safe.iter_xml`): each top-level block of the body (paragraph,
    table, content control) is turned into lines at its end and then dropped, so memory
    follows the text, not the XML tree (about 20x the text for a whole tree).
    """
    zf = safe.open_zip(data, path, "a Word .docx document (a zip archive)")
    lines: list[str] = []
    headings: set[int] = set()
    chars = -1  # len("\n".join(lines))
    with zf:
        names = {n.lower(): n for n in zf.namelist()}
        member = names.get("word/document.xml")
        if member is None:
            raise InputError(path, "a Word .docx document with word/document.xml inside",
                             ", ".join(sorted(zf.namelist())[:5]) or "an empty zip")
        stack: list[ET.Element] = []  # the open elements, root first
        body: ET.Element | None = None
        for event, el in safe.iter_xml(safe.iter_zip_member(zf, member, path, chunk_bytes=1 << 16), path,
                                       "Word document XML"):
            if event == "start":
                stack.append(el)
                if len(stack) == 1 and el.tag != W + "document":
                    raise InputError(path, "a Word document whose XML root is <w:document>", f"<{el.tag}>")
                if len(stack) == 2 and body is None and el.tag == W + "body":
                    body = el
                continue
            stack.pop()
            if body is not None and stack and stack[-1] is body:  # a block of the body, complete
                block_lines = _block_lines(el, headings, len(lines))
                lines.extend(block_lines)
                chars += sum(len(x) + 1 for x in block_lines)
                if chars > MAX_TEXT_CHARS:
                    raise InputError(path, f"a .docx whose text is at most {MAX_TEXT_CHARS:,} "
                                     "characters (qualcode's limit)", "more")
                el.clear()
                body.remove(el)  # the first child: blocks end in order
            elif len(stack) == 1:  # the body, or something beside it that is never read
                el.clear()
                stack[0].remove(el)
    if body is None:
        raise InputError(path, "a Word document with a <w:body>", "none")
    text = "\n".join(lines)
    if not text.strip():
        raise InputError(path, "a Word document with some text", "an empty document")
    return text, frozenset(headings)
