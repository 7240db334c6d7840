"""ReportData: everything a theme report shows, gathered once from a Study.

Every format (Markdown, HTML, Word, Excel, the Themes page) is written from a
:class:`ReportData`, never from a Study, so each is tested without a database and all
count the same thing. :func:`collect` is the only part that reads the store.

Counts break down by any participant attribute (``group``, ``role``, ``site`` or any
column of the participants sheet such as ``gender`` or ``age_band``) or a pair of them.
A cell gives segments and participants *with their denominator*: "7 of 9" means 7 of the
9 participants of that group who spoke in a codeable segment.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from qualcode.errors import UsageError
from qualcode.records import Code, Codebook, Participant, Segment
from qualcode.redact import IDENTIFIABLE, Redactor
from qualcode.reports.coding import (
    Coded,
    check_source,
    counted_coding,
    short_words,
    source_words,
    spans_as_applications,
)
from qualcode.reports.cooccurrence import Pair, ancestors, code_segments, cooccurrence
from qualcode.reports.quotes import best_sentence, keywords
from qualcode.reports.saturation import GroupSaturation, saturation

if TYPE_CHECKING:
    from qualcode.reports.framework import Matrix
    from qualcode.store import Study

FIXED_ATTRIBUTES = ("group", "role", "site")
UNKNOWN = "unknown"
IDENTIFYING_ATTRIBUTES = frozenset({"name"})
MAX_CANDIDATES = 400  # quote candidates read per code


def attributes_of(participants: Iterable[Participant]) -> list[str]:
    """Attributes a report can break counts down by: group, role, site, then the sheet's other columns."""
    extra = sorted({k for p in participants for k in p.attributes if k not in ("transcript",)})
    return [*FIXED_ATTRIBUTES, *[k for k in extra if k not in FIXED_ATTRIBUTES]]


def attribute_value(person: Participant | None, attribute: str) -> str:
    if person is None:
        return UNKNOWN
    value = getattr(person, attribute) if attribute in FIXED_ATTRIBUTES else person.attributes.get(attribute, "")
    return (value or "").strip() or UNKNOWN


def check_by(by: str | Sequence[str] | None, participants: Sequence[Participant],
             identifiable: bool = False) -> tuple[str, ...]:
    """``--by`` as a tuple of one or two known attributes (default: group)."""
    names = [b.strip().lower().replace(" ", "_") for b in
             (by.split(",") if isinstance(by, str) else (by or ["group"])) if b.strip()]
    if not names or len(names) > 2:
        raise UsageError(f"--by: expected one attribute or two separated by a comma, got {by!r}")
    known = attributes_of(participants)
    for name in names:
        if name not in known:
            raise UsageError(f"--by {name}: expected a participant attribute ({', '.join(known)}), got {name!r}")
        if name in IDENTIFYING_ATTRIBUTES and not identifiable:
            raise UsageError(f"--by {name}: expected an attribute that identifies nobody, got the "
                             f"'{name}' column (add --identifiable to break counts down by it)")
    return tuple(names)


@dataclass(frozen=True)
class Cell:
    """One code in one group: segments, participants with it, participants in the group."""

    segments: int
    participants: int
    of: int

    def words(self) -> str:
        return f"{self.participants} of {self.of} ({self.segments} seg.)"


@dataclass(frozen=True)
class Quote:
    segment_id: int
    transcript: str
    start: int  # offsets of the quoted sentence in the transcript's plain text
    end: int
    text: str  # redacted unless the report is identifiable
    attribution: str
    marker: str = ""  # "" (coded by people) or the machine-suggestion note

    def cite(self) -> str:
        return f"({self.attribution}; {self.marker})" if self.marker else f"({self.attribution})"


@dataclass(frozen=True)
class CodedRow:
    """One code counted on one segment, for the spreadsheet of every coded segment."""

    segment_id: int
    transcript: str
    start: int  # offsets in the original transcript (the text may be redacted)
    end: int
    participant: str
    group: str
    code_id: str
    kind: str
    score: float
    marker: str
    text: str


