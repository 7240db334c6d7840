"""Writing a transcript's segments and linking them to participants, in bulk.

A transcript at the file-size limit (8 MiB) holds ~80,000 segments. Made one ORM object
at a time they took ~20 s and ~50x the file's size in memory (every row stays in the
session's identity map until commit); here they go in as plain ``INSERT`` statements,
a chunk of rows at a time, with their participant already resolved, and re-linking after
a participants sheet changes is one ``UPDATE`` per (transcript, speaker label), not a
read of every segment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from qualcode.io.participants import is_interviewer_label, match_speaker
from qualcode.pipeline.segment import SegmentSpan
from qualcode.records import Participant, Transcript
from qualcode.store.models import SegmentRow, TranscriptRow
from qualcode.store.review_marks import mark_review_changed

CHUNK = 2_000  # rows per INSERT batch: bounded memory, few round trips


def _link(speaker: str | None, people: list[Participant], transcript: str) -> tuple[str | None, bool]:
    """(participant id, is the interviewer) of a speaker label in ``transcript``."""
    person = match_speaker(speaker, people, transcript)
    if person is not None:
        return person.participant_id, person.is_interviewer
    return None, is_interviewer_label(speaker)


COLUMNS = ("transcript_id", "turn_index", "start", "end", "text", "speaker", "participant_id",
           "start_time", "end_time", "is_interviewer", "procedural")


def _writer(s: Session) -> Callable[[list[tuple]], None]:
    """A function inserting a chunk of row tuples (in :data:`COLUMNS` order) in ``s``'s
    transaction. On SQLite straight through the driver's ``executemany`` (SQLAlchemy's
    per-row parameter processing was half the time of a large import); elsewhere by a
    Core ``INSERT`` with a list of parameters."""
    table = SegmentRow.__table__
    if s.get_bind().dialect.name == "sqlite":
        sql = (f"INSERT INTO {table.name} ({', '.join(f'[{c}]' for c in COLUMNS)}) "
               f"VALUES ({', '.join('?' for _ in COLUMNS)})")
        cursor = s.connection().connection.dbapi_connection.cursor()
        mark_review_changed(s)  # past the session's hooks: say so (qualcode/store/review_marks.py)
        return lambda rows: cursor.executemany(sql, rows)
    statement = insert(table)
    return lambda rows: s.execute(statement, [dict(zip(COLUMNS, r, strict=True)) for r in rows])


def insert_segments(s: Session, transcript_id: int, t: Transcript, spans: Iterable[SegmentSpan],
                    people: list[Participant]) -> int:
    """Insert the segments ``spans`` of ``t`` (stored as ``transcript_id``); their number."""
    links: dict[str | None, tuple[str | None, bool]] = {}
    write = _writer(s)
    chunk: list[tuple] = []
    n = 0
    for sp in spans:
        turn = t.turns[sp.turn_index]
        if turn.speaker not in links:
            links[turn.speaker] = _link(turn.speaker, people, t.name)
        pid, interviewer = links[turn.speaker]
        chunk.append((transcript_id, sp.turn_index, sp.start, sp.end, t.plain_text[sp.start:sp.end],
                      turn.speaker, pid, turn.start_time, turn.end_time, interviewer, turn.procedural))
        if len(chunk) >= CHUNK:
            write(chunk)
            n += len(chunk)
            chunk = []
    if chunk:
        write(chunk)
        n += len(chunk)
    return n


def link_segments(s: Session, people: list[Participant], transcript_ids: Iterable[int] | None = None) -> None:
    """(Re)attach segments to participants by their speaker label: each distinct
    (transcript, label) is resolved once and its segments changed by one ``UPDATE``
    (only where they differ)."""
    seg = SegmentRow.__table__.c
    query = (select(SegmentRow.transcript_id, TranscriptRow.name, SegmentRow.speaker,
                    SegmentRow.participant_id, SegmentRow.is_interviewer)
             .join(TranscriptRow, SegmentRow.transcript_id == TranscriptRow.id).distinct())
    if transcript_ids is not None:
        query = query.where(SegmentRow.transcript_id.in_(list(transcript_ids)))
    current: dict[tuple[int, str, str | None], set[tuple[str | None, bool]]] = {}
    for tid, tname, speaker, pid, interviewer in s.execute(query):
        current.setdefault((tid, tname, speaker), set()).add((pid, bool(interviewer)))
    for (tid, tname, speaker), states in current.items():
        want = _link(speaker, people, tname)
        if states == {want}:
            continue
        label = seg.speaker.is_(None) if speaker is None else seg.speaker == speaker
        s.execute(update(SegmentRow.__table__).where(seg.transcript_id == tid, label)
                  .values(participant_id=want[0], is_interviewer=want[1]))


__all__ = ["CHUNK", "insert_segments", "link_segments"]
