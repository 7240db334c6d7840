"""Which coding a report counts, said in words wherever a number or quote appears.

``source`` is one of :data:`SOURCES`:

* ``final``: adjudicated codes only;
* ``human``: codes applied by coders (a segment counts once however many coders applied it);
* ``machine``: the machine suggestions coders are shown (the engine's stored decision,
  :func:`qualcode.records.engine_showed`), or with a ``threshold`` every one of confidence
  ≥ ``threshold`` instead;
* ``best``: per segment, the final codes where the segment was adjudicated, else the
  coders' codes where any coder decided on it, else the suggestions counted as above.
  Each coding keeps its kind, so a quote from a suggestion is marked as one.

A suggestion is *reviewed* when a coder or adjudicator decided (yes or no) on the same
code for the same segment; quotes from suggestions nobody reviewed say so.
Span codings (a code on any stretch of text) count, as agreed, for every codeable
segment they overlap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from qualcode.errors import UsageError
from qualcode.records import CodeApplication, Segment, machine_counted

SOURCES = ("best", "final", "human", "machine")
ALIASES = {"auto": "best"}
KINDS = ("final", "human", "machine")


def check_source(source: str) -> str:
    source = ALIASES.get(source, source)
    if source not in SOURCES:
        raise UsageError(f"--source: expected one of {', '.join(SOURCES)}, got {source!r}")
    return source


@dataclass(frozen=True)
class Coded:
    """One code counted on one segment: how strongly, from which kind of coding."""

    code_id: str
    score: float  # 1 for final and human codings, the confidence for a suggestion
    kind: str  # final | human | machine
    reviewed: bool = True

    def marker(self) -> str:
        """What a quote from this coding must say about it ('' for coded by people)."""
        if self.kind != "machine":
            return ""
        state = "reviewed" if self.reviewed else "not reviewed by anyone"
        return f"machine suggestion, confidence {self.score:.2f}, {state}"


def machine_words(threshold: float | None, short: bool = False) -> str:
    """Which machine suggestions are counted: those shown to coders, or from ``threshold``."""
    if threshold is None:
        return "suggestions shown" if short else "machine suggestions shown to coders (the engine's decision)"
    return f"suggestions ≥ {threshold:.2f}" if short else f"machine suggestions with confidence ≥ {threshold:.2f}"


def source_words(source: str, threshold: float | None = None) -> str:
    """What the counted coding is, in one phrase (every table and caption uses it)."""
    return {
        "best": f"final (adjudicated) codes where a segment was adjudicated, else coders' codes, else "
                f"{machine_words(threshold)} (quotes from suggestions are marked)",
        "final": "final (adjudicated) codes",
        "human": "codes applied by coders",
        "machine": machine_words(threshold),
    }[check_source(source)]


def short_words(source: str, threshold: float | None = None) -> str:
    """The same in a few words, for captions under each table."""
    return {"best": f"final, else coders', else {machine_words(threshold, short=True)}",
            "final": "final codes", "human": "coders' codes",
            "machine": machine_words(threshold, short=True)}[check_source(source)]


def counted_suggestion(app: CodeApplication, threshold: float | None = None) -> bool:
    """Whether machine suggestion ``app`` is counted (see the module doc)."""
    return machine_counted(app.shown, app.confidence, threshold)


def spans_as_applications(spans: Iterable[object], segments: Iterable[Segment]) -> list[CodeApplication]:
    """Span codings as applications on every segment they overlap."""
    by_transcript: dict[int, list[Segment]] = defaultdict(list)
    for seg in segments:
        by_transcript[seg.transcript_id].append(seg)
    out = []
    for span in spans:
        for seg in by_transcript.get(span.transcript_id, ()):  # type: ignore[attr-defined]
            if seg.start < span.end and span.start < seg.end:  # type: ignore[attr-defined]
                out.append(CodeApplication(seg.id, span.code_id, span.source, True,  # type: ignore[attr-defined]
                                           getattr(span, "coder", None)))
    return out


def counted_coding(applications: Iterable[CodeApplication], source: str = "best", threshold: float | None = None
                   ) -> dict[int, dict[str, Coded]]:
    """segment id → {code id: Coded}: the coding a report counts (see the module doc)."""
    source = check_source(source)
    present: dict[str, dict[int, dict[str, float]]] = {k: defaultdict(dict) for k in KINDS}
    decided: dict[str, set[int]] = {k: set() for k in KINDS}
    reviewed: set[tuple[int, str]] = set()
    for app in applications:
        if app.source not in KINDS:
            continue
        if app.source != "machine":
            decided[app.source].add(app.segment_id)
            reviewed.add((app.segment_id, app.code_id))
        if not app.present:
            continue
        if app.source == "machine":
            if counted_suggestion(app, threshold):
                present["machine"][app.segment_id][app.code_id] = float(app.confidence or 0.0)
        else:
            present[app.source][app.segment_id][app.code_id] = 1.0

    def take(kind: str, seg_id: int) -> dict[str, Coded]:
        return {c: Coded(c, score, kind, kind != "machine" or (seg_id, c) in reviewed)
                for c, score in present[kind].get(seg_id, {}).items()}

    if source != "best":
        return {seg_id: take(source, seg_id) for seg_id in present[source] if present[source][seg_id]}
    out: dict[int, dict[str, Coded]] = {}
    for seg_id in decided["final"] | decided["human"] | set(present["machine"]):
        kind = "final" if seg_id in decided["final"] else "human" if seg_id in decided["human"] else "machine"
        codes = take(kind, seg_id)
        if codes:
            out[seg_id] = codes
    return out


def as_scores(coding: Mapping[int, Mapping[str, Coded]]) -> dict[int, dict[str, float]]:
    return {seg: {c: v.score for c, v in codes.items()} for seg, codes in coding.items()}
