"""The theme report for papers in HTML, Word (DOCX) and Excel (XLSX), and the framework matrix.

All three come from :func:`qualcode.reports.theme_report.summarise`, so they count exactly
what the Markdown report counts (same ``source`` and ``threshold``):

* HTML: one self-contained page (inline CSS, every text escaped), a table of counts by
  participant group per theme, then attributed quotes;
* DOCX: the same as a Word document (headings, tables, quotes), ready to edit;
* XLSX: sheet *Counts* (code × group: segments and participants), sheet *Framework matrix*
  (the framework method's chart: one row per participant with group, role and site, one
  column per theme, each cell the participant's coded segments under that theme with
  their segment ids), and sheet *Quotes* (every coded segment: code, participant,
  attributes, transcript, offsets, text), so every number can be traced to its text.

Files are written to a temporary name and renamed, like every file qualcode writes.
"""

from __future__ import annotations

import html
import io
from pathlib import Path

from qualcode.io.atomic import write_atomic
from qualcode.io.cells import safe_cell
from qualcode.reports.theme_report import coded_segments, summarise
from qualcode.store import Study

_CSS = """body{font-family:Georgia,serif;max-width:56em;margin:2em auto;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:.25em .6em}
td.n{text-align:right}blockquote{margin:.6em 0 .6em 1.2em;padding-left:.8em;border-left:3px solid #999}
.who{color:#555;font-style:normal}.def{color:#444}"""


def html_report(study: Study, source: str = "auto", threshold: float = 0.5, title: str | None = None) -> str:
    data = summarise(study, source, threshold)
    groups = data.groups
    e = html.escape
    title = title or f"Theme report: {study.folder.name}"
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>"
           f"<style>{_CSS}</style></head><body><h1>{e(title)}</h1>",
           f"<p>{e(data.intro(source, threshold))}</p>"]
    for theme, subtree in data.sections():
        out.append(f"<h2>Theme: {e(theme.code.name)}</h2><p class='def'>{e(theme.code.definition)}</p>")
        out.append("<table><tr><th>code</th><th>segments</th><th>participants</th>" +
                   "".join(f"<th>{e(g)}</th>" for g in groups) + "</tr>")
        for s in subtree:
            name = ("&nbsp;" * 4 * s.depth) + (f"<b>{e(s.code.name)}</b>" if s.depth == 0 else e(s.code.name))
            out.append(f"<tr><td>{name}</td><td class='n'>{s.segments}</td><td class='n'>{s.participants}</td>" +
                       "".join(f"<td class='n'>{s.by_group[g][0]} ({s.by_group[g][1]})</td>" for g in groups) +
                       "</tr>")
        out.append("</table><p><small>Cells by group: segments (participants).</small></p>")
        for s in subtree:
            tag = "h3" if s.depth == 0 else "h4"
            label = "Representative quotes for the theme" if s.depth == 0 else s.code.name
            out.append(f"<{tag}>{e(label)}</{tag}>")
            if not s.quotes:
                out.append("<p><i>No coded segments yet.</i></p>")
            for seg, _ in s.quotes:
                out.append(f"<blockquote>“{e(' '.join(seg.text.split()))}” "
                           f"<span class='who'>({e(seg.attribution())})</span></blockquote>")
    out.append("</body></html>\n")
    return "\n".join(out)


def write_html_report(study: Study, path: str | Path, **options: object) -> None:
    write_atomic(path, html_report(study, **options).encode("utf-8"))  # type: ignore[arg-type]


