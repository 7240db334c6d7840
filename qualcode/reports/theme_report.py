"""The theme report: per theme and code, how many segments and participants, split by
participant group, with representative quotes attributed as ``(P07, GP, site B)``.

Which codings count is chosen by ``source``:

* ``auto`` (default): per segment, the final (adjudicated) codes where there are any,
  else the codes coders applied, else machine suggestions of confidence ≥ ``threshold``;
* ``final``, ``human`` or ``machine``: only that kind of coding.

Representative quotes are the segments with the highest confidence (1 for human and
final codings), preferring different participants, then quotes of 15–60 words, so that
three quotes do not all come from one talkative person.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, TextIO

from qualcode.errors import UsageError
from qualcode.io.atomic import write_atomic
from qualcode.records import Code, Codebook, Segment
from qualcode.store import Study

SOURCES = ("auto", "final", "human", "machine")


def coded_segments(study: Study, source: str = "auto", threshold: float = 0.5
                   ) -> dict[int, dict[str, float]]:
    """segment id → {code id: score}: the coding the report counts (see module doc)."""
    if source not in SOURCES:
        raise UsageError(f"--source: expected one of {', '.join(SOURCES)}, got {source!r}")
    by_source: dict[str, dict[int, dict[str, float]]] = {s: defaultdict(dict) for s in SOURCES[1:]}
    decided: dict[str, set[int]] = {s: set() for s in SOURCES[1:]}
    for app in study.applications():
        decided[app.source].add(app.segment_id)
        if not app.present:
            continue
        if app.source == "machine":
            if (app.confidence or 0.0) >= threshold:
                by_source["machine"][app.segment_id][app.code_id] = float(app.confidence or 0.0)
        else:
            by_source[app.source][app.segment_id][app.code_id] = 1.0
    if source != "auto":
        return {k: v for k, v in by_source[source].items() if v}
    out: dict[int, dict[str, float]] = {}
    for seg_id in decided["final"] | decided["human"] | set(by_source["machine"]):
        for src in ("final", "human", "machine"):
            if seg_id in decided[src] or src == "machine":
                if by_source[src].get(seg_id):
                    out[seg_id] = dict(by_source[src][seg_id])
                break
    return out


@dataclass
class CodeSummary:
    code: Code
    depth: int
    segments: int = 0
    participants: int = 0
    by_group: dict[str, tuple[int, int]] = field(default_factory=dict)  # group → (segments, people)
    quotes: list[tuple[Segment, float]] = field(default_factory=list)


def descendants(codebook: Codebook, code_id: str) -> set[str]:
    out = {code_id}
    for child in codebook.children(code_id):
        out |= descendants(codebook, child.id)
    return out


def pick_quotes(candidates: list[tuple[Segment, float]], n: int = 3) -> list[tuple[Segment, float]]:
    def readable(seg: Segment) -> int:
        words = len(seg.text.split())
        return 0 if 15 <= words <= 60 else 1

    ranked = sorted(candidates, key=lambda c: (-round(c[1], 3), readable(c[0]), c[0].id))
    chosen: list[tuple[Segment, float]] = []
    people: set[str | None] = set()
    for seg, score in ranked:
        key = seg.participant_id or seg.speaker
        if key not in people:
            chosen.append((seg, score))
            people.add(key)
        if len(chosen) == n:
            return chosen
    for seg, score in ranked:
        if len(chosen) == n:
            break
        if (seg, score) not in chosen:
            chosen.append((seg, score))
    return chosen


class ReportData(NamedTuple):
    """What every format of the theme report shows (see :func:`summarise`)."""

    codebook: Codebook
    summaries: list[CodeSummary]
    groups: list[str]
    people: Counter  # group → speakers
    n_segments: int  # codeable segments

    def intro(self, source: str, threshold: float) -> str:
        """The report's opening sentence: codebook, coding counted, segments and speakers."""
        return (f"Codebook: {self.codebook.name} (version {self.codebook.version}). Coding counted: "
                f"{_source_words(source, threshold)}. {self.n_segments} codeable segments from "
                f"{sum(self.people.values())} speakers "
                f"({', '.join(f'{g}: {self.people[g]}' for g in self.groups)}).")

    def sections(self) -> list[tuple[CodeSummary, list[CodeSummary]]]:
        """Each theme with the summaries of itself and every code under it, in codebook order."""
        return [(theme, [s for s in self.summaries if s.code.id in descendants(self.codebook, theme.code.id)])
                for theme in self.summaries if theme.depth == 0]


