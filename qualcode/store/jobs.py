"""Study part: background jobs (the app's *Update suggestions*), their progress and outcome.

A job is a row in ``jobs``, so every session of the app, every process and the CLI see
the same state, on SQLite and PostgreSQL alike. The database allows one running job of a
kind per study (``jobs.running`` is UNIQUE), so two coders pressing at once get one job
and one clear refusal. A job says it is alive (``heartbeat_at``) as it goes; one silent for
:data:`STALE_AFTER` seconds died with its process (the app was stopped or crashed) and
is reported so, and a new start marks it failed and takes its place.

Each call is its own short transaction: progress never holds the write lock while the
job computes. Starting and ending a job are audited (who, when, what, outcome).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from qualcode.errors import StoreError
from qualcode.records import Job
from qualcode.store.accounts import RANK
from qualcode.store.core import StudyCore
from qualcode.store.models import JobRow, utcnow

STALE_AFTER = 120.0  # seconds without a heartbeat: the process running the job has ended
JOB_KINDS = ("recode",)


class JobRunning(StoreError):
    """A job of this kind is already running for the study."""


def _record(row: JobRow) -> Job:
    age = (utcnow() - row.heartbeat_at).total_seconds()
    return Job(id=row.id, kind=row.kind, state=row.state, started_by=row.started_by,
               started_at=row.started_at.isoformat(timespec="seconds"), heartbeat_age=max(0.0, age),
               phase=row.phase, done=row.done, total=row.total, message=row.message,
               finished_at=row.finished_at.isoformat(timespec="seconds") if row.finished_at else None)


class Jobs(StudyCore):
    def start_job(self, kind: str, actor: str) -> Job:
        """Claim the one running slot of ``kind`` for ``actor``; :class:`JobRunning` if a live
        job holds it. A job silent for :data:`STALE_AFTER` seconds is marked failed first."""
        if kind not in JOB_KINDS:
            raise StoreError(f"job kind: expected one of {', '.join(JOB_KINDS)}, got {kind!r}")
        actor = (actor or "").strip()
        if not actor:
            raise StoreError("job: expected the name of who starts it, got an empty one")
        try:
            with self._tx() as s:
                current = s.scalar(select(JobRow).where(JobRow.running == kind).with_for_update())
                if current is not None:
                    if (utcnow() - current.heartbeat_at).total_seconds() < STALE_AFTER:
                        job = _record(current)
                        raise JobRunning(f"{kind}: already running, started by {job.started_by} at "
                                         f"{job.started_at} UTC ({job.phase or 'starting'}, "
                                         f"{job.fraction:.0%}); wait for it to finish")
                    self._end(s, current, "failed", "stopped without finishing: the process running it ended "
                              f"(last heard of at {current.heartbeat_at.isoformat(timespec='seconds')} UTC)",
                              "machine")
                    s.flush()
                row = JobRow(kind=kind, running=kind, state="running", started_by=actor, phase="starting",
                             done=0, total=0, message="")
                s.add(row)
                s.flush()
                self._audit(s, actor, "job_start", "job", row.id, None, {"kind": kind})
                return _record(row)
        except IntegrityError:  # another session claimed it between our read and our insert
            raise JobRunning(f"{kind}: already running (started a moment ago by someone else); "
                             "wait for it to finish") from None

    def job_progress(self, job_id: int, phase: str, done: int, total: int, actor: str) -> bool:
        """Record how far job ``job_id`` got (and that it is alive); False if it is no longer running."""
        with self._tx() as s:
            row = self._own_job(s, job_id, actor)
            if row.state != "running":
                return False
            s.execute(update(JobRow).where(JobRow.id == job_id).values(
                phase=str(phase)[:40], done=int(done), total=int(total), heartbeat_at=utcnow()))
            return True

    def finish_job(self, job_id: int, actor: str, message: str, failed: bool = False) -> Job:
        """End job ``job_id`` as done (or failed) with ``message`` saying what came of it."""
        with self._tx() as s:
            row = self._own_job(s, job_id, actor)
            if row.state != "running":
                raise StoreError(f"job {job_id}: expected a running job, got one {row.state}")
            self._end(s, row, "failed" if failed else "done", message, actor)
            return _record(row)

    def cancel_job(self, job_id: int, actor: str) -> Job:
        """Stop job ``job_id`` as ``actor``: its starter, or a supervisor or admin, may. The job
        ends at once as ``cancelled`` (audited); its thread sees that at its next progress
        report and stops (:mod:`qualcode.recode_job`). Segments saved before keep their new
        suggestions, the others their old ones, as after a failure."""
        actor = (actor or "").strip()
        with self._tx() as s:
            row = s.get(JobRow, job_id)
            if row is None:
                raise StoreError(f"job: expected a known job id, got {job_id!r}")
            if row.state != "running":
                raise StoreError(f"job {job_id}: expected a running job to stop, got one {row.state}")
            if row.started_by != actor and RANK.get(self.role_of(actor), 0) < RANK["supervisor"]:
                raise StoreError(f"job {job_id}: only {row.started_by}, who started it, or a supervisor may "
                                 f"stop it; got {actor!r}")
            saved = "; segments saved before keep their new suggestions, the others their old ones" \
                if row.phase == "saving" else "; no suggestion was changed"
            self._end(s, row, "cancelled", f"stopped by {actor}{saved}", actor)
            return _record(row)

    def latest_job(self, kind: str) -> Job | None:
        """The newest job of ``kind`` (running or ended), or None if there never was one."""
        with self._read() as s:
            row = s.scalar(select(JobRow).where(JobRow.kind == kind).order_by(JobRow.id.desc()).limit(1))
            return None if row is None else _record(row)

    def _own_job(self, s, job_id: int, actor: str) -> JobRow:  # noqa: ANN001
        row = s.get(JobRow, job_id)
        if row is None:
            raise StoreError(f"job: expected a known job id, got {job_id!r}")
        if row.started_by != (actor or "").strip():
            raise StoreError(f"job {job_id}: only {row.started_by}, who started it, reports on it; got {actor!r}")
        return row

    def _end(self, s, row: JobRow, state: str, message: str, actor: str) -> None:  # noqa: ANN001
        now = utcnow()
        row.state, row.running, row.finished_at, row.message = state, None, now, str(message)
        row.heartbeat_at = now
        seconds = (now - row.started_at) / timedelta(seconds=1)
        self._audit(s, actor, f"job_{state}", "job", row.id, {"kind": row.kind},
                    {"kind": row.kind, "message": row.message, "seconds": round(seconds, 1)})


__all__ = ["JOB_KINDS", "STALE_AFTER", "JobRunning", "Jobs"]
