"""The review mark: a new random token in ``review_marks`` whenever a transaction changes
what *Review next* ranks, other than by a decision.

*Review next* on 50,000 segments spent most of its time re-reading the same things on
every click: the pool of codeable segments in transcript order and each segment's
uncertainty summed over its machine suggestions (0.6 s of SQL). Both change only when
suggestions or segments are written, so :mod:`qualcode.store.review_index` keeps them,
keyed by the newest token, and reads only the decisions afresh.

A cache is only as good as its invalidation, and machine suggestions are written in a
dozen places (a suggestion run, the background job, merging a cluster, merging or
splitting codes, undo, a project import). So the token is not bumped by each writer but
here, once, by watching the session: any transaction that flushes a machine
``CodeApplicationRow`` (new, changed or deleted), any segment or transcript row, or
runs an INSERT / UPDATE / DELETE statement on those tables, appends a token before it
commits, in the same transaction. A decision (a human or final row) appends nothing, so
coding does not throw the cache away; the decisions are read on every click instead.
"""

from __future__ import annotations

import uuid

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from qualcode.store.models import CodeApplicationRow, ReviewMarkRow, SegmentRow, TranscriptRow

WATCHED_TABLES = frozenset({CodeApplicationRow.__tablename__, SegmentRow.__tablename__,
                            TranscriptRow.__tablename__})
_CHANGED = "review_changed"  # the session.info flag


def _touches(obj: object) -> bool:
    if isinstance(obj, CodeApplicationRow):
        return obj.source == "machine"
    return isinstance(obj, SegmentRow | TranscriptRow)


def _before_flush(session: Session, flush_context, instances) -> None:  # noqa: ANN001
    if not session.info.get(_CHANGED) and any(
            _touches(o) for group in (session.new, session.dirty, session.deleted) for o in group):
        session.info[_CHANGED] = True


def _on_execute(state) -> None:  # noqa: ANN001 - an ORMExecuteState
    """A bulk statement (Core insert of suggestions, a DELETE … WHERE) has no objects to
    look at: any such statement on a watched table counts, whatever rows it touches."""
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in WATCHED_TABLES:
            state.session.info[_CHANGED] = True


def mark_review_changed(session: Session) -> None:
    """For a write these hooks cannot see (rows sent straight through the driver's cursor)."""
    session.info[_CHANGED] = True


def _before_commit(session: Session) -> None:
    session.flush()  # objects added since the last flush are looked at first
    if session.info.pop(_CHANGED, False):
        session.add(ReviewMarkRow(token=uuid.uuid4().hex))
        session.flush()


def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def watch_review_writes(sessions: sessionmaker[Session]) -> None:
    """Append a review mark to every transaction of ``sessions`` that changes suggestions or segments."""
    event.listen(sessions, "before_flush", _before_flush)
    event.listen(sessions, "do_orm_execute", _on_execute)
    event.listen(sessions, "before_commit", _before_commit)
    event.listen(sessions, "after_rollback", _after_rollback)


__all__ = ["WATCHED_TABLES", "mark_review_changed", "watch_review_writes"]
