"""What every part of :class:`~qualcode.store.study.Study` shares, declared in one place.

``Study`` is assembled from parts (coding, codebook edits, double-coding, memos, …), one
module each. Each part inherits :class:`StudyCore`, which *defines* what they all use
(the connection, transactions, the audit log, coder lookup) and *declares*, for type
checkers and readers, the few methods a part borrows from another part, so every
attribute a part touches is either its own or written here
(``tests/store/test_study_core.py`` checks this).

Transactions come in two kinds. :meth:`StudyCore._tx` may write: on SQLite it begins
``BEGIN IMMEDIATE`` and holds the write lock from its first read, so a read-modify-write
never interleaves with another coder's. :meth:`StudyCore._read` only reads: on SQLite it
begins deferred and takes no lock (a page or report reads a snapshot while a coder
writes) and refuses any write; on PostgreSQL it is ``READ ONLY``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from qualcode.errors import StoreError
from qualcode.records import Participant
from qualcode.store import engine as engines
from qualcode.store.locking import insert_ignore
from qualcode.store.models import AuditRow, CoderRow, ParticipantRow
from qualcode.store.review_marks import watch_review_writes

if TYPE_CHECKING:
    import numpy as np

    from qualcode.records import Code, CodeApplication, Codebook, DiscoveryRun, Segment, SpanCoding


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def check_person_name(name: str) -> str:
    """A person's name, refusing the system coders (imported lazily: accounts imports core)."""
    from qualcode.store.accounts import check_person_name as check

    return check(name)


