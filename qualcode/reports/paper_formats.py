"""The theme report in HTML, Word (DOCX) and Excel (XLSX), from one ReportData.

* HTML: one self-contained page: inline CSS, charts as base64 PNG, no script, every text
  escaped;
* DOCX: the same as a Word document (headings, tables, charts, quotes, the framework
  matrix), ready to edit;
* XLSX: sheets *About*, *Counts*, *Co-occurrence*, *Framework matrix*, *Matrix references*,
  *Coded segments*, *Saturation* and *Charts*, so every number can be traced to its text.
  Every cell passes through :func:`qualcode.io.cells.safe_cell`.

Files are written to a temporary name and renamed, like every file qualcode writes.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.io.atomic import write_atomic
from qualcode.io.cells import safe_row
from qualcode.reports.charts import report_charts
from qualcode.reports.data import ReportData
from qualcode.reports.theme_report import report_data

if TYPE_CHECKING:
    from qualcode.store import Study

_CSS = """body{font-family:Georgia,serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:.25em .6em;vertical-align:top}
td.n{text-align:right;white-space:nowrap}blockquote{margin:.6em 0 .6em 1.2em;padding-left:.8em;border-left:3px solid #999}
.who{color:#555;font-style:normal}.def{color:#444}.note{color:#555;font-size:.9em}
figure{margin:1.5em 0}figure img{max-width:100%;height:auto}figcaption{color:#555;font-size:.9em}
.machine{color:#8a4b00}"""


def html_report(data: ReportData) -> str:
    e = html.escape
    groups = data.groups
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(data.title)}</title>"
           f"<style>{_CSS}</style></head><body><h1>{e(data.title)}</h1>", f"<p>{e(data.intro())}</p>"]
    charts = report_charts(data)
    out += [_figure(*charts[k]) for k in ("themes", "codes") if k in charts]
    for theme, subtree in data.sections():
        out.append(f"<h2>Theme: {e(theme.code.name)}</h2><p class='def'>{e(theme.code.definition)}</p>")
        out.append("<table><tr><th>code</th><th>participants</th><th>segments</th>" +
                   "".join(f"<th>{e(g)} (n={data.people[g]})</th>" for g in groups) + "</tr>")
        for s in subtree:
            name = ("&nbsp;" * 4 * s.depth) + (f"<b>{e(s.code.name)}</b>" if s.depth == 0 else e(s.code.name))
            out.append(f"<tr><td>{name}</td><td class='n'>{s.participants} of {data.n_participants}</td>"
                       f"<td class='n'>{s.segments}</td>" +
                       "".join(f"<td class='n'>{e(s.by[g].words())}</td>" for g in groups) + "</tr>")
        out.append(f"</table><p class='note'>{e(data.cell_caption())}</p>")
        for s in subtree:
            tag = "h3" if s.depth == 0 else "h4"
            out.append(f"<{tag}>{e('Representative quotes for the theme' if s.depth == 0 else s.code.name)}</{tag}>")
            if not s.quotes:
                out.append("<p><i>" + ("No quotable sentence (8–60 words) in its coded segments."
                                       if s.segments else "No coded segments yet.") + "</i></p>")
            for q in s.quotes:
                cls = " class='machine'" if q.marker else ""
                out.append(f"<blockquote>“{e(q.text)}” <span class='who'{cls}>{e(q.cite())}</span></blockquote>")
    out.append("<h2>Co-occurrence</h2>" + _cooccurrence_html(data))
    if "heatmap" in charts:
        out.append(_figure(*charts["heatmap"]))
    out.append("<h2>Saturation</h2>" + _saturation_html(data))
    if "saturation" in charts:
        out.append(_figure(*charts["saturation"]))
    out.append("</body></html>\n")
    return "\n".join(out)


def _figure(caption: str, image: bytes) -> str:
    e = html.escape
    return (f"<figure><img alt='{e(caption)}' src='data:image/png;base64,{base64.b64encode(image).decode('ascii')}'>"
            f"<figcaption>{e(caption)}</figcaption></figure>")


def _cooccurrence_html(data: ReportData, limit: int = 30) -> str:
    e = html.escape
    pairs = [p for p in data.pairs if p.both][:limit]
    head = (f"<p class='note'>Segments coded with both codes ({e(data.counted_short())}); Jaccard = segments "
            "with both / segments with either.</p>")
    if not pairs:
        return head + "<p><i>No two codes share a segment.</i></p>"
    rows = "".join(f"<tr><td>{e(data.name(p.a))}</td><td>{e(data.name(p.b))}</td><td class='n'>{p.both}</td>"
                   f"<td class='n'>{p.either}</td><td class='n'>{p.jaccard:.2f}</td></tr>" for p in pairs)
    return head + ("<table><tr><th>code</th><th>code</th><th>both</th><th>either</th><th>Jaccard</th></tr>"
                   f"{rows}</table>")


def _saturation_html(data: ReportData) -> str:
    e = html.escape
    out = [f"<p class='note'>New codes per successive interview (import order), after Guest, Bunce and "
           f"Johnson (2006). Codes counted: {e(data.counted_short())}.</p>"]
    for g in data.saturation:
        c = g.curve
        out.append(f"<p><b>{e(g.group)}</b>: {e(c.sentence())}.</p><table><tr><th>interview</th>"
                   "<th>new codes</th><th>cumulative</th></tr>" +
                   "".join(f"<tr><td>{i}. {e(n)}</td><td class='n'>{new}</td><td class='n'>{cum}</td></tr>"
                           for i, (n, new, cum) in enumerate(zip(c.interviews, c.new, c.cumulative, strict=True), 1))
                   + "</table>")
    return "".join(out)


def docx_report(data: ReportData) -> bytes:
    from docx import Document
    from docx.shared import Inches

    from qualcode.reports.framework import matrix_docx

    doc = Document()
    doc.add_heading(data.title, level=0)
    doc.add_paragraph(data.intro())
    charts = report_charts(data)

    def picture(name: str) -> None:
        if name in charts:
            doc.add_picture(io.BytesIO(charts[name][1]), width=Inches(6.0))
            doc.add_paragraph(charts[name][0])

    picture("themes")
    picture("codes")
    groups = data.groups
    for theme, subtree in data.sections():
        doc.add_heading(f"Theme: {theme.code.name}", level=1)
        doc.add_paragraph(theme.code.definition)
        table = doc.add_table(rows=1, cols=3 + len(groups))
        table.style = "Table Grid"
        header = ["code", "participants", "segments", *[f"{g} (n={data.people[g]})" for g in groups]]
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            cell.text = text
        for s in subtree:
            row = table.add_row().cells
            row[0].text = ("    " * s.depth) + s.code.name
            row[1].text, row[2].text = f"{s.participants} of {data.n_participants}", str(s.segments)
            for j, g in enumerate(groups):
                row[3 + j].text = s.by[g].words()
        doc.add_paragraph(data.cell_caption())
        for s in subtree:
            doc.add_heading("Representative quotes for the theme" if s.depth == 0 else s.code.name,
                            level=2 if s.depth == 0 else 3)
            if not s.quotes:
                doc.add_paragraph("No quotable sentence (8–60 words) in its coded segments." if s.segments
                                  else "No coded segments yet.").runs[0].italic = True
            for q in s.quotes:
                p = doc.add_paragraph(style="Quote")
                p.add_run(f"“{q.text}” ")
                p.add_run(q.cite()).italic = False
    doc.add_heading("Co-occurrence", level=1)
    pairs = [p for p in data.pairs if p.both][:30]
    doc.add_paragraph(f"Segments coded with both codes ({data.counted_short()}); Jaccard = with both / with either.")
    if pairs:
        table = doc.add_table(rows=1, cols=5)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ["code", "code", "both", "either", "Jaccard"], strict=True):
            cell.text = text
        for p in pairs:
            for cell, text in zip(table.add_row().cells, [data.name(p.a), data.name(p.b), str(p.both),
                                                          str(p.either), f"{p.jaccard:.2f}"], strict=True):
                cell.text = text
    picture("heatmap")
    doc.add_heading("Saturation", level=1)
    doc.add_paragraph(f"New codes per successive interview (import order), after Guest, Bunce and Johnson (2006). "
                      f"Codes counted: {data.counted_short()}.")
    for g in data.saturation:
        doc.add_paragraph(f"{g.group}: {g.curve.sentence()}.")
    picture("saturation")
    if data.matrix is not None:
        matrix_docx(doc, data.matrix, data.codebook, data.counted_short())
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def report_workbook(data: ReportData):  # noqa: ANN201 (an openpyxl Workbook; imported lazily)
    """The workbook of every table (see the module doc)."""
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Font

    from qualcode.reports.framework import code_paths, matrix_sheet

    paths = code_paths(data.codebook)
    wb = Workbook()
    about = wb.active
    about.title = "About"
    for line in (data.title, data.intro(), data.cell_caption()):
        about.append(safe_row([line]))
    counts = wb.create_sheet("Counts")
    counts.append(safe_row(["theme", "code", "level", "participants", "of", "segments",
                            *[f"{g}: participants" for g in data.groups], *[f"{g}: of" for g in data.groups],
                            *[f"{g}: segments" for g in data.groups]]))
    for s in data.summaries:
        counts.append(safe_row([data.codebook.theme_of(s.code.id).name, paths[s.code.id], s.depth, s.participants,
                                data.n_participants, s.segments, *[s.by[g].participants for g in data.groups],
                                *[s.by[g].of for g in data.groups], *[s.by[g].segments for g in data.groups]]))
    co = wb.create_sheet("Co-occurrence")
    co.append(["code", "code", "both", "either", "jaccard", "segments"])
    for p in data.pairs:
        co.append(safe_row([paths[p.a], paths[p.b], p.both, p.either, round(p.jaccard, 4),
                            " ".join(str(i) for i in p.segment_ids)]))
    if data.matrix is not None:
        matrix_sheet(wb, data.matrix, data.codebook, data.counted_short())
    coded = wb.create_sheet("Coded segments")
    coded.append(safe_row(["theme", "code", "participant", data.by_words(), "transcript", "segment", "start",
                           "end", "kind", "score", "note", "text"]))
    for r in data.rows:
        coded.append(safe_row([data.codebook.theme_of(r.code_id).name, paths[r.code_id], r.participant, r.group,
                               r.transcript, r.segment_id, r.start, r.end, r.kind, round(r.score, 4), r.marker,
                               r.text]))
    sat = wb.create_sheet("Saturation")
    sat.append(["group", "position", "interview", "new codes", "cumulative", "total", "saturation point"])
    for g in data.saturation:
        c = g.curve
        for i, (name, new, cum) in enumerate(zip(c.interviews, c.new, c.cumulative, strict=True), 1):
            sat.append(safe_row([g.group, i, name, new, cum, c.total, c.point]))
    charts = wb.create_sheet("Charts")
    row = 1
    for caption, image in report_charts(data).values():
        charts.cell(row, 1, safe_row([caption])[0])
        picture = Image(io.BytesIO(image))
        charts.add_image(picture, f"A{row + 1}")
        row += 2 + int(picture.height / 20)
    for sheet in (counts, co, sat):  # every table says whose coding it counts
        sheet.append([])
        sheet.append(safe_row([f"Counted: {data.counted()}."]))
    for sheet in wb.worksheets:
        if sheet.title not in ("About", "Charts"):
            for cell in sheet[1]:
                cell.font = Font(bold=True)
    return wb


def xlsx_report(data: ReportData) -> bytes:
    buf = io.BytesIO()
    report_workbook(data).save(buf)
    return buf.getvalue()


def write_html_report(study_or_data: Study | ReportData, path: str | Path, **options: Any) -> None:
    write_atomic(path, html_report(report_data(study_or_data, **options)).encode("utf-8"))


def write_docx_report(study_or_data: Study | ReportData, path: str | Path, **options: Any) -> None:
    write_atomic(path, docx_report(report_data(study_or_data, **options)))


def write_xlsx_report(study_or_data: Study | ReportData, path: str | Path, **options: Any) -> None:
    write_atomic(path, xlsx_report(report_data(study_or_data, **options)))


write_framework_xlsx = write_xlsx_report  # the name the CLI used before


def framework_workbook(study_or_data: Study | ReportData, **options: Any):  # noqa: ANN201
    return report_workbook(report_data(study_or_data, **options))