def summarise(study: Study, source: str = "auto", threshold: float = 0.5, n_quotes: int = 3) -> ReportData:
    codebook = study.codebook()
    coding = coded_segments(study, source, threshold)
    segments = {s.id: s for s in study.segments(codeable_only=True)}
    groups = sorted({s.group or "unknown" for s in segments.values()})
    people_per_group = Counter()
    for _pid, group in {(s.participant_id or s.speaker, s.group or "unknown") for s in segments.values()}:
        people_per_group[group] += 1
    summaries: list[CodeSummary] = []

    def visit(code: Code, depth: int) -> None:
        subtree = descendants(codebook, code.id)
        hits: list[tuple[Segment, float]] = []
        for seg_id, codes in coding.items():
            seg = segments.get(seg_id)
            if seg is None:
                continue
            scores = [v for k, v in codes.items() if k in subtree]
            if scores:
                hits.append((seg, max(scores)))
        summary = CodeSummary(code, depth, segments=len(hits),
                              participants=len({s.participant_id or s.speaker for s, _ in hits}))
        for group in groups:
            in_group = [s for s, _ in hits if (s.group or "unknown") == group]
            summary.by_group[group] = (len(in_group), len({s.participant_id or s.speaker for s in in_group}))
        summary.quotes = pick_quotes(hits, n_quotes)
        summaries.append(summary)
        for child in codebook.children(code.id):
            visit(child, depth + 1)

    for root in codebook.roots():
        visit(root, 0)
    return ReportData(codebook, summaries, groups, people_per_group, len(segments))


def _quote(seg: Segment) -> str:
    text = " ".join(seg.text.split())
    return f"> “{text}” ({seg.attribution()})"


def write_markdown_report(study: Study, out: str | Path | TextIO, source: str = "auto",
                          threshold: float = 0.5, title: str | None = None) -> None:
    """Write the theme report as Markdown to a path (atomically) or a text stream."""
    data = summarise(study, source, threshold)
    groups = data.groups
    buf = io.StringIO()
    w = buf.write
    w(f"# {title or 'Theme report: ' + study.folder.name}\n\n")
    w(data.intro(source, threshold) + "\n\n")
    header = "| code | segments | participants | " + " | ".join(groups) + " |\n"
    rule = "|---|---:|---:|" + "---:|" * len(groups) + "\n"
    for theme, subtree in data.sections():
        w(f"## Theme: {theme.code.name}\n\n{theme.code.definition}\n\n")
        w(header + rule)
        for s in subtree:
            name = ("&nbsp;&nbsp;" * s.depth) + (f"**{s.code.name}**" if s.depth == 0 else s.code.name)
            cells = " | ".join(f"{s.by_group[g][0]} ({s.by_group[g][1]})" for g in groups)
            w(f"| {name} | {s.segments} | {s.participants} | {cells} |\n")
        w("\nCells by group: segments (participants).\n\n")
        for s in subtree:
            level = "###" if s.depth == 0 else "####"
            label = "Representative quotes for the theme" if s.depth == 0 else s.code.name
            w(f"{level} {label}\n\n")
            if not s.quotes:
                w("_No coded segments yet._\n\n")
                continue
            for seg, _ in s.quotes:
                w(_quote(seg) + "\n\n")
    text = buf.getvalue()
    if hasattr(out, "write"):
        out.write(text)  # type: ignore[union-attr]
    else:
        write_atomic(Path(out), text)


def _source_words(source: str, threshold: float) -> str:
    return {
        "auto": f"adjudicated codes where there are any, else coders' codes, else machine "
                f"suggestions with confidence ≥ {threshold:.2f}",
        "final": "adjudicated (final) codes",
        "human": "codes applied by coders",
        "machine": f"machine suggestions with confidence ≥ {threshold:.2f}",
    }[source]
