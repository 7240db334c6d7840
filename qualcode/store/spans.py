"""Span codings: a code applied to any stretch of a transcript, not only a whole segment.

Mixed into :class:`qualcode.store.study.Study`. A span is ``[start, end)`` in the stored
plain text and keeps its text (``text == plain_text[start:end]``, checked on write), so it
can be shown and exported without re-reading the transcript.

The overlap rule, used wherever segments are counted for a code: segments stay the unit
of suggestions and agreement, and a span coding counts for every *codeable* segment it
overlaps, i.e. ``segment.start < span.end and span.start < segment.end`` (touching ends do
not overlap). Interviewer turns and procedural lines are never counted, as for segments.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from qualcode.errors import StoreError
from qualcode.records import CodeApplication, SpanCoding
from qualcode.store.core import StudyCore
from qualcode.store.models import (
    CodeApplicationRow,
    CodeRow,
    CoderRow,
    MemoRow,
    SegmentRow,
    SpanCodingRow,
    TranscriptRow,
)

SPAN_SOURCES = ("human", "final")


def _overlaps():  # noqa: ANN202
    """The overlap rule as a SQL condition joining segments to span codings."""
    return and_(SegmentRow.transcript_id == SpanCodingRow.transcript_id,
                SegmentRow.start < SpanCodingRow.end, SpanCodingRow.start < SegmentRow.end)


def _codeable():  # noqa: ANN202
    return and_(SegmentRow.is_interviewer.is_(False), SegmentRow.procedural.is_(False))


class Spans(StudyCore):
    @staticmethod
    def _span_record(r: SpanCodingRow, tname: str, coder: str) -> SpanCoding:
        return SpanCoding(id=r.id, transcript_id=r.transcript_id, transcript=tname, start=r.start,
                          end=r.end, text=r.text, code_id=r.code_id, source=r.source,
                          coder=r.decided_by if r.source == "final" else coder,
                          codebook_version=r.codebook_version, created_at=r.created_at.isoformat())

    def _span_row(self, s: Session, transcript_id: int, start: int, end: int, code_id: str,
                  who: CoderRow, text: str | None = None,
                  plain: str | None = None, version: int | None = None) -> tuple[SpanCodingRow, bool]:
        """The span coding row (created if new) and whether it was created; checks everything
        (``version``: the code was already checked under that codebook version)."""
        if version is None:
            version = self._check_applicable(s, code_id)
        if plain is None:
            plain = s.scalar(select(TranscriptRow.plain_text).where(TranscriptRow.id == transcript_id))
        if plain is None:
            raise StoreError(f"transcript: expected an id in the study, got {transcript_id}")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(plain)):
            raise StoreError(f"span: expected 0 <= start < end <= {len(plain)} in transcript "
                             f"{transcript_id}, got start {start!r}, end {end!r}")
        if text is not None and plain[start:end] != text:
            raise StoreError(f"span {start}-{end}: expected the selected text {text[:60]!r}, got "
                             f"{plain[start:end][:60]!r} in the transcript (the page is out of date; reload it)")
        row = s.scalar(select(SpanCodingRow).where(
            SpanCodingRow.transcript_id == transcript_id, SpanCodingRow.start == start,
            SpanCodingRow.end == end, SpanCodingRow.code_id == code_id,
            SpanCodingRow.source == "human", SpanCodingRow.coder_id == who.id))
        if row is not None:
            return row, False
        row = SpanCodingRow(transcript_id=transcript_id, start=start, end=end, text=plain[start:end],
                            code_id=code_id, codebook_version=version, source="human",
                            coder_id=who.id, decided_by=who.name)
        s.add(row)
        s.flush()
        return row, True

    def _check_applicable(self, s: Session, code_id: str) -> int:
        version = self._check_code(s, code_id)
        codable = s.scalar(select(CodeRow.is_codable).where(CodeRow.version == version,
                                                            CodeRow.code_id == code_id))
        if not codable:
            raise StoreError(f"code {code_id}: expected a code that can be applied, got a heading "
                             "that only groups codes (apply one of its sub-codes)")
        return version

    @staticmethod
    def _span_state(r: SpanCodingRow) -> dict:
        return {"transcript": r.transcript_id, "start": r.start, "end": r.end, "text": r.text,
                "code": r.code_id, "source": r.source, "coder_id": r.coder_id,
                "decided_by": r.decided_by, "codebook_version": r.codebook_version}

    def code_span(self, transcript_id: int, start: int, end: int, code_id: str, coder: str,
                  text: str | None = None) -> int:
        """Apply ``code_id`` to ``[start, end)`` as ``coder``; returns the span coding's id.

        ``text``, when given, is what the coder selected: it must equal the stored text at
        those offsets, so a page drawn from an older copy cannot code the wrong words. Coding
        the same span with the same code again changes nothing and returns the same id.
        """
        with self._tx() as s:
            who = self._person(s, coder)
            self._check_open(s, who, transcript_id=transcript_id)  # Done locks the coder's coding
            row, created = self._span_row(s, transcript_id, start, end, code_id, who, text)
            if created:
                self._audit(s, coder, "create", "span_coding", row.id, None, self._span_state(row))
            return row.id

    def remove_span(self, span_id: int, coder: str) -> None:
        """Withdraw a span coding (its memos go with it); the audit log keeps both, so undo
        can restore them."""
        with self._tx() as s:
            row = s.get(SpanCodingRow, span_id)
            if row is None:
                raise StoreError(f"span coding: expected an id of the study, got {span_id}")
            who = self._person(s, coder)
            self._check_open(s, who, transcript_id=row.transcript_id)
            if row.source == "human" and row.coder_id != who.id:
                raise StoreError(f"span coding {span_id}: expected one of {coder}'s own codings, got "
                                 f"one by {row.decided_by} (each coder removes only their own)")
            rows = list(s.scalars(select(MemoRow).where(MemoRow.span_id == span_id)))
            memos = [{"id": m.id, "coder_id": m.coder_id, "text": m.text, "version": m.version,
                      "updated_by": m.updated_by} for m in rows]
            for m in rows:
                s.delete(m)
            self._audit(s, coder, "remove", "span_coding", span_id,
                        {**self._span_state(row), "memos": memos}, None)
            s.delete(row)

    def span_codings(self, transcript_id: int | None = None, coder: str | None = None,
                     code_ids: Iterable[str] | None = None, source: str | None = None) -> list[SpanCoding]:
        """Span codings in transcript order. ``coder`` filters on the stored coder (``final``
        for adjudicated spans, as :meth:`applications` does); a final span's record names its
        adjudicator."""
        query = (select(SpanCodingRow, TranscriptRow.name, CoderRow.name)
                 .join(TranscriptRow, SpanCodingRow.transcript_id == TranscriptRow.id)
                 .join(CoderRow, SpanCodingRow.coder_id == CoderRow.id))
        if transcript_id is not None:
            query = query.where(SpanCodingRow.transcript_id == transcript_id)
        if coder is not None:
            query = query.where(CoderRow.name == coder)
        if code_ids is not None:
            query = query.where(SpanCodingRow.code_id.in_(list(code_ids)))
        if source is not None:
            query = query.where(SpanCodingRow.source == source)
        with self._read() as s:
            return [self._span_record(r, t, c) for r, t, c in
                    s.execute(query.order_by(TranscriptRow.name, SpanCodingRow.start, SpanCodingRow.id))]

    def segments_for_span(self, transcript_id: int, start: int, end: int,
                          codeable_only: bool = True) -> list[int]:
        """Ids of the segments ``[start, end)`` counts for (the overlap rule), in text order."""
        query = select(SegmentRow.id).where(SegmentRow.transcript_id == transcript_id,
                                            SegmentRow.start < end, SegmentRow.end > start)
        if codeable_only:
            query = query.where(_codeable())
        with self._read() as s:
            return list(s.scalars(query.order_by(SegmentRow.start)))

    def _span_segment_pairs(self, s: Session, source: str | None = None, coder: str | None = None,
                            code_ids: Iterable[str] | None = None,
                            segment_ids: Iterable[int] | None = None) -> list[tuple]:
        """(segment id, code id, source, coder, span row) for every codeable segment a span overlaps."""
        query = (select(SegmentRow.id, SpanCodingRow, CoderRow.name)
                 .join(SegmentRow, _overlaps()).join(CoderRow, SpanCodingRow.coder_id == CoderRow.id)
                 .where(_codeable()))
        if source is not None:
            query = query.where(SpanCodingRow.source == source)
        if coder is not None:
            query = query.where(CoderRow.name == coder)
        if code_ids is not None:
            query = query.where(SpanCodingRow.code_id.in_(list(code_ids)))
        if segment_ids is not None:
            query = query.where(SegmentRow.id.in_(list(segment_ids)))
        return [(sid, r.code_id, r.source, r.decided_by if r.source == "final" else name, r)
                for sid, r, name in s.execute(query.order_by(SpanCodingRow.id, SegmentRow.start))]

    def coded_segments(self, code_ids: Iterable[str], source: str | None = None,
                       coder: str | None = None) -> set[int]:
        """Segments coded with any of ``code_ids``: present decisions plus the overlap rule."""
        codes = list(code_ids)
        query = (select(CodeApplicationRow.segment_id).join(CoderRow)
                 .where(CodeApplicationRow.code_id.in_(codes), CodeApplicationRow.present.is_(True)))
        if source is not None:
            query = query.where(CodeApplicationRow.source == source)
        if coder is not None:
            query = query.where(CoderRow.name == coder)
        with self._read() as s:
            found = set(s.scalars(query))
            if source in (None, *SPAN_SOURCES):
                found |= {p[0] for p in self._span_segment_pairs(s, source, coder, codes)}
        return found

    def _span_applications(self, source: str | None, coder: str | None,
                           segment_ids: Iterable[int] | None,
                           decided: set[tuple[int, str, str, str | None]]) -> list[CodeApplication]:
        """Span codings as segment applications (for counts), skipping any (segment, code,
        source, coder) that already has its own decision."""
        if source not in (None, *SPAN_SOURCES):
            return []
        out: list[CodeApplication] = []
        with self._read() as s:
            for sid, code_id, src, who, r in self._span_segment_pairs(s, source, coder, None, segment_ids):
                key = (sid, code_id, src, who)
                if key in decided:
                    continue
                decided.add(key)
                out.append(CodeApplication(sid, code_id, src, True, who, None, f"span {r.start}-{r.end}",
                                           r.codebook_version, r.created_at.isoformat()))
        return out


__all__ = ["SPAN_SOURCES", "Spans"]
