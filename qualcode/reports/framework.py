"""The Framework Method matrix (Ritchie and Spencer 1994; Gale et al. 2013).

Rows are participants, grouped by an attribute (sorted by its value, then id); columns
are the codes at every level, in codebook order. A cell holds a *summary* of what that
participant said about that code, and the *references* to the coded text (transcript,
character offsets, segment id), so every summary can be checked against its data.

Summaries are written by supervisors (stored by :mod:`qualcode.store.matrix`, audited,
versioned). Until one is written a cell shows a machine draft, the participant's most
representative quotable sentence for the code (:func:`qualcode.reports.quotes.best_sentence`),
always marked ``DRAFT``, so nobody mistakes a machine pick for analysis.

Cells and summaries pass through the report's redactor like every quote.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qualcode.records import Code, Codebook, FrameworkSummary, Participant, Segment
from qualcode.redact import Redactor
from qualcode.reports.coding import Coded
from qualcode.reports.cooccurrence import ancestors
from qualcode.reports.quotes import best_sentence, keywords

DRAFT = "DRAFT (machine: most representative sentence)"


@dataclass(frozen=True)
class Ref:
    segment_id: int
    transcript: str
    start: int
    end: int

    def words(self) -> str:
        return f"{self.transcript} {self.start}–{self.end} (segment {self.segment_id})"


@dataclass(frozen=True)
class MatrixCell:
    text: str  # the summary or the draft sentence ("" when the participant has no coding)
    status: str  # "summary" | "draft" | ""
    refs: tuple[Ref, ...] = ()
    author: str = ""
    version: int = 0  # the stored summary's version (0: none stored), for stale-write checks

    def display(self, short: bool = False) -> str:
        """The cell as a report prints it; ``short``: with the draft marked just ``DRAFT``, for
        a table narrow enough that the long mark would hide the sentence (the page's caption
        says what a draft is)."""
        mark = "DRAFT" if short else DRAFT
        if self.status == "draft":
            return f"{mark}: “{self.text}”" if self.text else f"{mark}: no whole sentence of 8–60 words; see the references"
        if self.status == "summary":
            return f"{self.text} [summary by {self.author}, v{self.version}]"
        return ""

    def references(self) -> str:
        return "; ".join(r.words() for r in self.refs)


@dataclass(frozen=True)
class MatrixRow:
    participant: str
    group: str
    attribution: str
    cells: Mapping[str, MatrixCell]


@dataclass(frozen=True)
class Matrix:
    by: str
    columns: tuple[tuple[Code, int], ...]  # (code, depth) in codebook order
    rows: tuple[MatrixRow, ...]

    def drafts(self) -> int:
        return sum(1 for r in self.rows for c in r.cells.values() if c.status == "draft")

    def written(self) -> int:
        return sum(1 for r in self.rows for c in r.cells.values() if c.status == "summary")


def code_paths(codebook: Codebook) -> dict[str, str]:
    """code id → "Theme / Code / Sub-code" (column headers name the whole path)."""
    out = {}
    for code in codebook:
        chain = [codebook.get(a).name for a in sorted(ancestors(codebook, code.id),
                                                      key=lambda a: -len(ancestors(codebook, a)))]
        out[code.id] = " / ".join([*reversed(chain), code.name]) if chain else code.name
    return out


def _columns(codebook: Codebook) -> tuple[tuple[Code, int], ...]:
    out: list[tuple[Code, int]] = []

    def visit(code: Code, depth: int) -> None:
        out.append((code, depth))
        for child in codebook.children(code.id):
            visit(child, depth + 1)

    for root in codebook.roots():
        visit(root, 0)
    return tuple(out)


def build_matrix(codebook: Codebook, segments: Sequence[Segment], participants: Sequence[Participant],
                 coding: Mapping[int, Mapping[str, Coded]], by: str,
                 stored: Mapping[tuple[str, str], FrameworkSummary], redactor: Redactor) -> Matrix:
    """The matrix for the participants with at least one coded segment."""
    from qualcode.reports.data import attribute_value

    people = {p.participant_id: p for p in participants}
    known = set(codebook.ids())
    columns = _columns(codebook)
    words = {c.id: keywords(c) for c, _ in columns}
    hits: dict[str, dict[str, list[Segment]]] = {}
    first_seg: dict[str, Segment] = {}
    for seg in sorted(segments, key=lambda s: (s.transcript, s.start)):
        if not seg.participant_id or seg.id not in coding:
            continue
        for code_id in coding[seg.id]:
            if code_id not in known:
                continue
            for c in {code_id, *ancestors(codebook, code_id)}:
                cell = hits.setdefault(seg.participant_id, {}).setdefault(c, [])
                if seg not in cell:
                    cell.append(seg)
        first_seg.setdefault(seg.participant_id, seg)
    rows = []
    for pid in hits:
        cells = {}
        for code, _depth in columns:
            segs = hits[pid].get(code.id, [])
            refs = tuple(Ref(s.id, s.transcript, s.start, s.end) for s in segs)
            saved = stored.get((pid, code.id))
            if saved is not None and saved.text.strip():
                cells[code.id] = MatrixCell(redactor.text(saved.text), "summary", refs, saved.updated_by,
                                            saved.version)
                continue
            version = saved.version if saved is not None else 0
            picks = [(b, s) for s in segs if (b := best_sentence(s.text, words[code.id])) is not None]
            if picks:
                (sentence, _score), _seg = max(picks, key=lambda p: (p[0][1], -abs(p[0][0].words - 25)))
                cells[code.id] = MatrixCell(redactor.text(" ".join(sentence.text.split())), "draft", refs,
                                            version=version)
            elif segs:
                cells[code.id] = MatrixCell("", "draft", refs, version=version)
            else:
                cells[code.id] = MatrixCell("", "", (), version=version)
        person = people.get(pid)
        rows.append(MatrixRow(pid, attribute_value(person, by), first_seg[pid].attribution(), cells))
    rows.sort(key=lambda r: (r.group, r.participant))
    return Matrix(by, columns, tuple(rows))


def matrix_sheet(wb: object, matrix: Matrix, codebook: Codebook, counted: str) -> None:
    """Add sheets *Framework matrix* (summaries or drafts) and *Matrix references* to ``wb``."""
    from openpyxl.styles import Alignment, Font

    from qualcode.io.cells import safe_row

    paths = code_paths(codebook)
    sheet = wb.create_sheet("Framework matrix")  # type: ignore[attr-defined]
    sheet.append(safe_row(["participant", matrix.by, *[paths[c.id] for c, _ in matrix.columns]]))
    for row in matrix.rows:
        values = [row.participant, row.group]
        for code, _ in matrix.columns:
            cell = row.cells[code.id]
            text = cell.display()
            if cell.refs:
                text = (text + "\n" if text else "") + "Refs: " + cell.references()
            values.append(text)
        sheet.append(safe_row(values))
    sheet.append([])
    sheet.append(safe_row([f"Coding: {counted}. {DRAFT}: picked by the machine until a supervisor writes "
                           f"a summary (in the app's Framework page)."]))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "C2"
    for col in range(3, 3 + len(matrix.columns)):
        sheet.column_dimensions[sheet.cell(1, col).column_letter].width = 48
        for r in sheet.iter_rows(min_row=2, max_row=1 + len(matrix.rows), min_col=col, max_col=col):
            r[0].alignment = Alignment(wrap_text=True, vertical="top")
    refs = wb.create_sheet("Matrix references")  # type: ignore[attr-defined]
    refs.append(safe_row(["participant", matrix.by, "code", "status", "summary", "transcript", "segment", "start",
                          "end"]))
    for row in matrix.rows:
        for code, _ in matrix.columns:
            cell = row.cells[code.id]
            for ref in cell.refs:
                refs.append(safe_row([row.participant, row.group, paths[code.id], cell.status or "none",
                                      cell.display(), ref.transcript, ref.segment_id, ref.start, ref.end]))
    for c in refs[1]:
        c.font = Font(bold=True)
    refs.freeze_panes = "A2"


def matrix_docx(doc: object, matrix: Matrix, codebook: Codebook, counted: str) -> None:
    """Append the matrix to a python-docx Document: one table per theme (participants ×
    the theme and its codes), so a page is wide enough to read."""
    paths = code_paths(codebook)
    doc.add_heading("Framework matrix", level=1)  # type: ignore[attr-defined]
    doc.add_paragraph(f"Rows: participants grouped by {matrix.by}; columns: codes at every level. "  # type: ignore[attr-defined]
                      f"Coding: {counted}. {matrix.written()} cells hold a supervisor's summary, "
                      f"{matrix.drafts()} a machine draft marked {DRAFT}.")
    if not matrix.rows:
        doc.add_paragraph("No participant has coded segments yet.")  # type: ignore[attr-defined]
        return
    themes = [i for i, (_, depth) in enumerate(matrix.columns) if depth == 0] + [len(matrix.columns)]
    for a, b in zip(themes, themes[1:], strict=False):
        cols = matrix.columns[a:b]
        doc.add_heading(f"Theme: {cols[0][0].name}", level=2)  # type: ignore[attr-defined]
        table = doc.add_table(rows=1, cols=2 + len(cols))  # type: ignore[attr-defined]
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ["participant", matrix.by, *[paths[c.id] for c, _ in cols]],
                              strict=True):
            cell.text = text
        for row in matrix.rows:
            cells = table.add_row().cells
            cells[0].text, cells[1].text = row.participant, row.group
            for j, (code, _) in enumerate(cols):
                m = row.cells[code.id]
                cells[2 + j].text = m.display() + (("\nRefs: " + m.references()) if m.refs else "")


def matrix_docx_bytes(data: object) -> bytes:
    """A Word file holding only the framework matrix of a ReportData."""
    from docx import Document
    from docx.enum.section import WD_ORIENT

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    doc.add_heading(f"{data.title}: framework matrix", level=0)  # type: ignore[attr-defined]
    if data.matrix is not None:  # type: ignore[attr-defined]
        matrix_docx(doc, data.matrix, data.codebook, data.counted_short())  # type: ignore[attr-defined]
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
