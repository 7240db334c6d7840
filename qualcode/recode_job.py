"""*Update suggestions* as a background job: :func:`start_recode` returns at once, a thread
runs :func:`~qualcode.workflow.code_study`, and its progress and outcome are kept in the
study (``Study.latest_job("recode")``, :mod:`qualcode.store.jobs`) where every session of
the app, on SQLite or PostgreSQL, reads them.

Why a thread and not a process: the app's embedder (model loaded, vectors in memory)
is reused, and a Streamlit rerun never touches a thread it did not start in a script
run. If the app's process ends, the job ends with it; its heartbeat stops and the study
reports it as stopped (:data:`qualcode.store.jobs.STALE_AFTER`), and the next press starts
afresh. A running job can be stopped (``Study.cancel_job``, the *Stop* button): it ends at
once, and its thread stops at its next progress report (at most a second of work, or one
heartbeat while a model fits). The suggestions are written in short transactions of :data:`WRITE_CHUNK` segments,
so coders keep deciding while the job saves; a segment keeps its old suggestions until
its chunk is written.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from typing import Any

from qualcode.errors import QualcodeError
from qualcode.records import Job

KIND = "recode"
WRITE_CHUNK = 2000  # segments per transaction: well under a second of the write lock
PROGRESS_EVERY = 1.0  # seconds: at most one progress write per second
HEARTBEAT = 20.0  # seconds between "still alive" marks while a step reports no progress
STAGES = {"embedding": "Embedding segments", "learning": "Learning from the decisions",
          "suggesting": "Scoring every segment", "saving": "Saving suggestions", "tuning": "Fine-tuning the model"}


def start_recode(study: Any, embedder: Any, actor: str, *, fine_tune: str = "never",
                 fine_tune_cache: str | None = None, wait: bool = False) -> Job:
    """Start updating the suggestions of ``study`` as ``actor``; return the claimed job.

    Raises :class:`qualcode.store.jobs.JobRunning` if a job already runs. ``study`` may be a
    ``Study`` or the app's ``UserStudy`` (then the job learns from what ``actor`` may see,
    as the button always did). ``fine_tune`` (``never`` / ``auto`` / ``always``) and
    ``fine_tune_cache`` as for ``code_study``; fine-tuning reports its steps as the ``tuning``
    stage. ``wait``: run in this thread (tests)."""
    job = study.start_job(KIND, actor=actor)
    if wait:
        run_recode(study, embedder, job, actor, fine_tune, fine_tune_cache)
    else:
        threading.Thread(target=run_recode, args=(study, embedder, job, actor, fine_tune, fine_tune_cache),
                         name=f"qualcode-recode-{job.id}", daemon=True).start()
    return job


class Cancelled(Exception):
    """The job was stopped (``Study.cancel_job``) while it ran: raised at its next progress report."""


class _Reporter:
    """Progress into the job row, at most once a second (each is a short write), plus a
    heartbeat thread for the steps that report nothing for a while (fitting, fine-tuning)."""

    def __init__(self, study: Any, job: Job, actor: str) -> None:
        self.study, self.job, self.actor = study, job, actor
        self.phase, self.done, self.total = "starting", 0, 0
        self._last = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.cancelled = False  # set when the study says the job no longer runs (stopped by someone)
        self._beat = threading.Thread(target=self._heartbeat, name=f"qualcode-recode-{job.id}-beat", daemon=True)
        self._beat.start()

    def stage(self, name: str) -> None:
        self.check()
        self.phase, self.done, self.total = name, 0, 0
        self._write(force=True)
        self.check()

    def progress(self, done: int, total: int) -> None:
        self.check()
        self.done, self.total = done, total
        self._write(force=done >= total)
        self.check()

    def tuning(self, done: int, total: int) -> None:
        if self.phase != "tuning":
            self.phase = "tuning"
        self.progress(done, total)

    def _write(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_EVERY:
            return
        with self._lock:
            self._last = now
            if not self.study.job_progress(self.job.id, self.phase, self.done, self.total, actor=self.actor):
                self.cancelled = True

    def check(self) -> None:
        """Raise :class:`Cancelled` in the job's own thread once the job was stopped."""
        if self.cancelled:
            raise Cancelled

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            try:
                self._write(force=True)
            except Exception:  # noqa: BLE001 - a missed heartbeat only makes the job look older
                pass

    def close(self) -> None:
        self._stop.set()


def run_recode(study: Any, embedder: Any, job: Job, actor: str, fine_tune: str = "never",
               fine_tune_cache: str | None = None) -> None:
    """The job's body: code the study, then end the job as done or failed, never silently."""
    from qualcode.workflow import code_study

    reporter = _Reporter(study, job, actor)
    t0 = time.perf_counter()
    try:
        report = code_study(study, embedder, reporter.progress, fine_tune=fine_tune, tuning_progress=reporter.tuning,
                            fine_tune_cache=fine_tune_cache, stage=reporter.stage, write_chunk=WRITE_CHUNK)
    except Cancelled:  # already ended as cancelled, by whoever stopped it
        reporter.close()
        return
    except Exception as exc:  # noqa: BLE001 - every failure ends the job with a message
        reporter.close()
        if not isinstance(exc, QualcodeError):
            traceback.print_exc(file=sys.stderr)  # a bug: keep the trace in the app's log
        detail = str(exc).splitlines()[0] if str(exc) else ""
        message = f"{type(exc).__name__}: {detail}" if not isinstance(exc, QualcodeError) else detail
        where = "; no suggestion was changed" if reporter.phase != "saving" else \
            "; segments saved before the failure have new suggestions, the others keep their old ones"
        _finish(study, job, actor, f"{message}{where}", failed=True)
        return
    reporter.close()
    tuned = ", fine-tuned model" + (" reused" if report.fine_tune_reused else "") if report.fine_tuned else ""
    _finish(study, job, actor, f"{report.suggestions} suggestions on {report.segments} segments from "
            f"{report.codes_learned} learned code(s), {report.embedded} newly embedded{tuned}, in "
            f"{time.perf_counter() - t0:.0f} s")


def _finish(study: Any, job: Job, actor: str, message: str, failed: bool = False) -> None:
    try:
        study.finish_job(job.id, actor=actor, message=message, failed=failed)
    except QualcodeError as exc:  # e.g. taken over as stopped while it was silent: say so in the log
        print(f"qualcode: job {job.id} could not be ended ({exc}); it had: {message}", file=sys.stderr)


def describe(job: Job) -> str:
    """The job's state in words for the coder, e.g. ``Saving suggestions: 4000 / 50000``."""
    if job.running:
        label = STAGES.get(job.phase, "Starting")
        count = f": {job.done:,} / {job.total:,}" if job.total else "…"
        return f"{label}{count} (started by {job.started_by})"
    return job.message


__all__ = ["KIND", "Cancelled", "WRITE_CHUNK", "describe", "run_recode", "start_recode"]
