"""Framework-matrix summaries (written by supervisors) and the audit of identifiable exports.

Part of the one :class:`~qualcode.store.Study` API (a mixin, as coding and double coding
are). A summary is one participant × code cell of the Framework Method matrix. Each write
is one transaction and one audit row (before and after text); ``version`` rises with every
write so that two supervisors editing the same cell cannot overwrite each other silently:
pass the version you opened (0 for a cell with no summary yet) as ``expected_version``
and a newer one raises :class:`~qualcode.errors.StaleEditError` naming who wrote it and
when. Clearing a summary stores empty text (audited; the cell shows the machine draft again).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.errors import AccessDenied, StaleEditError, StoreError
from qualcode.records import FrameworkSummary
from qualcode.store.core import StudyCore
from qualcode.store.models import CodeRow, FrameworkSummaryRow, ParticipantRow, utcnow

SUMMARY_ROLES = ("supervisor", "admin")
MAX_SUMMARY = 10_000


def _record(row: FrameworkSummaryRow) -> FrameworkSummary:
    return FrameworkSummary(row.participant_id, row.code_id, row.text, row.version, row.updated_by,
                            row.updated_at.isoformat(timespec="seconds"))


class FrameworkMatrix(StudyCore):
    """Stored summaries of the framework matrix (mixed into Study)."""

    def framework_summaries(self) -> dict[tuple[str, str], FrameworkSummary]:
        """(participant id, code id) → the latest stored summary."""
        with self._read() as s:  # type: ignore[attr-defined]
            return {(r.participant_id, r.code_id): _record(r) for r in s.scalars(select(FrameworkSummaryRow))}

    def set_framework_summary(self, participant_id: str, code_id: str, text: str, actor: str,
                              expected_version: int | None = None) -> int:
        """Write (or clear, with empty text) a cell's summary; returns its new version."""
        text = text.strip()
        if len(text) > MAX_SUMMARY:
            raise StoreError(f"summary: expected at most {MAX_SUMMARY} characters, got {len(text)}")
        with self._tx() as s:  # type: ignore[attr-defined]
            who = self._coder(s, actor, create=False)  # type: ignore[attr-defined]
            if who.role not in SUMMARY_ROLES:
                raise AccessDenied(f"summary: expected a supervisor to write framework summaries, got "
                                   f"{actor} with role {who.role}")
            self._check_cell(s, participant_id, code_id)
            row = s.scalar(select(FrameworkSummaryRow).where(FrameworkSummaryRow.participant_id == participant_id,
                                                             FrameworkSummaryRow.code_id == code_id))
            current = row.version if row is not None else 0
            if expected_version is not None and expected_version != current:
                by = f"{row.updated_by} at {row.updated_at.isoformat(timespec='seconds')}" if row else "someone"
                raise StaleEditError(f"summary {participant_id} × {code_id}: changed by {by} since you opened "
                                     f"it (version {current}, you had {expected_version}); reload to see it")
            before = None if row is None else {"text": row.text, "version": row.version}
            if row is None:
                row = FrameworkSummaryRow(participant_id=participant_id, code_id=code_id, text=text, version=1,
                                          updated_by=actor, updated_at=utcnow())
                s.add(row)
            else:
                row.text, row.version, row.updated_by, row.updated_at = text, row.version + 1, actor, utcnow()
            s.flush()
            self._audit(s, actor, "summary", "framework_cell", f"{participant_id}|{code_id}",  # type: ignore[attr-defined]
                        before, {"text": text, "version": row.version})
            return row.version

    def _check_cell(self, s: Session, participant_id: str, code_id: str) -> None:
        if s.get(ParticipantRow, participant_id) is None:
            raise StoreError(f"summary: expected a participant id of the study, got {participant_id!r}")
        if s.scalar(select(CodeRow.code_id).where(CodeRow.code_id == code_id).limit(1)) is None:
            raise StoreError(f"summary: expected a code id of the codebook, got {code_id!r}")

    def record_export(self, actor: str, what: str, target: str, identifiable: bool) -> None:
        """Audit an export; an identifiable one (names left in) is always recorded."""
        with self._tx() as s:  # type: ignore[attr-defined]
            self._audit(s, actor, "export_identifiable" if identifiable else "export", "export", what,  # type: ignore[attr-defined]
                        None, {"target": target, "identifiable": identifiable})
