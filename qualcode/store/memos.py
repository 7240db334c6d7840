"""Memos: a researcher's notes on a segment, a span coding, a code, a transcript or the project.

Mixed into :class:`qualcode.store.study.Study`. A segment (or anything else) may hold
several memos. Each memo carries a version: an edit made from a page opened before
someone else's edit is refused with who changed it and when, so nothing is overwritten
silently (a page passes the version it showed as ``expected_version``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.errors import StaleEditError, StoreError
from qualcode.records import MEMO_PLACES, Memo
from qualcode.store.core import StudyCore
from qualcode.store.models import CoderRow, MemoRow, SegmentRow, SpanCodingRow, TranscriptRow, utcnow

MEMO_KINDS = (*MEMO_PLACES, "project")
MAX_MEMO_CHARS = 100_000


class Memos(StudyCore):
    @staticmethod
    def _memo_text(text: str) -> str:
        if not isinstance(text, str) or not text.strip():
            raise StoreError("memo: expected some text, got an empty memo")
        if len(text) > MAX_MEMO_CHARS:
            raise StoreError(f"memo: expected at most {MAX_MEMO_CHARS:,} characters, got {len(text):,}")
        return text

    def add_memo(self, coder: str, text: str, segment_id: int | None = None,
                 transcript_id: int | None = None, code_id: str | None = None,
                 span_id: int | None = None) -> int:
        """A new memo; with none of segment/transcript/code/span it is a project memo."""
        text = self._memo_text(text)
        with self._tx() as s:
            who = self._person(s, coder)  # a person, not machine/final
            self._check_open(s, who, segment_id=segment_id, transcript_id=transcript_id)  # Done locks
            for model, key, what in ((SegmentRow, segment_id, "segment"), (TranscriptRow, transcript_id,
                                     "transcript"), (SpanCodingRow, span_id, "span coding")):
                if key is not None and s.get(model, key) is None:
                    raise StoreError(f"memo: expected a {what} id of the study, got {key}")
            if code_id is not None:
                self._check_code(s, code_id)
            row = MemoRow(coder_id=who.id, text=text, segment_id=segment_id, transcript_id=transcript_id,
                          code_id=code_id, span_id=span_id, version=1, updated_by=who.name)
            s.add(row)
            s.flush()
            self._audit(s, coder, "create", "memo", row.id, None,
                        {"text": text, "segment": segment_id, "transcript": transcript_id,
                         "code": code_id, "span": span_id, "version": 1})
            return row.id

    def _memo_for_edit(self, s: Session, memo_id: int, expected_version: int | None) -> MemoRow:
        row = s.get(MemoRow, memo_id)
        if row is None:
            raise StoreError(f"memo: expected a memo id of the study, got {memo_id}")
        if expected_version is not None and row.version != expected_version:
            who = row.updated_by or s.scalar(select(CoderRow.name).where(CoderRow.id == row.coder_id))
            at = row.updated_at.strftime("%Y-%m-%d %H:%M:%S UTC")
            raise StaleEditError(f"memo {memo_id}: changed by {who} at {at} since you opened it "
                                 f"(version {row.version}, you had {expected_version}); "
                                 "nothing was overwritten — reload to see it")
        return row

    def update_memo(self, memo_id: int, text: str, coder: str,
                    expected_version: int | None = None) -> int:
        """Replace a memo's text; returns its new version (unchanged text: the same version)."""
        text = self._memo_text(text)
        with self._tx() as s:
            who = self._coder(s, coder)
            row = self._memo_for_edit(s, memo_id, expected_version)
            if row.text == text:
                return row.version
            self._audit(s, coder, "update", "memo", memo_id, {"text": row.text},
                        {"text": text, "version": row.version + 1})
            row.text, row.version, row.updated_by, row.updated_at = text, row.version + 1, who.name, utcnow()
            return row.version

    def delete_memo(self, memo_id: int, coder: str, expected_version: int | None = None) -> None:
        """Remove a memo; the audit log keeps its text, so undo brings it back."""
        with self._tx() as s:
            self._coder(s, coder)
            row = self._memo_for_edit(s, memo_id, expected_version)
            self._audit(s, coder, "delete", "memo", memo_id, self._memo_state(row), None)
            s.delete(row)

    @staticmethod
    def _memo_state(row: MemoRow) -> dict:
        return {"coder_id": row.coder_id, "text": row.text, "segment": row.segment_id,
                "transcript": row.transcript_id, "code": row.code_id, "span": row.span_id,
                "version": row.version, "updated_by": row.updated_by}

    def memos(self, segment_id: int | None = None, transcript_id: int | None = None,
              segment_ids: Iterable[int] | None = None, code_id: str | None = None,
              span_id: int | None = None, coder: str | None = None,
              kind: str | None = None) -> list[Memo]:
        """Memos in the order written, filtered by place, author or ``kind`` (what a memo is
        about: :attr:`qualcode.records.Memo.kind`)."""
        if kind is not None and kind not in MEMO_KINDS:
            raise StoreError(f"memo kind: expected one of {', '.join(MEMO_KINDS)}, got {kind!r}")
        query = select(MemoRow, CoderRow.name).join(CoderRow, MemoRow.coder_id == CoderRow.id)
        if segment_id is not None:
            query = query.where(MemoRow.segment_id == segment_id)
        if segment_ids is not None:
            query = query.where(MemoRow.segment_id.in_(list(segment_ids)))
        if transcript_id is not None:
            query = query.where(MemoRow.transcript_id == transcript_id)
        if code_id is not None:
            query = query.where(MemoRow.code_id == code_id)
        if span_id is not None:
            query = query.where(MemoRow.span_id == span_id)
        if coder is not None:
            query = query.where(CoderRow.name == coder)
        with self._read() as s:
            found = [Memo(m.id, name, m.text, m.segment_id, m.transcript_id, m.code_id, m.span_id, m.version,
                          m.created_at.isoformat(), m.updated_at.isoformat(), m.updated_by or name)
                     for m, name in s.execute(query.order_by(MemoRow.id))]
        return [m for m in found if kind is None or m.kind == kind]


__all__ = ["MEMO_KINDS", "Memos"]
