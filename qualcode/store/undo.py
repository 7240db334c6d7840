"""Undo: a coder takes back their own last action, then the one before, and so on.

Mixed into :class:`qualcode.store.study.Study`. Every action is already in the audit log
with its before and after, so undo reads the coder's latest action not yet undone and puts
the before back. The undo is itself a NEW audit row (action ``undo``, naming the row it
undoes); no audit row is ever changed or deleted. Undoable: decide, unset, code_span,
remove_span, code_all_hits, memo add/edit/delete, mark done.
"""

from __future__ import annotations

import json

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from qualcode.errors import StaleEditError, StoreError
from qualcode.store.core import StudyCore
from qualcode.store.models import (
    AuditRow,
    CodeApplicationRow,
    CodebookVersion,
    CodeRow,
    CoderRow,
    MemoRow,
    SegmentRow,
    SpanCodingRow,
    TranscriptRow,
    TranscriptStatusRow,
    utcnow,
)

UNDOABLE = (("decide", "code_application"), ("unset", "code_application"), ("create", "span_coding"),
            ("remove", "span_coding"), ("code_all_hits", "span_coding"), ("create", "memo"),
            ("update", "memo"), ("delete", "memo"), ("done", "transcript"))


class Undo(StudyCore):
    def undo_last(self, coder: str) -> str:
        """Undo ``coder``'s latest action not yet undone; returns what was undone, in words."""
        with self._tx() as s:
            who = self._coder(s, coder, create=False) if coder else None
            if who is None:
                raise StoreError("undo: expected a coder's name, got an empty one")
            row = self._last_undoable(s, who.name)
            if row is None:
                raise StoreError(f"undo: nothing left to undo for {who.name}")
            before = json.loads(row.before) if row.before else None
            after = json.loads(row.after) if row.after else None
            undo = getattr(self, f"_undo_{row.action}_{row.entity}")
            changed, words = undo(s, who, row.entity_id, before, after)
            self._audit(s, who.name, "undo", row.entity, row.entity_id, changed,
                        {"undoes": row.id, "action": row.action})
            return words

    def _last_undoable(self, s: Session, name: str) -> AuditRow | None:
        undone = {json.loads(a)["undoes"] for a in s.scalars(
            select(AuditRow.after).where(AuditRow.actor == name, AuditRow.action == "undo"))}
        kinds = or_(*(and_(AuditRow.action == a, AuditRow.entity == e) for a, e in UNDOABLE))
        query = (select(AuditRow).where(AuditRow.actor == name, kinds)
                 .order_by(AuditRow.id.desc()).limit(len(undone) + 1))
        return next((a for a in s.scalars(query) if a.id not in undone), None)

    # ------------------------------------------------------------------ in words, as the app shows them
    @staticmethod
    def _code_words(s: Session, code_id: str) -> str:
        """A code as the codebook lists it (``Theme › Code``, the app's label), from the newest
        codebook version that has it, so a code retired since is named as it was; its id only
        if no version ever had it."""
        row = s.scalar(select(CodeRow).where(CodeRow.code_id == code_id).order_by(CodeRow.version.desc()).limit(1))
        if row is None:
            return code_id
        top, seen = row, {row.code_id}
        while top.parent_id is not None and top.parent_id not in seen:
            parent = s.scalar(select(CodeRow).where(CodeRow.version == row.version, CodeRow.code_id == top.parent_id))
            if parent is None:
                break
            top = parent
            seen.add(top.code_id)
        return row.name if top is row else f"{top.name} › {row.name}"

    @staticmethod
    def _segment_words(s: Session, segment_id: int) -> str:
        """``segment 4 of n01``: the number the card's header shows, the transcript's name."""
        name = s.scalar(select(TranscriptRow.name).join(SegmentRow, SegmentRow.transcript_id == TranscriptRow.id)
                        .where(SegmentRow.id == segment_id))
        return f"segment {segment_id}" + (f" of {name}" if name else "")

    @staticmethod
    def _transcript_words(s: Session, transcript_id: int) -> str:
        name = s.scalar(select(TranscriptRow.name).where(TranscriptRow.id == transcript_id))
        return f"transcript {name}" if name else f"transcript {transcript_id}"

    # ------------------------------------------------------------------ decisions
    @staticmethod
    def _human_row(s: Session, who: CoderRow, entity_id: str) -> tuple[int, str, CodeApplicationRow | None]:
        segment, code = entity_id.split(":", 1)
        row = s.scalar(select(CodeApplicationRow).where(
            CodeApplicationRow.segment_id == int(segment), CodeApplicationRow.code_id == code,
            CodeApplicationRow.source == "human", CodeApplicationRow.coder_id == who.id))
        return int(segment), code, row

    def _put_decision(self, s: Session, who: CoderRow, entity_id: str, state: dict | None) -> dict | None:
        segment, code, row = self._human_row(s, who, entity_id)
        now = None if row is None else {"present": row.present, "reason": row.reason}
        if state is None:
            if row is not None:
                s.delete(row)
        elif row is None:
            version = s.scalar(select(func.max(CodebookVersion.id)))
            s.add(CodeApplicationRow(segment_id=segment, code_id=code, codebook_version=version,
                                     source="human", coder_id=who.id, present=bool(state["present"]),
                                     reason=state.get("reason", ""), decided_by=who.name))
        else:
            row.present, row.reason = bool(state["present"]), state.get("reason", "")
        return now

    def _undo_decide_code_application(self, s, who, entity_id, before, after):  # noqa: ANN001, ANN202
        now = self._put_decision(s, who, entity_id, before)
        segment, code = entity_id.split(":", 1)
        verb = "accepted" if after and after.get("present") else "rejected"
        return now, f"Undid: {verb} {self._code_words(s, code)} on {self._segment_words(s, int(segment))}"

    def _undo_unset_code_application(self, s, who, entity_id, before, after):  # noqa: ANN001, ANN202
        now = self._put_decision(s, who, entity_id, before)
        segment, code = entity_id.split(":", 1)
        return now, f"Undid: cleared {self._code_words(s, code)} on {self._segment_words(s, int(segment))}"

    # ------------------------------------------------------------------ span codings
    @staticmethod
    def _drop_spans(s: Session, ids: list[int]) -> list[dict]:
        gone = []
        for span_id in ids:
            row = s.get(SpanCodingRow, span_id)
            if row is None:
                continue
            for memo in s.scalars(select(MemoRow).where(MemoRow.span_id == span_id)):
                s.delete(memo)
            gone.append({"id": row.id, "start": row.start, "end": row.end, "code": row.code_id})
            s.delete(row)
        s.flush()
        return gone

    def _undo_create_span_coding(self, s, who, entity_id, before, after):  # noqa: ANN001, ANN202
        gone = self._drop_spans(s, [int(entity_id)])
        return {"spans": gone}, f"Undid: coded {after['text'][:40]!r} with {self._code_words(s, after['code'])}"

    def _undo_code_all_hits_span_coding(self, s, who, entity_id, before, after):  # noqa: ANN001, ANN202
        gone = self._drop_spans(s, list(after["spans"]))
        return ({"spans": gone}, f"Undid: coded all {len(after['spans'])} hits of {after['query']!r} "
                f"with {self._code_words(s, after['code'])}")

    def _undo_remove_span_coding(self, s, who, entity_id, before, after):  # noqa: ANN001, ANN202
        span_id = int(entity_id)
        if s.get(SpanCodingRow, span_id) is None:
            s.add(SpanCodingRow(id=span_id, transcript_id=before["transcript"], start=before["start"],
                                end=before["end"], text=before["text"], code_id=before["code"],
                                codebook_version=before["codebook_version"], source=before["source"],
                                coder_id=before["coder_id"], decided_by=before["decided_by"]))
            s.flush()
            for m in before.get("memos", []):
                if s.get(MemoRow, m["id"]) is None:
                    s.add(MemoRow(id=m["id"], coder_id=m["coder_id"], text=m["text"], span_id=span_id,
                                  version=m["version"], updated_by=m.get("updated_by", "")))
        return None, f"Undid: removed {self._code_words(s, before['code'])} from {before['text'][:40]!r}"

    # ------------------------------------------------------------------ memos
    def _undo_create_memo(self, s, who, entity_id, before, after):  # noqa: ANN001, ANN202
        row = s.get(MemoRow, int(entity_id))
        now = None
        if row is not None:
            self._undo_check_memo(row, after)
            now = {"text": row.text, "version": row.version}
            s.delete(row)
        return now, f"Undid: memo {after['text'][:40]!r}"

    def _undo_update_memo(self, s, who, entity_id, before, after):  # noqa: ANN001, ANN202
        row = s.get(MemoRow, int(entity_id))
        if row is None:
            raise StoreError(f"undo: memo {entity_id} no longer exists, so its edit cannot be undone")
        self._undo_check_memo(row, after)
        now = {"text": row.text, "version": row.version}
        row.text, row.version, row.updated_by, row.updated_at = before["text"], row.version + 1, who.name, utcnow()
        return now, f"Undid: memo edit (back to {before['text'][:40]!r})"

    def _undo_delete_memo(self, s, who, entity_id, before, after):  # noqa: ANN001, ANN202
        if s.get(MemoRow, int(entity_id)) is None:
            s.add(MemoRow(id=int(entity_id), coder_id=before["coder_id"], text=before["text"],
                          segment_id=before["segment"], transcript_id=before["transcript"],
                          code_id=before["code"], span_id=before["span"], version=before["version"],
                          updated_by=before.get("updated_by", "")))
        return None, f"Undid: deleted memo {before['text'][:40]!r}"

    @staticmethod
    def _undo_check_memo(row: MemoRow, after: dict) -> None:
        """Someone else edited the memo since: undoing would throw their words away."""
        if after and "version" in after and row.version != after["version"]:
            raise StaleEditError(f"undo: memo {row.id} was changed by {row.updated_by} at "
                                 f"{row.updated_at:%Y-%m-%d %H:%M:%S} UTC since; nothing was undone")

    # ------------------------------------------------------------------ progress
    def _undo_done_transcript(self, s, who, entity_id, before, after):  # noqa: ANN001, ANN202
        row = s.get(TranscriptStatusRow, (int(entity_id), who.id))
        if row is not None:
            s.delete(row)
        return {"done": row is not None}, f"Undid: marked {self._transcript_words(s, int(entity_id))} done"


__all__ = ["UNDOABLE", "Undo"]
