"""*Update suggestions* on the Code page runs as a background job (app/components/recode_job.py):
the click returns at once, every coder sees the one job and its progress, a second press is
refused with who started it, and the outcome or the failure is said in words."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import update

from app.state import md_escape
from qualcode.store.jobs import STALE_AFTER
from qualcode.store.models import JobRow, utcnow
from tests.app.conftest import button, open_app


def _join_jobs() -> None:
    for thread in threading.enumerate():
        if thread.name.startswith("qualcode-recode-") and not thread.name.endswith("-beat"):
            thread.join(60)


def _texts(at) -> str:  # noqa: ANN001
    return " | ".join(x.value for kind in ("success", "info", "error", "warning") for x in getattr(at, kind))


def test_update_suggestions_runs_in_the_background_and_says_how_it_ended(app_study):
    at = open_app("code", coder="alice")
    button(at, key="recode").click().run()
    assert not at.exception, at.exception
    _join_jobs()
    job = app_study.latest_job("recode")
    assert (job.state, job.started_by) == ("done", "alice")
    after = {(a.segment_id, a.code_id) for a in app_study.applications(source="machine")}
    assert after  # stored by the app's own embedder (hash:128), replacing the fixture's
    at.run()
    assert f"UTC by alice: {md_escape(job.message)}." in _texts(at)
    assert job.message.startswith(f"{len(after)} suggestions on ")
    actions = [(a.actor, a.action) for a in app_study.audit_log() if a.entity == "job"]
    assert actions == [("alice", "job_done"), ("alice", "job_start")]


def test_a_second_press_while_a_job_runs_is_refused_and_shows_its_progress(app_study):
    job = app_study.start_job("recode", "bob")  # bob's job, from another session
    app_study.job_progress(job.id, "saving", 2000, 8000, "bob")
    at = open_app("code", coder="alice")
    assert [p.proto.text for p in at.get("progress")] == [
        md_escape("Saving suggestions: 2,000 / 8,000 (started by bob)")]
    button(at, key="recode").click().run()
    assert f"already being updated — {md_escape('already running, started by bob')}" in _texts(at)
    assert app_study.latest_job("recode").id == job.id  # still bob's, nothing else started


def test_a_failed_or_stopped_job_is_said_so(app_study):
    job = app_study.start_job("recode", "bob")
    app_study.finish_job(job.id, "bob", "RuntimeError: out of memory; no suggestion was changed", failed=True)
    at = open_app("code", coder="alice")
    failed = md_escape("RuntimeError: out of memory; no suggestion was changed")
    assert f"Updating the suggestions failed: {failed}." in _texts(at)
    stuck = app_study.start_job("recode", "bob")
    with app_study._tx() as s:  # its process died: no heartbeat for longer than STALE_AFTER
        s.execute(update(JobRow).where(JobRow.id == stuck.id).values(
            heartbeat_at=utcnow() - timedelta(seconds=STALE_AFTER + 1)))
    at.run()
    assert "stopped without finishing" in _texts(at)
    button(at, key="recode").click().run()  # pressing again takes over from the dead job
    _join_jobs()
    assert (app_study.latest_job("recode").state, app_study.latest_job("recode").started_by) == ("done", "alice")


def test_the_starter_stops_a_running_job_from_the_page_and_another_coder_cannot(app_study):
    job = app_study.start_job("recode", "alice")
    app_study.job_progress(job.id, "saving", 2000, 8000, "alice")
    bob = open_app("code", coder="bob")
    assert "recode-stop" not in [b.key for b in bob.button]  # bob did not start it and is no supervisor
    at = open_app("code", coder="alice")
    button(at, key="recode-stop").click().run()
    assert not at.exception, at.exception
    ended = app_study.latest_job("recode")
    assert (ended.id, ended.state) == (job.id, "cancelled")
    at.run()
    said = md_escape("stopped by alice; segments saved before keep their new suggestions, the others their old ones")
    assert f"Updating the suggestions was {said} (at " in _texts(at)