@dataclass(frozen=True)
class CodeSummary:
    code: Code
    depth: int
    segments: int
    participants: int
    by: Mapping[str, Cell]
    quotes: tuple[Quote, ...]
    segment_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ReportData:
    """What every format of the theme report shows."""

    title: str
    codebook: Codebook
    source: str
    threshold: float | None  # None: the machine suggestions shown to coders (see reports.coding)
    by: tuple[str, ...]
    groups: tuple[str, ...]
    people: Mapping[str, int]  # group → participants (the denominators)
    group_segments: Mapping[str, int]  # group → codeable segments
    n_segments: int
    n_participants: int
    summaries: tuple[CodeSummary, ...]
    pairs: tuple[Pair, ...] = ()
    saturation: tuple[GroupSaturation, ...] = ()
    matrix: Matrix | None = None
    identifiable: bool = False
    attributes: tuple[str, ...] = field(default=FIXED_ATTRIBUTES)
    rows: tuple[CodedRow, ...] = ()

    def counted(self) -> str:
        return source_words(self.source, self.threshold)

    def counted_short(self) -> str:
        return short_words(self.source, self.threshold)

    def by_words(self) -> str:
        return " × ".join(self.by)

    def intro(self) -> str:
        """The opening paragraph: codebook, coding counted, denominators, anonymisation."""
        groups = ", ".join(f"{g}: {_n(self.people[g], 'participant')}, {_n(self.group_segments[g], 'segment')}"
                           for g in self.groups)
        anon = ("Identifiable: names in quotes were NOT replaced." if self.identifiable else
                "Anonymised: names and speaker labels in quotes are replaced by [name] or the participant id.")
        return (f"Codebook: {self.codebook.name} (version {self.codebook.version}). Coding counted: "
                f"{self.counted()}. {self.n_segments} codeable segments from {self.n_participants} "
                f"participants; by {self.by_words()}: {groups}. Quotes come from codes applied by people "
                f"unless marked as a machine suggestion. {anon}")

    def cell_caption(self) -> str:
        return (f"Counted: {self.counted_short()}. Each cell: participants with the code of the "
                f"participants in that {self.by_words()} (segments).")

    def sections(self) -> list[tuple[CodeSummary, list[CodeSummary]]]:
        """Each theme with the summaries of itself and every code under it, in codebook order."""
        out: list[tuple[CodeSummary, list[CodeSummary]]] = []
        for s in self.summaries:
            if s.depth == 0:
                out.append((s, [s]))
            elif out:
                out[-1][1].append(s)
        return out

    def name(self, code_id: str) -> str:
        return self.codebook.get(code_id).name


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _tree(codebook: Codebook) -> list[tuple[Code, int]]:
    out: list[tuple[Code, int]] = []

    def visit(code: Code, depth: int) -> None:
        out.append((code, depth))
        for child in codebook.children(code.id):
            visit(child, depth + 1)

    for root in codebook.roots():
        visit(root, 0)
    return out


def pick_quotes(code: Code, hits: Sequence[tuple[Segment, Coded]], attribution: Callable[[Segment], str],
                person: Callable[[Segment], str], redactor: Redactor, n: int = 3) -> tuple[Quote, ...]:
    """Up to ``n`` whole-sentence quotes from different participants: coded by people
    first, then suggestions by confidence, then the most representative sentence."""
    words = keywords(code)
    ranked = []
    # People's codes first, then the most confident suggestions; a large study's theme may
    # have thousands of segments, and the first MAX_CANDIDATES are plenty to choose from.
    ordered = sorted(hits, key=lambda h: (h[1].kind == "machine", -h[1].score, h[0].id))[:MAX_CANDIDATES]
    for seg, coded in ordered:
        best = best_sentence(seg.text, words)
        if best is not None:
            sentence, score = best
            ranked.append((-round(coded.score, 3), coded.kind == "machine", -score, seg.id, seg, coded, sentence))
    ranked.sort(key=lambda r: r[:4])
    chosen: list[Quote] = []
    people: set[str] = set()
    for *_, seg, coded, sentence in ranked:
        who = person(seg)
        if who in people:
            continue
        people.add(who)
        chosen.append(Quote(seg.id, seg.transcript, seg.start + sentence.start, seg.start + sentence.end,
                            redactor.text(" ".join(sentence.text.split())), attribution(seg), coded.marker()))
        if len(chosen) == n:
            break
    return tuple(chosen)


