"""Records passed between the stages of qualcode: frozen, plain values.

No I/O and no heavy imports here, so every stage (readers, pipeline, store, reports)
can share them. ORM objects never leave ``qualcode.store``; these do.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field

INTERVIEWER_NAMES = frozenset(
    {"interviewer", "int", "i", "q", "moderator", "facilitator", "researcher", "interviewer 1",
     "interviewer 2"}
)


@dataclass(frozen=True)
class Participant:
    """A person interviewed (or interviewing), with the attributes used in reports."""

    participant_id: str
    group: str = ""
    role: str = ""
    site: str = ""
    speakers: tuple[str, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_interviewer(self) -> bool:
        return self.group.strip().lower() == "interviewer" or self.role.strip().lower() == "interviewer"

    def attribution(self) -> str:
        """``P07, GP, site B``: how a quote from this participant is attributed."""
        parts = [self.participant_id]
        if self.role:
            parts.append(self.role)
        if self.site:
            site = self.site.strip()
            parts.append(site if site.lower().startswith("site") else f"site {site}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Turn:
    """One speaker turn: ``text == plain_text[start:end]`` of its transcript."""

    speaker: str | None
    start: int
    end: int
    text: str
    start_time: float | None = None
    end_time: float | None = None
    procedural: bool = False  # e.g. "[The witness withdrew]": kept, never coded


@dataclass(frozen=True)
class Transcript:
    """A transcript as imported: its exact plain text and its speaker turns."""

    name: str
    plain_text: str
    turns: tuple[Turn, ...]
    source_format: str
    source_path: str = ""
    content_hash: str = ""
    warnings: tuple[str, ...] = ()  # readable but suspicious input a coder should check

    def speakers(self) -> list[str]:
        seen: dict[str, None] = {}
        for turn in self.turns:
            if turn.speaker:
                seen.setdefault(turn.speaker, None)
        return list(seen)


@dataclass(frozen=True)
class Segment:
    """A unit of coding: a span ``[start, end)`` of its transcript's plain text."""

    id: int
    transcript_id: int
    transcript: str
    turn_index: int
    start: int
    end: int
    text: str
    speaker: str | None = None
    participant_id: str | None = None
    group: str = ""
    role: str = ""
    site: str = ""
    start_time: float | None = None
    end_time: float | None = None
    is_interviewer: bool = False

    def attribution(self) -> str:
        return Participant(self.participant_id or (self.speaker or "unknown"), self.group,
                           self.role, self.site).attribution()


@dataclass(frozen=True)
class Code:
    """One code of a hierarchical codebook."""

    id: str
    name: str
    definition: str
    parent: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    color: str = ""  # "#RRGGBB", or "" for the app's default
    guid: str = ""  # the REFI-QDA GUID it was read with (kept across round trips), or ""
    is_codable: bool = True  # False: a heading that only groups codes (REFI-QDA isCodable)

    def description(self) -> str:
        """The text a model reads for this code: name, definition and include rules."""
        text = f"{self.name}: {self.definition}"
        if self.include:
            text += " Includes: " + "; ".join(self.include) + "."
        return text


@dataclass(frozen=True)
class Codebook:
    """Codes in file order; parents come before their children."""

    name: str
    codes: tuple[Code, ...]
    version: int = 1
    description: str = ""

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def get(self, code_id: str) -> Code:
        for code in self.codes:
            if code.id == code_id:
                return code
        raise KeyError(code_id)

    def ids(self) -> list[str]:
        return [c.id for c in self.codes]

    def children(self, code_id: str | None) -> list[Code]:
        return [c for c in self.codes if c.parent == code_id]

    def roots(self) -> list[Code]:
        return self.children(None)

    def theme_of(self, code_id: str) -> Code:
        """The top-level ancestor (the theme) of a code."""
        code = self.get(code_id)
        while code.parent is not None:
            code = self.get(code.parent)
        return code

    def leaves(self) -> list[Code]:
        parents = {c.parent for c in self.codes}
        return [c for c in self.codes if c.id not in parents]