def docx_report(study: Study, source: str = "auto", threshold: float = 0.5, title: str | None = None) -> bytes:
    from docx import Document

    data = summarise(study, source, threshold)
    groups = data.groups
    doc = Document()
    doc.add_heading(title or f"Theme report: {study.folder.name}", level=0)
    doc.add_paragraph(data.intro(source, threshold))
    for theme, subtree in data.sections():
        doc.add_heading(f"Theme: {theme.code.name}", level=1)
        doc.add_paragraph(theme.code.definition)
        table = doc.add_table(rows=1, cols=3 + len(groups))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ["code", "segments", "participants", *groups], strict=True):
            cell.text = text
        for s in subtree:
            row = table.add_row().cells
            row[0].text = ("    " * s.depth) + s.code.name
            row[1].text, row[2].text = str(s.segments), str(s.participants)
            for j, g in enumerate(groups):
                row[3 + j].text = f"{s.by_group[g][0]} ({s.by_group[g][1]})"
        doc.add_paragraph("Cells by group: segments (participants).")
        for s in subtree:
            doc.add_heading("Representative quotes for the theme" if s.depth == 0 else s.code.name,
                            level=2 if s.depth == 0 else 3)
            if not s.quotes:
                doc.add_paragraph("No coded segments yet.").runs[0].italic = True
            for seg, _ in s.quotes:
                p = doc.add_paragraph(style="Quote")
                p.add_run(f"“{' '.join(seg.text.split())}” ")
                p.add_run(f"({seg.attribution()})").italic = False
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def write_docx_report(study: Study, path: str | Path, **options: object) -> None:
    write_atomic(path, docx_report(study, **options))  # type: ignore[arg-type]


def framework_workbook(study: Study, source: str = "auto", threshold: float = 0.5):  # noqa: ANN201
    """An openpyxl Workbook: Counts, Framework matrix, Quotes (see module doc)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    codebook, summaries, groups, _, _ = summarise(study, source, threshold, n_quotes=1)
    coding = coded_segments(study, source, threshold)
    segments = {s.id: s for s in study.segments(codeable_only=True)}
    bold = Font(bold=True)
    wb = Workbook()
    counts = wb.active
    counts.title = "Counts"
    counts.append(["theme", "code", "level", "segments", "participants",
                   *[f"{g}: segments" for g in groups], *[f"{g}: participants" for g in groups]])
    for s in summaries:
        theme = codebook.theme_of(s.code.id)
        counts.append([theme.name, s.code.name, s.depth, s.segments, s.participants,
                       *[s.by_group[g][0] for g in groups], *[s.by_group[g][1] for g in groups]])
    themes = codebook.roots()
    matrix = wb.create_sheet("Framework matrix")
    matrix.append(["participant", "group", "role", "site", *[t.name for t in themes]])
    rows: dict[str, dict[str, list[str]]] = {}
    info: dict[str, tuple[str, str, str]] = {}
    quotes = wb.create_sheet("Quotes")
    quotes.append(["theme", "code", "participant", "group", "role", "site", "transcript", "segment",
                   "start", "end", "score", "text"])
    for seg_id in sorted(coding, key=lambda i: (segments[i].transcript, segments[i].start) if i in segments else ("", 0)):
        seg = segments.get(seg_id)
        if seg is None:
            continue
        who = seg.participant_id or seg.speaker or "unknown"
        info.setdefault(who, (seg.group, seg.role, seg.site))
        text = " ".join(seg.text.split())
        for code_id, score in sorted(coding[seg_id].items()):
            try:
                theme = codebook.theme_of(code_id)
            except KeyError:  # a code no longer in the codebook
                continue
            quotes.append([theme.name, codebook.get(code_id).name, who, seg.group, seg.role, seg.site,
                           seg.transcript, seg.id, seg.start, seg.end, round(score, 4), text])
            cell = rows.setdefault(who, {}).setdefault(theme.id, [])
            entry = f"[{seg.id}] {text}"
            if entry not in cell:
                cell.append(entry)
    for who in sorted(rows):
        group, role, site = info[who]
        matrix.append([who, group, role, site, *["\n".join(rows[who].get(t.id, [])) for t in themes]])
    for sheet in (counts, matrix, quotes):
        for cell in (c for row in sheet.iter_rows() for c in row):  # no text read as a formula
            cell.value = safe_cell(cell.value)
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
    for col in range(5, 5 + len(themes)):
        matrix.column_dimensions[matrix.cell(1, col).column_letter].width = 60
        for row in matrix.iter_rows(min_row=2, min_col=col, max_col=col):
            row[0].alignment = Alignment(wrap_text=True, vertical="top")
    return wb


def write_framework_xlsx(study: Study, path: str | Path, **options: object) -> None:
    buf = io.BytesIO()
    framework_workbook(study, **options).save(buf)  # type: ignore[arg-type]
    write_atomic(path, buf.getvalue())
