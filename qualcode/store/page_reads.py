"""Small reads the app's pages make on every run, counted and filtered in SQL.

Mixed into :class:`qualcode.store.study.Study`. A page of a 50,000-segment study must
draw in well under a second, so these return counts, ids and bare columns, never a
record per row of the whole study; the blind rule (:meth:`blind_transcripts`) is applied
in the query, as :meth:`visible_applications` applies it: on a blind transcript
``viewer`` sees only their own human decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import and_, func, or_, select, true, union
from sqlalchemy.orm import Session

from qualcode.records import FIXED_SHOW_FROM
from qualcode.store.core import StudyCore
from qualcode.store.models import AuditRow, CodeApplicationRow, CoderRow, SegmentRow, SpanCodingRow, TranscriptRow
from qualcode.store.spans import _codeable as codeable
from qualcode.store.spans import _overlaps as overlaps


def shown_condition():  # noqa: ANN201 - a SQL condition
    """:func:`qualcode.records.engine_showed` in SQL: the engine's stored decision, else the fixed threshold."""
    confidence = func.coalesce(CodeApplicationRow.confidence, 0.0)
    return or_(CodeApplicationRow.shown.is_(True),
               and_(CodeApplicationRow.shown.is_(None), confidence >= FIXED_SHOW_FROM))


@dataclass(frozen=True)
class ReviewPool:
    """What *Review next* ranks, one entry per codeable segment in transcript order (name,
    start): ids only, no text, no record per segment. ``decided``: whether a human or final
    decision ``viewer`` may see exists."""

    segment_ids: tuple[int, ...]
    transcript_ids: tuple[int, ...]
    decided: tuple[bool, ...]


