"""SQLAlchemy 2 table definitions. ORM objects never leave ``qualcode.store``.

Coded text is stored with its offsets *and* its content (as Taguette does), so a
segment can be shown and exported without re-reading the transcript.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class StudyInfo(Base):
    __tablename__ = "study_info"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


class CodebookVersion(Base):
    __tablename__ = "codebook_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CodeRow(Base):
    __tablename__ = "codes"
    __table_args__ = (UniqueConstraint("version", "code_id"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(ForeignKey("codebook_versions.id"), index=True)
    code_id: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text)
    include: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    exclude: Mapped[str] = mapped_column(Text, default="[]")
    examples: Mapped[str] = mapped_column(Text, default="[]")
    position: Mapped[int] = mapped_column(Integer, default=0)
    color: Mapped[str] = mapped_column(String(7), default="", server_default="")  # "#RRGGBB" or ""
    guid: Mapped[str] = mapped_column(String(36), default="", server_default="")  # REFI-QDA GUID
    is_codable: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class ParticipantRow(Base):
    __tablename__ = "participants"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    group: Mapped[str] = mapped_column("group_name", String(100), default="")
    role: Mapped[str] = mapped_column(String(100), default="")
    site: Mapped[str] = mapped_column(String(100), default="")
    speakers: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    attributes: Mapped[str] = mapped_column(Text, default="{}")  # JSON object


class TranscriptRow(Base):
    __tablename__ = "transcripts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    source_path: Mapped[str] = mapped_column(Text, default="")
    source_format: Mapped[str] = mapped_column(String(10))
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    plain_text: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    warnings: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")  # JSON list


class SegmentRow(Base):
    __tablename__ = "segments"
    __table_args__ = (Index("ix_segments_transcript_start", "transcript_id", "start"),
                      # covering: codeable segments in order without their text (migration 0007)
                      Index("ix_segments_layout", "transcript_id", "start", "end", "is_interviewer", "procedural",
                            "id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcripts.id", ondelete="CASCADE"))
    turn_index: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    speaker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    participant_id: Mapped[str | None] = mapped_column(ForeignKey("participants.id"), nullable=True,
                                                       index=True)
    start_time: Mapped[float | None] = mapped_column(Float, nullable=True)
    end_time: Mapped[float | None] = mapped_column(Float, nullable=True)
    is_interviewer: Mapped[bool] = mapped_column(Boolean, default=False)
    procedural: Mapped[bool] = mapped_column(Boolean, default=False)


class CoderRow(Base):
    __tablename__ = "coders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20), default="coder")  # coder|supervisor|admin|system
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)  # an account: argon2 hash
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class CodeApplicationRow(Base):
    """One decision: ``source`` human (a coder), machine (a suggestion) or final."""

    __tablename__ = "code_applications"
    __table_args__ = (
        UniqueConstraint("segment_id", "code_id", "source", "coder_id"),
        Index("ix_applications_source_coder", "source", "coder_id"),
        # covering: uncertainty summed per segment from the index alone (migration 0007)
        Index("ix_applications_suggestions", "source", "segment_id", "code_id", "confidence"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[str] = mapped_column(String(100), index=True)
    codebook_version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10))
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id"))
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # machine rows: the engine's display decision (migration 0008); NULL = the old fixed rule
    shown: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class SpanCodingRow(Base):
    """A code applied to any span ``[start, end)`` of a transcript's plain text.

    ``text == plain_text[start:end]`` always (checked on write). ``source`` is ``human`` or
    ``final``; segments stay the unit of suggestions and agreement, and a span coding counts
    for every segment it overlaps."""

    __tablename__ = "span_codings"
    __table_args__ = (
        UniqueConstraint("transcript_id", "start", "end", "code_id", "source", "coder_id",
                         name="uq_span_codings_span_code_coder"),
        Index("ix_span_codings_transcript_start", "transcript_id", "start"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcripts.id", ondelete="CASCADE"))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    code_id: Mapped[str] = mapped_column(String(100), index=True)
    codebook_version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10), default="human")
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id"))
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MemoRow(Base):
    __tablename__ = "memos"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id"))
    transcript_id: Mapped[int | None] = mapped_column(ForeignKey("transcripts.id"), nullable=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id"), nullable=True, index=True)
    code_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    span_id: Mapped[int | None] = mapped_column(ForeignKey("span_codings.id", ondelete="CASCADE",
                                                           name="fk_memos_span_id"), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # stale-write check
    updated_by: Mapped[str] = mapped_column(String(100), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AssignmentRow(Base):
    """A transcript assigned to a coder for blind double-coding."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("transcript_id", "coder_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcripts.id"))
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id"))
    sample: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TranscriptStatusRow(Base):
    """A coder marked a transcript done."""

    __tablename__ = "transcript_status"
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcripts.id"), primary_key=True)
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id"), primary_key=True)
    done_at: Mapped[datetime] = mapped_column(default=utcnow)


class FrameworkSummaryRow(Base):
    """A supervisor's summary of one participant × code cell of the framework matrix
    (``version`` rises with each write, for stale-write checks; every write is audited)."""

    __tablename__ = "framework_summaries"
    __table_args__ = (UniqueConstraint("participant_id", "code_id", name="uq_framework_summaries_cell"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    code_id: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginSessionRow(Base):
    """A log-in lasting a working day: only the SHA-256 of its random token is stored."""

    __tablename__ = "login_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class AuditRow(Base):
    """Append-only: every change (who, when, what, before, after). Never updated or deleted;
    database triggers refuse both."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(200), default="")
    before: Mapped[str] = mapped_column(Text, default="")  # JSON
    after: Mapped[str] = mapped_column(Text, default="")  # JSON


class DiscoveryRunRow(Base):
    """One run of theme discovery: its settings, seed, model and clusters (JSON), who and when.
    Runs are kept as history; the newest is the one the app shows."""

    __tablename__ = "discovery_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(300))
    seed: Mapped[int] = mapped_column(Integer, default=0)
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON: scope, by, min_size, n_clusters …
    clusters: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of clusters
    extra: Mapped[str] = mapped_column(Text, default="{}")  # JSON: outliers, group table


class JobRow(Base):
    """A long step run in the background (the app's *Update suggestions*): who started it,
    how far it got and how it ended, where every session and process can read it.

    ``running`` holds the job's kind while it runs and NULL once it ended; being UNIQUE, the
    database itself lets only one job of a kind run per study (two coders pressing at once,
    on SQLite or PostgreSQL: the second insert fails)."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    running: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    state: Mapped[str] = mapped_column(String(20))  # running / done / failed / cancelled
    started_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    phase: Mapped[str] = mapped_column(String(40), default="")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")  # the outcome, or the error, in words


class ReviewMarkRow(Base):
    """A random token appended whenever what *Review next* ranks changes other than by a
    decision: machine suggestions written, moved or removed, segments or transcripts added,
    changed or removed (:mod:`qualcode.store.review_marks` appends it in the writing
    transaction itself). The newest token keys the cached pool and uncertainty sums
    (:mod:`qualcode.store.review_index`); random, not a counter, so a cache made for one
    database is never taken for another's. Append-only, like the audit log."""

    __tablename__ = "review_marks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
