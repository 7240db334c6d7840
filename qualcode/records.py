"""Records passed between the stages of qualcode: frozen, plain values.

No I/O and no heavy imports here, so every stage (readers, pipeline, store, reports)
can share them. ORM objects never leave ``qualcode.store``; these do.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

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
    ``final`` (adjudicated). ``present`` is False for an explicit rejection.
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


@dataclass(frozen=True)
class Suggestion:
    """A machine suggestion: code, confidence in [0, 1], and why."""

    segment_id: int
    code_id: str
    confidence: float
    reason: str = ""


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
class Job:
    """A background job as every session sees it (``Study.latest_job``)."""

    id: int
    kind: str
    state: str  # running / done / failed
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