class PageReads(StudyCore):
    def change_counter(self) -> int:
        """A number that grows with every change to the study (each change appends to the
        audit log): pages key their caches on it, so a cache never outlives a change."""
        with self._read() as s:
            return s.scalar(select(func.max(AuditRow.id))) or 0

    def codeable_count(self) -> int:
        """How many segments are coded: participants' turns, not interviewer or procedural lines."""
        with self._read() as s:
            return s.scalar(select(func.count()).select_from(SegmentRow).where(
                SegmentRow.is_interviewer.is_(False), SegmentRow.procedural.is_(False))) or 0

    def _visible(self, s: Session, viewer: str):  # noqa: ANN202 - a SQL condition
        """Applications ``viewer`` may see (the blind rule), on a query joined to segments and coders."""
        blind = self.blind_transcripts(viewer)
        if not blind:
            return true()
        return or_(SegmentRow.transcript_id.not_in(sorted(blind)),
                   and_(CodeApplicationRow.source == "human", CoderRow.name == viewer))

    def _applications_query(self, s: Session, viewer: str, *columns):  # noqa: ANN001, ANN202
        return (select(*columns).select_from(CodeApplicationRow)
                .join(SegmentRow, CodeApplicationRow.segment_id == SegmentRow.id)
                .join(CoderRow, CodeApplicationRow.coder_id == CoderRow.id)
                .where(self._visible(s, viewer)))

    def decided_counts(self, viewer: str) -> dict[str, int]:
        """Coder → how many segments they decided (applied or rejected a code), as ``viewer`` sees it."""
        with self._read() as s:
            query = (self._applications_query(s, viewer, CoderRow.name,
                                              func.count(func.distinct(CodeApplicationRow.segment_id)))
                     .where(CodeApplicationRow.source == "human").group_by(CoderRow.name))
            return {name: n for name, n in s.execute(query)}

    def code_counts(self, viewer: str, source: str, min_confidence: float | None = None) -> dict[str, int]:
        """Code id → present applications of ``source`` (human: segments × coders; machine:
        the suggestions coders are shown, :func:`qualcode.records.engine_showed`, or with
        ``min_confidence`` every one from that confidence instead), as ``viewer`` sees them."""
        with self._read() as s:
            if source in ("human", "final"):
                return self._coding_counts(s, viewer, source)
            query = (self._applications_query(s, viewer, CodeApplicationRow.code_id, func.count())
                     .where(CodeApplicationRow.source == source, CodeApplicationRow.present.is_(True))
                     .group_by(CodeApplicationRow.code_id))
            if source == "machine":
                query = query.where(shown_condition() if min_confidence is None else
                                    func.coalesce(CodeApplicationRow.confidence, 0.0) >= min_confidence)
            return {code: n for code, n in s.execute(query)}

    def _coding_counts(self, s: Session, viewer: str, source: str) -> dict[str, int]:
        """Code id → (segment, coder) pairs coded with it by ``source`` (human or final): a
        decision on the segment, or a span coding overlapping it (the overlap rule: a span
        counts for every codeable segment it overlaps; a pair with both counts once)."""
        decisions = (self._applications_query(s, viewer, CodeApplicationRow.segment_id.label("sid"),
                                              CodeApplicationRow.code_id.label("code"),
                                              CodeApplicationRow.coder_id.label("who"))
                     .where(CodeApplicationRow.source == source, CodeApplicationRow.present.is_(True)))
        blind = self.blind_transcripts(viewer)
        visible = true() if not blind else or_(SegmentRow.transcript_id.not_in(sorted(blind)),
                                               and_(SpanCodingRow.source == "human", CoderRow.name == viewer))
        spans = (select(SegmentRow.id, SpanCodingRow.code_id, SpanCodingRow.coder_id).select_from(SpanCodingRow)
                 .join(SegmentRow, overlaps()).join(CoderRow, SpanCodingRow.coder_id == CoderRow.id)
                 .where(SpanCodingRow.source == source, codeable(), visible))
        pairs = union(decisions, spans).subquery()  # UNION: a pair coded both ways counts once
        return {code: n for code, n in s.execute(select(pairs.c.code, func.count()).group_by(pairs.c.code))}

    def decided_segment_ids(self, viewer: str) -> set[int]:
        """Segments with a human or final decision that ``viewer`` may see."""
        with self._read() as s:
            query = (self._applications_query(s, viewer, CodeApplicationRow.segment_id)
                     .where(CodeApplicationRow.source.in_(("human", "final"))).distinct())
            return set(s.scalars(query))

    def machine_confidences(self, viewer: str, segment_ids: Iterable[int] | None = None) -> list[tuple[int, str, float]]:
        """(segment id, code id, confidence) of every machine suggestion ``viewer`` may see
        (of ``segment_ids`` only, when given)."""
        wanted = None if segment_ids is None else sorted(set(segment_ids))
        out: list[tuple[int, str, float]] = []
        with self._read() as s:
            query = (self._applications_query(s, viewer, CodeApplicationRow.segment_id, CodeApplicationRow.code_id,
                                              CodeApplicationRow.confidence)
                     .where(CodeApplicationRow.source == "machine"))
            for i in range(0, 1 if wanted is None else len(wanted), 900):
                part = query if wanted is None else query.where(CodeApplicationRow.segment_id.in_(wanted[i:i + 900]))
                out += [(sid, code, conf or 0.0) for sid, code, conf in s.execute(part)]
        return out

    def review_pool(self, viewer: str) -> ReviewPool:
        """Every codeable segment with whether ``viewer`` sees it decided (see :class:`ReviewPool`),
        read from the covering index ``ix_segments_layout``."""
        ids, tids = self._codeable_layout()
        decided = self.decided_segment_ids(viewer)
        return ReviewPool(tuple(ids.tolist()), tuple(tids.tolist()), tuple(i in decided for i in ids.tolist()))

    def _codeable_layout(self) -> tuple[np.ndarray, np.ndarray]:
        """Codeable segments' ids and transcript ids by transcript name, then start (the
        covering ``ix_segments_layout``; Core rows and numpy, not ORM rows: seconds on 50,000)."""
        with self._read() as s:
            names = dict(s.execute(select(TranscriptRow.id, TranscriptRow.name)).tuples().all())
            rows = s.connection().execute(
                select(SegmentRow.transcript_id, SegmentRow.id)
                .where(SegmentRow.is_interviewer.is_(False), SegmentRow.procedural.is_(False))
                .order_by(SegmentRow.transcript_id, SegmentRow.start)).all()
        rank = {tid: r for r, tid in enumerate(sorted(names, key=lambda t: (names[t], t)))}
        tids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        ids = np.fromiter((r[1] for r in rows), np.int64, len(rows))
        ranks = np.zeros(int(tids.max()) + 1 if len(tids) else 0, dtype=np.int64)
        for tid, r in rank.items():
            if tid < len(ranks):
                ranks[tid] = r
        order = np.argsort(ranks[tids], kind="stable")  # by transcript name; by start within each
        return ids[order], tids[order]

    @staticmethod
    def _uncertainty_query(code_ids: Sequence[str]):  # noqa: ANN205 - a SQL select
        """Per segment with a machine suggestion on ``code_ids``: the sum of ``1 − |2c − 1|``
        and the highest confidence ``c``, from the covering ``ix_applications_suggestions``."""
        conf = func.coalesce(CodeApplicationRow.confidence, 0.0)
        return (select(CodeApplicationRow.segment_id, func.sum(1.0 - func.abs(2.0 * conf - 1.0)), func.max(conf))
                .where(CodeApplicationRow.source == "machine", CodeApplicationRow.code_id.in_(list(code_ids)))
                .group_by(CodeApplicationRow.segment_id))

    def uncertainty_sums(self, viewer: str, code_ids: Sequence[str]) -> list[tuple[int, float, bool]]:
        """(segment id, the sum over ``code_ids`` of ``1 − |2c − 1|``, whether any confidence
        ``c`` is above 0) of each segment with a machine suggestion ``viewer`` may see: what
        *Review next* ranks by once the model has learnt, summed in SQL from the covering index
        ``ix_applications_suggestions`` (one row per segment, not per suggestion). The blind
        rule for suggestions: none on a transcript blind for ``viewer``."""
        if not code_ids:
            return []
        query = self._uncertainty_query(code_ids)
        blind = self.blind_transcripts(viewer)
        if blind:
            query = query.where(CodeApplicationRow.segment_id.not_in(
                select(SegmentRow.id).where(SegmentRow.transcript_id.in_(sorted(blind)))))
        with self._read() as s:
            return [(sid, u or 0.0, (top or 0.0) > 0) for sid, u, top in s.connection().execute(query)]

    def segment_texts(self, segment_ids: Sequence[int]) -> list[str]:
        """The text of each of ``segment_ids``, in that order (what an embedder needs, without
        a record per segment). Segments are not blinded: their text is every coder's."""
        wanted = list(segment_ids)
        texts: dict[int, str] = {}
        with self._read() as s:
            for i in range(0, len(wanted), 900):
                texts.update((sid, text) for sid, text in s.execute(
                    select(SegmentRow.id, SegmentRow.text).where(SegmentRow.id.in_(wanted[i:i + 900]))))
        return [texts[i] for i in wanted]

    def codeable_index(self) -> list[tuple[int, int, str]]:
        """(segment id, transcript id, text) of every codeable segment, in transcript order:
        what *Review next* ranks, without a full record per segment."""
        with self._read() as s:
            query = (select(SegmentRow.id, SegmentRow.transcript_id, SegmentRow.text)
                     .join(TranscriptRow, SegmentRow.transcript_id == TranscriptRow.id)
                     .where(SegmentRow.is_interviewer.is_(False), SegmentRow.procedural.is_(False))
                     .order_by(TranscriptRow.name, SegmentRow.start))
            return [(i, t, text) for i, t, text in s.execute(query)]

    def is_dialogue(self) -> bool:
        """Whether some transcript has turns by two or more speakers (an interview, a
        hearing), as against texts that stand alone (survey answers, comments): the
        acknowledgement rule's prior depends on it (:mod:`qualcode.pipeline.acknowledgements`)."""
        with self._read() as s:
            query = (select(SegmentRow.transcript_id).where(SegmentRow.speaker.is_not(None))
                     .group_by(SegmentRow.transcript_id)
                     .having(func.count(func.distinct(SegmentRow.speaker)) >= 2).limit(1))
            return s.execute(query).first() is not None


__all__ = ["PageReads", "ReviewPool"]
