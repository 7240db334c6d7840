"""The theme report as Markdown, and the names older callers import.

Per theme and code: participants and segments by any participant attribute (with their
denominators, "7 of 9"), representative quotes (whole sentences from different
participants, each saying whether it comes from a machine suggestion), code
co-occurrence and saturation. What is counted is chosen by ``source``
(:mod:`qualcode.reports.coding`) and said at the top and under every table.

Writers take a :class:`~qualcode.reports.data.ReportData`; the ``write_*`` functions also
accept a Study (they :func:`~qualcode.reports.data.collect` it first).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from qualcode.io.atomic import write_atomic
from qualcode.records import Codebook
from qualcode.reports.coding import SOURCES, as_scores
from qualcode.reports.data import ReportData, collect, study_coding

if TYPE_CHECKING:
    from qualcode.store import Study

__all__ = ["SOURCES", "coded_segments", "descendants", "markdown_report", "report_data", "write_markdown_report"]


def descendants(codebook: Codebook, code_id: str) -> set[str]:
    out = {code_id}
    for child in codebook.children(code_id):
        out |= descendants(codebook, child.id)
    return out


def coded_segments(study: Study, source: str = "best", threshold: float | None = None) -> dict[int, dict[str, float]]:
    """segment id → {code id: score}: the coding a report counts."""
    return as_scores(study_coding(study, source, threshold))


def report_data(study_or_data: Study | ReportData, **options: Any) -> ReportData:
    """``study_or_data`` itself when it is ReportData, else the study collected with ``options``."""
    if isinstance(study_or_data, ReportData):
        return study_or_data
    return collect(study_or_data, **options)


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell or line (no pipes, no raw HTML)."""
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\n", " "))


def markdown_report(data: ReportData) -> str:
    buf = io.StringIO()
    w = buf.write
    groups = data.groups
    w(f"# {_md(data.title)}\n\n{_md(data.intro())}\n\n")
    header = "| code | participants | segments | " + " | ".join(_md(g) for g in groups) + " |\n"
    rule = "|---|---:|---:|" + "---:|" * len(groups) + "\n"
    for theme, subtree in data.sections():
        w(f"## Theme: {_md(theme.code.name)}\n\n{_md(theme.code.definition)}\n\n")
        w(header + rule)
        for s in subtree:
            name = ("&nbsp;&nbsp;" * s.depth) + (f"**{_md(s.code.name)}**" if s.depth == 0 else _md(s.code.name))
            cells = " | ".join(s.by[g].words() for g in groups)
            w(f"| {name} | {s.participants} of {data.n_participants} | {s.segments} | {cells} |\n")
        w(f"\n_{_md(data.cell_caption())}_\n\n")
        for s in subtree:
            w(f"{'###' if s.depth == 0 else '####'} "
              f"{'Representative quotes for the theme' if s.depth == 0 else _md(s.code.name)}\n\n")
            if not s.quotes:
                w("_No quotable sentence (8–60 words) in its coded segments._\n\n" if s.segments
                  else "_No coded segments yet._\n\n")
            for q in s.quotes:
                w(f"> “{_md(q.text)}” {_md(q.cite())}\n\n")
    w(cooccurrence_markdown(data))
    w(saturation_markdown(data))
    return buf.getvalue()


def cooccurrence_markdown(data: ReportData, limit: int = 20) -> str:
    pairs = [p for p in data.pairs if p.both][:limit]
    out = [f"## Co-occurrence\n\nSegments coded with both codes ({_md(data.counted_short())}); "
           "Jaccard = segments with both / segments with either.\n\n"]
    if not pairs:
        return out[0] + "_No two codes share a segment._\n\n"
    out.append("| code | code | both | either | Jaccard |\n|---|---|---:|---:|---:|\n")
    out += [f"| {_md(data.name(p.a))} | {_md(data.name(p.b))} | {p.both} | {p.either} | {p.jaccard:.2f} |\n"
            for p in pairs]
    return "".join(out) + "\n"


def saturation_markdown(data: ReportData) -> str:
    out = ["## Saturation\n\nNew codes per successive interview (import order), after Guest, Bunce and "
           f"Johnson (2006). Codes counted: {_md(data.counted_short())}.\n\n"]
    for g in data.saturation:
        c = g.curve
        out.append(f"**{_md(g.group)}**: {_md(c.sentence())}.\n\n| interview | new codes | cumulative |\n"
                   "|---|---:|---:|\n")
        out += [f"| {i}. {_md(n)} | {new} | {cum} |\n"
                for i, (n, new, cum) in enumerate(zip(c.interviews, c.new, c.cumulative, strict=True), 1)]
        out.append("\n")
    return "".join(out)


def write_markdown_report(study_or_data: Study | ReportData, out: str | Path | TextIO, **options: Any) -> None:
    """Write the report as Markdown to a path (atomically) or a text stream."""
    text = markdown_report(report_data(study_or_data, **options))
    if hasattr(out, "write"):
        out.write(text)  # type: ignore[union-attr]
    else:
        write_atomic(Path(out), text)  # type: ignore[arg-type]