class StudyCore:
    """The shared base of every part of ``Study``: connection, transactions, audit, coders."""

    folder: Path
    url: str
    engine: Engine
    _sessions: sessionmaker[Session]
    _reads: sessionmaker[Session]

    def _connect(self, url: str) -> None:
        """Open (and migrate) the database at ``url``; two session factories on one pool."""
        self.url = url
        self.engine = engines.make_engine(url)
        engines.upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        watch_review_writes(self._sessions)  # writes of suggestions or segments bump the review mark
        self._reads = sessionmaker(engines.read_only(self.engine), expire_on_commit=False)

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        """One transaction that may write: committed at the end, rolled back on any error.

        On SQLite it starts with ``BEGIN IMMEDIATE`` (the engine's begin hook), so a
        read-modify-write holds the write lock from its first read; on PostgreSQL the
        writers lock the rows they change (:mod:`qualcode.store.locking`)."""
        try:
            with self._sessions.begin() as session:
                yield session
        except OperationalError as exc:  # SQLite's busy timeout ran out: one clear line
            if engines.is_locked(exc):
                raise engines.busy_error(self.engine) from None
            raise

    @contextmanager
    def _read(self) -> Iterator[Session]:
        """One read-only transaction (a consistent snapshot): no write lock on SQLite, and
        any write in it fails (so a method that writes cannot be mislabelled a reader)."""
        with self._reads.begin() as session:
            yield session

    def _audit(self, s: Session, actor: str, action: str, entity: str, entity_id: Any,
               before: Any, after: Any) -> None:
        s.add(AuditRow(actor=actor, action=action, entity=entity, entity_id=str(entity_id),
                       before="" if before is None else _json(before),
                       after="" if after is None else _json(after)))

    def _coder(self, s: Session, name: str, role: str | None = None, create: bool = True) -> CoderRow:
        """The coder ``name`` (made, idempotently, when ``create`` and not yet known)."""
        name = (name or "").strip()
        if not name:
            raise StoreError("coder: expected a name, got an empty one")
        if len(name) > 100:
            raise StoreError(f"coder: expected a name of at most 100 characters, got {len(name)}")
        row = s.scalar(select(CoderRow).where(CoderRow.name == name))
        if row is None:
            if not create:
                raise StoreError(f"coder: expected a known coder, got {name!r}")
            if role not in (None, "coder", "supervisor"):
                raise StoreError(f"coder {name}: expected role coder or supervisor, got {role!r}")
            # Idempotent: several processes creating the same coder at once all succeed;
            # only the one whose row went in writes the audit entry.
            made = insert_ignore(s, CoderRow, ["name"], name=name, role=role or "coder")
            row = s.scalar(select(CoderRow).where(CoderRow.name == name))
            if made:
                self._audit(s, name, "create", "coder", name, None, {"role": row.role})
        elif role is not None and row.role != role and row.role != "system":
            self._audit(s, name, "update", "coder", name, {"role": row.role}, {"role": role})
            row.role = role
        return row

    def _person(self, s: Session, name: str) -> CoderRow:
        """A person acting (never the system coders ``machine``/``final``)."""
        return self._coder(s, check_person_name(name))

    @staticmethod
    def _participant(r: ParticipantRow) -> Participant:
        return Participant(r.id, r.group, r.role, r.site, tuple(json.loads(r.speakers)),
                           json.loads(r.attributes))

    if TYPE_CHECKING:  # defined by one part, used by others (declared here, not re-defined)
        # study.Study
        def codebook(self, version: int | None = None) -> Codebook: ...
        def segments(self, transcript_id: int | None = None, codeable_only: bool = False,
                     ids: Iterable[int] | None = None) -> list[Segment]: ...
        def participants(self) -> list[Participant]: ...
        def _read_codebook(self, s: Session, version: int | None = None) -> Codebook: ...
        def _write_codebook(self, s: Session, codebook: Codebook, actor: str, note: str) -> int: ...
        def _upsert_participants(self, s: Session, participants: Iterable[Participant], actor: str) -> int: ...
        def _link_segments(self, s: Session, transcript_ids: Iterable[int] | None = None) -> None: ...
        # coding.Coding
        def _check_code(self, s: Session, code_id: str) -> int: ...
        def applications(self, source: str | None = None, coder: str | None = None,
                         segment_ids: Iterable[int] | None = None,
                         include_spans: bool = False) -> list[CodeApplication]: ...
        # codebook_edits.CodebookEdits
        def add_code(self, code: Code, actor: str, note: str = "", *,
                     expected_version: int | None = None) -> int: ...
        def edit_code(self, code_id: str, actor: str, note: str = "", *,
                      expected_version: int | None = None, **changes: object) -> int: ...
        # double_coding.DoubleCoding
        def _check_open(self, s: Session, who: CoderRow, segment_id: int | None = None,
                        transcript_id: int | None = None) -> None: ...
        def blind_transcripts(self, coder: str) -> set[int]: ...
        def coded_transcripts(self, coder: str) -> set[int]: ...
        def presence_tables(self, coders: list[str], code_ids: list[str], version: int | None = None
                            ) -> tuple[list[int], dict[str, np.ndarray], list[int]]: ...
        # page_reads.PageReads
        def decided_segment_ids(self, viewer: str) -> set[int]: ...
        def _codeable_layout(self) -> tuple[np.ndarray, np.ndarray]: ...
        @staticmethod
        def _uncertainty_query(code_ids: Sequence[str]): ...  # noqa: ANN205
        # accounts.Accounts
        def role_of(self, name: str) -> str: ...
        # discovery.Discovery
        def discovery(self, run_id: int | None = None) -> DiscoveryRun | None: ...
        # spans.Spans
        def _check_applicable(self, s: Session, code_id: str) -> int: ...
        def _span_applications(self, source: str | None, coder: str | None,
                               segment_ids: Iterable[int] | None,
                               decided: set[tuple[int, str, str, str | None]]) -> list[CodeApplication]: ...
        def span_codings(self, transcript_id: int | None = None, coder: str | None = None,
                         code_ids: Iterable[str] | None = None,
                         source: str | None = None) -> list[SpanCoding]: ...


__all__ = ["StudyCore"]