def summarise(codebook: Codebook, segments: Sequence[Segment], participants: Sequence[Participant],
              coding: Mapping[int, Mapping[str, Coded]], *, source: str = "best", threshold: float | None = None,
              by: Sequence[str] = ("group",), redactor: Redactor = IDENTIFIABLE, title: str = "Theme report",
              n_quotes: int = 3, saturation_threshold: float = 0.05, matrix: Matrix | None = None) -> ReportData:
    """ReportData from records (no store): the pure part of :func:`collect`."""
    source = check_source(source)
    by = tuple(by)
    people_by_id = {p.participant_id: p for p in participants}
    segs = {s.id: s for s in segments}

    def person(seg: Segment) -> str:
        return seg.participant_id or f"speaker:{seg.speaker or UNKNOWN}"

    def group(seg: Segment) -> str:
        who = people_by_id.get(seg.participant_id or "")
        return " · ".join(attribute_value(who, a) for a in by)

    def attribution(seg: Segment) -> str:
        if seg.participant_id:
            return seg.attribution()
        return redactor.text(seg.speaker or UNKNOWN) if redactor.identifiable else "unlinked speaker"

    groups = sorted({group(s) for s in segments})
    members: dict[str, set[str]] = {g: set() for g in groups}
    group_segments: Counter = Counter()
    for seg in segments:
        members[group(seg)].add(person(seg))
        group_segments[group(seg)] += 1
    under = code_segments(codebook, coding)
    known = set(codebook.ids())
    summaries = []
    for code, depth in _tree(codebook):
        hit_ids = sorted(i for i in under[code.id] if i in segs)
        hits = []
        for i in hit_ids:
            relevant = [c for cid, c in coding[i].items() if cid in known and
                        (cid == code.id or code.id in ancestors(codebook, cid))]
            hits.append((segs[i], max(relevant, key=lambda c: (c.kind != "machine", c.score))))
        cells = {}
        for g in groups:
            in_group = [s for s, _ in hits if group(s) == g]
            cells[g] = Cell(len(in_group), len({person(s) for s in in_group}), len(members[g]))
        summaries.append(CodeSummary(code, depth, len(hits), len({person(s) for s, _ in hits}), cells,
                                     pick_quotes(code, hits, attribution, person, redactor, n_quotes),
                                     tuple(hit_ids)))
    rows = tuple(CodedRow(seg.id, seg.transcript, seg.start, seg.end, attribution(seg).split(",")[0], group(seg),
                          cid, c.kind, c.score, c.marker(), redactor.text(" ".join(seg.text.split())))
                 for seg in sorted(segments, key=lambda s: (s.transcript, s.start)) if seg.id in coding
                 for cid, c in sorted(coding[seg.id].items()) if cid in known)
    codes_only = {i: {cid for cid in c if cid in known} for i, c in coding.items() if i in segs}  # retired codes left out
    first = by[0]
    sat = saturation(segments, codes_only, None, saturation_threshold)
    if len(groups) > 1:
        sat += saturation(segments, codes_only,
                          lambda s: attribute_value(people_by_id.get(s.participant_id or ""), first),
                          saturation_threshold)
    return ReportData(title, codebook, source, threshold, by, tuple(groups), {g: len(members[g]) for g in groups},
                      dict(group_segments), len(segments), len({person(s) for s in segments}), tuple(summaries),
                      tuple(cooccurrence(codebook, {i: c for i, c in coding.items() if i in segs})), tuple(sat),
                      matrix, redactor.identifiable, tuple(attributes_of(participants)), rows)


def study_coding(study: Study, source: str = "best", threshold: float | None = None,
                 segments: Sequence[Segment] | None = None) -> dict[int, dict[str, Coded]]:
    """The counted coding of a study: applications plus span codings where the store has them."""
    applications = list(study.applications())
    span_codings = getattr(study, "span_codings", None)  # the app branch's span API, when present
    if span_codings is not None:
        segs = segments if segments is not None else study.segments(codeable_only=True)
        applications += spans_as_applications(span_codings(), segs)
    return counted_coding(applications, source, threshold)


def collect(study: Study, source: str = "best", threshold: float | None = None, by: str | Sequence[str] | None = None,
            redactor: Redactor | None = None, title: str | None = None, n_quotes: int = 3,
            saturation_threshold: float = 0.05, with_matrix: bool = True) -> ReportData:
    """Everything the report shows, from the study (the one place reports read the store)."""
    from qualcode.reports.framework import build_matrix

    redactor = redactor if redactor is not None else Redactor.from_study(study)
    participants = study.participants()
    by_ = check_by(by, participants, redactor.identifiable)
    # Transcript names are file names, which often hold a name ("okafor_interview.docx").
    segments = [replace(s, transcript=redactor.text(s.transcript)) for s in study.segments(codeable_only=True)]
    codebook = study.codebook()
    coding = study_coding(study, source, threshold, segments)
    matrix = None
    if with_matrix:
        stored = study.framework_summaries() if hasattr(study, "framework_summaries") else {}
        matrix = build_matrix(codebook, segments, participants, coding, by_[0], stored, redactor)
    return summarise(codebook, segments, participants, coding, source=source, threshold=threshold, by=by_,
                     redactor=redactor, title=title or f"Theme report: {study.folder.name}",
                     n_quotes=n_quotes, saturation_threshold=saturation_threshold, matrix=matrix)


def collect_saturation(study: Study, by: str | None = None, threshold: float = 0.05, orders: int = 0,
                       source: str = "best", confidence: float | None = None, seed: int = 0,
                       redactor: Redactor | None = None) -> list[GroupSaturation]:
    """Saturation of the study's counted coding, for all interviews or per value of ``by``
    (interview names redacted like every report's)."""
    redactor = redactor if redactor is not None else Redactor.from_study(study)
    participants = study.participants()
    people = {p.participant_id: p for p in participants}
    group_of = None
    if by:
        (attr,) = check_by(by, participants)

        def group_of(seg: Segment) -> str:
            return attribute_value(people.get(seg.participant_id or ""), attr)

    segments = [replace(s, transcript=redactor.text(s.transcript)) for s in study.segments(codeable_only=True)]
    coding = study_coding(study, source, confidence, segments)
    known = set(study.codebook().ids())  # a code merged or split away is not a code found
    return saturation(segments, {i: {cid for cid in c if cid in known} for i, c in coding.items()}, group_of,
                      threshold, orders, seed)