@dataclass(frozen=True)
class CodeApplication:
    """A decision on whether a code applies to a segment.

    ``source`` is ``human`` (a coder's decision), ``machine`` (a suggestion) or
    ``final`` (adjudicated). ``present`` is False for an explicit rejection. ``shown``
    (machine only): whether the engine decided a coder is shown it; None for suggestions
    stored before it decided (the app then uses the fixed rule).
    """

    segment_id: int
    code_id: str
    source: str
    present: bool = True
    coder: str | None = None
    confidence: float | None = None
    reason: str = ""
    codebook_version: int = 1
    created_at: str = ""
    shown: bool | None = None


# The fixed display rule's threshold (qualcode.pipeline.suggest.SHOW_THRESHOLD, tested equal;
# literal here so records, the store and reports stay free of the engine's imports).
FIXED_SHOW_FROM = 0.5


def engine_showed(shown: bool | None, confidence: float | None) -> bool:
    """Whether coders are shown a stored machine suggestion, so whether counts of "machine
    suggestions" count it: the engine's stored decision (``shown``, learnt from the study's
    decisions), or for one stored before the engine decided (``shown`` None) the fixed rule's
    threshold, as the Code page's code filter does. (The card also shows a segment's best
    such old suggestion below 0.5; counts leave that one out rather than rank every segment.)"""
    return shown if shown is not None else (confidence or 0.0) >= FIXED_SHOW_FROM


def machine_counted(shown: bool | None, confidence: float | None, threshold: float | None = None) -> bool:
    """Whether a count of machine suggestions counts this one: those coders are shown
    (:func:`engine_showed`), or with ``threshold`` every one from that confidence instead."""
    return engine_showed(shown, confidence) if threshold is None else (confidence or 0.0) >= threshold


@dataclass(frozen=True)
class Suggestion:
    """A machine suggestion: code, confidence in [0, 1], why, and whether the engine shows
    it (:meth:`qualcode.pipeline.suggest.CodeSuggester.shown`; None: not decided)."""

    segment_id: int
    code_id: str
    confidence: float
    reason: str = ""
    shown: bool | None = None


@dataclass(frozen=True)
class FrameworkSummary:
    """A supervisor's summary of one participant × code cell of the framework matrix."""

    participant_id: str
    code_id: str
    text: str
    version: int
    updated_by: str
    updated_at: str


@dataclass(frozen=True)
class SpanCoding:
    """A code applied to any span ``[start, end)`` of a transcript: ``text == plain_text[start:end]``.

    Segments stay the unit of suggestions and agreement; a span coding counts for every
    codeable segment it overlaps (``segment.start < end and start < segment.end``)."""

    id: int
    transcript_id: int
    transcript: str
    start: int
    end: int
    text: str
    code_id: str
    source: str = "human"  # "human" or "final"
    coder: str = ""
    codebook_version: int = 1
    created_at: str = ""


@dataclass(frozen=True)
class Hit:
    """One coded stretch found by retrieval: a whole segment or a span coding."""

    kind: str  # "segment" or "span"
    id: int  # the segment id or the span coding id
    segment_id: int | None  # the segment it is in (for a span: the one holding its start)
    transcript_id: int
    transcript: str
    start: int
    end: int
    text: str
    code_id: str
    source: str
    coder: str | None
    attribution: str = ""
    participant_id: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class TextHit:
    """A text-search match: ``text == plain_text[start:end]`` with its context either side."""

    transcript_id: int
    transcript: str
    start: int
    end: int
    text: str
    before: str
    after: str
    segment_id: int | None = None
    attribution: str = ""
    codeable: bool = True


@dataclass(frozen=True)
class SearchPage:
    """One page of a text search and the counts of all its hits: ``total`` hits in
    ``transcripts`` transcripts, ``codeable`` of them in participants' turns (what *code
    all hits* codes); ``hits`` those from ``offset`` on, at most the page size."""

    total: int
    codeable: int
    transcripts: int
    offset: int
    hits: tuple[TextHit, ...]


@dataclass(frozen=True)
class CodebookVersionInfo:
    """One stored version of the codebook: who made it, when (ISO 8601) and why."""

    version: int
    name: str
    note: str
    created_by: str
    created_at: str


