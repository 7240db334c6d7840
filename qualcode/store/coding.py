"""Coding decisions in the study: human decisions, machine suggestions, final codes.

Mixed into :class:`qualcode.store.study.Study`; every method is one transaction with
an audit entry (who, when, what, before, after).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from qualcode.errors import StoreError
from qualcode.records import CodeApplication, Suggestion
from qualcode.store.core import StudyCore
from qualcode.store.locking import lock_row
from qualcode.store.models import (
    CodeApplicationRow,
    CodebookVersion,
    CodeRow,
    CoderRow,
    SegmentRow,
    utcnow,
)

MERGED_REASON = "discovery cluster"  # a person merged a discovered cluster into the code


class Coding(StudyCore):
    def _check_code(self, s: Session, code_id: str) -> int:
        version = s.scalar(select(func.max(CodebookVersion.id)))
        if version is None or not s.scalar(select(CodeRow.pk).where(CodeRow.version == version,
                                                                    CodeRow.code_id == code_id)):
            raise StoreError(f"code: expected a code id of the current codebook, got {code_id!r}")
        return version

    def decide(self, segment_id: int, code_id: str, coder: str, present: bool = True) -> None:
        """A coder applies (``present``) or rejects a code on a segment; saved at once."""
        with self._tx() as s:
            who = self._person(s, coder)
            self._check_open(s, who, segment_id=segment_id)
            self._record(s, segment_id, code_id, "human", who, present, actor=coder)

    def unset(self, segment_id: int, code_id: str, coder: str) -> None:
        """Withdraw a coder's decision (the audit log keeps it)."""
        with self._tx() as s:
            who = self._coder(s, coder, create=False)
            lock_row(s, SegmentRow, segment_id)
            self._check_open(s, who, segment_id=segment_id)
            row = s.scalar(select(CodeApplicationRow).where(
                CodeApplicationRow.segment_id == segment_id, CodeApplicationRow.code_id == code_id,
                CodeApplicationRow.source == "human", CodeApplicationRow.coder_id == who.id))
            if row is not None:
                self._audit(s, coder, "unset", "code_application", f"{segment_id}:{code_id}",
                            {"present": row.present, "coder": coder}, None)
                s.delete(row)

    def _record(self, s: Session, segment_id: int, code_id: str, source: str, who: CoderRow,
                present: bool, actor: str, reason: str = "", decided_by: str = "") -> None:
        version = self._check_code(s, code_id)
        # The segment's row is locked (PostgreSQL; SQLite holds the write lock already), so
        # two coders' decisions on it are one after the other and the audit log's last
        # entry is always what the row holds.
        if lock_row(s, SegmentRow, segment_id) is None:
            raise StoreError(f"segment: expected a segment id of the study, got {segment_id}")
        row = s.scalar(select(CodeApplicationRow).where(
            CodeApplicationRow.segment_id == segment_id, CodeApplicationRow.code_id == code_id,
            CodeApplicationRow.source == source, CodeApplicationRow.coder_id == who.id))
        before = None if row is None else {"present": row.present, "reason": row.reason}
        after = {"present": present, "source": source, "coder": who.name, "reason": reason}
        if row is None:
            s.add(CodeApplicationRow(segment_id=segment_id, code_id=code_id, codebook_version=version,
                                     source=source, coder_id=who.id, present=present, reason=reason,
                                     decided_by=decided_by or who.name))
        else:
            row.present, row.reason, row.codebook_version = present, reason, version
            row.decided_by = decided_by or who.name
        self._audit(s, actor, "decide" if source == "human" else "adjudicate", "code_application",
                    f"{segment_id}:{code_id}", before, after)

    def set_final(self, segment_id: int, code_id: str, present: bool, adjudicator: str,
                  rationale: str = "") -> None:
        """The adjudicated (final) coding, kept apart from every coder's own."""
        with self._tx() as s:
            self._person(s, adjudicator)
            self._record(s, segment_id, code_id, "final", self._coder(s, "final"), present,
                         actor=adjudicator, reason=rationale, decided_by=adjudicator)

    def applications(self, source: str | None = None, coder: str | None = None,
                     segment_ids: Iterable[int] | None = None,
                     include_spans: bool = False) -> list[CodeApplication]:
        """Segment decisions; ``include_spans`` adds span codings by the overlap rule
        (:mod:`qualcode.store.spans`), one per segment, code and coder without its own decision."""
        if segment_ids is not None:
            segment_ids = list(segment_ids)
        query = select(CodeApplicationRow, CoderRow.name).join(CoderRow)
        if source is not None:
            query = query.where(CodeApplicationRow.source == source)
        if coder is not None:
            query = query.where(CoderRow.name == coder)
        if segment_ids is not None:
            query = query.where(CodeApplicationRow.segment_id.in_(list(segment_ids)))
        with self._read() as s:
            found = [CodeApplication(r.segment_id, r.code_id, r.source, r.present,
                                     r.decided_by if r.source == "final" else
                                     (None if r.source == "machine" else name),
                                     r.confidence, r.reason, r.codebook_version, r.created_at.isoformat(),
                                     r.shown)
                     for r, name in s.execute(query.order_by(CodeApplicationRow.id))]
        if include_spans:
            decided = {(a.segment_id, a.code_id, a.source, a.coder) for a in found}
            found += self._span_applications(source, coder, segment_ids, decided)
        return found

    def replace_suggestions(self, suggestions: list[Suggestion], segment_ids: Iterable[int],
                            model_id: str) -> int:
        """Replace the machine suggestions of ``segment_ids`` in one transaction.

        Suggestions a person made by merging a discovered cluster into a code (reason
        ``discovery cluster …``, :meth:`merge_cluster`) are a person's choice, not the
        model's guess: they are kept, taking the model's confidence where it is higher."""
        ids = list(segment_ids)
        with self._tx() as s:
            version = s.scalar(select(func.max(CodebookVersion.id)))
            machine = self._coder(s, "machine")
            merged: dict[tuple[int, str], CodeApplicationRow] = {}
            for i in range(0, len(ids), 900):
                chunk = ids[i:i + 900]
                for row in s.scalars(select(CodeApplicationRow).where(
                        CodeApplicationRow.source == "machine", CodeApplicationRow.segment_id.in_(chunk),
                        CodeApplicationRow.reason.like(f"{MERGED_REASON}%"))):
                    merged[(row.segment_id, row.code_id)] = row
                s.execute(delete(CodeApplicationRow).where(
                    CodeApplicationRow.source == "machine", CodeApplicationRow.segment_id.in_(chunk),
                    CodeApplicationRow.reason.not_like(f"{MERGED_REASON}%")))
            fresh = []
            for x in suggestions:
                kept = merged.get((x.segment_id, x.code_id))
                if kept is None:
                    fresh.append(x)
                elif float(x.confidence) > (kept.confidence or 0.0):
                    kept.confidence = float(x.confidence)
                    kept.shown = None  # a person's merge: the fixed rule on its new confidence
            if fresh:
                now = utcnow()
                s.execute(insert(CodeApplicationRow.__table__), [  # Core executemany: no ORM bookkeeping per row
                    {"segment_id": x.segment_id, "code_id": x.code_id, "codebook_version": version,
                     "source": "machine", "coder_id": machine.id, "present": True,
                     "confidence": float(x.confidence), "reason": x.reason, "decided_by": model_id,
                     "created_at": now, "updated_at": now, "shown": x.shown} for x in fresh])
            self._audit(s, "machine", "suggest", "study", model_id, None,
                        {"segments": len(ids), "suggestions": len(suggestions), "model": model_id,
                         "kept_from_discovery": len(merged)})
        return len(suggestions)