@dataclass(frozen=True)
class Disagreement:
    """A segment where two coders differ on a code, with the final decision if adjudicated."""

    segment: int
    transcript: str
    attribution: str
    text: str
    code: str
    coders: tuple[str, str]
    applied: tuple[bool, bool]  # did coders[0] / coders[1] apply the code
    final: bool | None = None
    rationale: str = ""

    def as_dict(self) -> dict:
        """The JSON shape of ``qualcode disagreements --json`` (each coder's name a key)."""
        a, b = self.coders
        return {"segment": self.segment, "transcript": self.transcript, "attribution": self.attribution,
                "text": self.text, "code": self.code, a: self.applied[0], b: self.applied[1],
                "final": self.final, "rationale": self.rationale}


@dataclass(frozen=True)
class DiscoveryRunInfo:
    """One discovery run as listed (without its clusters' segments)."""

    id: int
    at: str
    by: str
    model: str
    seed: int | None
    params: Mapping[str, object]
    clusters: int  # how many


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit log: who did what to which thing, and the state
    before and after (parsed JSON; None for a creation or a deletion)."""

    id: int
    at: str  # ISO time, UTC
    actor: str
    action: str  # decide, import, login, export, undo, …
    entity: str  # segment, memo, codebook, account, …
    entity_id: str
    before: Mapping[str, object] | None = None
    after: Mapping[str, object] | None = None


MEMO_PLACES = ("span", "segment", "code", "transcript")  # most specific first; none: a project memo


@dataclass(frozen=True)
class Memo:
    """A memo as stored: its author, words, where it is attached and its edit version
    (a stale edit is refused by comparing ``version``)."""

    id: int
    coder: str
    text: str
    segment_id: int | None = None
    transcript_id: int | None = None
    code_id: str | None = None
    span_id: int | None = None
    version: int = 1
    created_at: str = ""
    updated_at: str = ""
    updated_by: str = ""

    @property
    def kind(self) -> str:
        """What the memo is about: the most specific place it is attached to, or ``project``."""
        return next((k for k in MEMO_PLACES if getattr(self, f"{k}_id") is not None), "project")


@dataclass(frozen=True)
class NearestCode:
    """A codebook code close to a discovered cluster, and the share of the cluster coded with it."""

    code: str
    name: str
    similarity: float
    coded_share: float


@dataclass(frozen=True)
class DiscoveredCluster:
    """A candidate theme: similar segments, their distinctive words and typical quotes."""

    label: int
    size: int
    segments: tuple[int, ...]
    exemplars: tuple[int, ...]  # the most typical segments, best first
    keywords: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    participants: int = 0  # how many distinct people voice it
    fit: tuple[float, ...] = ()  # each member's closeness to the centre
    nearest_codes: tuple[NearestCode, ...] = ()
    new: bool = False  # far from every code and little coded: a candidate new code
    groups: Mapping[str, int] = field(default_factory=dict)  # --by group → segments in the cluster
    specific_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupCell:
    """One cluster × participant group cell of a discovery run made with ``--by``
    (see :mod:`qualcode.pipeline.discover_groups`)."""

    cluster: int
    group: str
    segments: int
    participants: int
    share_in_group: float  # of the group's clustered segments, the share in this cluster
    share_elsewhere: float  # the same share among the other groups' segments
    p: float
    q: float  # Benjamini–Hochberg over all cells
    specific: bool


@dataclass(frozen=True)
class DiscoveryRun:
    """One kept discovery run: its parameters, clusters, outliers and (with ``--by``) the
    cluster × group table."""

    id: int
    at: str
    by: str
    model: str
    seed: int | None
    params: Mapping[str, object]
    clusters: tuple[DiscoveredCluster, ...]
    outliers: tuple[int, ...] = ()
    groups: tuple[GroupCell, ...] | None = None  # None: the run had no --by

    def cluster(self, label: int) -> DiscoveredCluster | None:
        return next((c for c in self.clusters if c.label == label), None)

    def as_dict(self) -> dict:
        """The JSON shape of ``qualcode discover --json``."""
        out = asdict(self)
        if self.groups is None:
            del out["groups"]
        return out


@dataclass(frozen=True)
class Job:
    """A background job as every session sees it (``Study.latest_job``)."""

    id: int
    kind: str
    state: str  # running / done / failed / cancelled
    started_by: str
    started_at: str  # ISO, UTC
    heartbeat_age: float  # seconds since the job last said it was alive
    phase: str = ""
    done: int = 0
    total: int = 0
    message: str = ""
    finished_at: str | None = None

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0
