"""Background jobs in the study (qualcode/store/jobs.py) and the *Update suggestions* job
(qualcode/recode_job.py): one running job per study, progress every session can read, a
clear end on success and on failure, a dead process's job taken over, all audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text, update

from qualcode.errors import StoreError
from qualcode.recode_job import describe, start_recode
from qualcode.store.jobs import STALE_AFTER, JobRunning
from qualcode.store.models import JobRow, utcnow
from qualcode.workflow import code_study
from tests.store.test_double_coding import interview


@pytest.fixture
def three(study, tmp_path):
    study.import_transcripts([interview(tmp_path, f"t{p}", p) for p in ("P1", "P2", "S1")])
    return study


def test_one_job_at_a_time_and_every_session_sees_its_progress(three):
    job = three.start_job("recode", "alice")
    assert job.running and job.started_by == "alice" and job.phase == "starting"
    with pytest.raises(JobRunning, match=r"recode: already running, started by alice .*wait for it to finish"):
        three.start_job("recode", "bob")  # a second coder pressing at the same time
    assert three.job_progress(job.id, "saving", 4000, 50000, "alice") is True
    seen = three.latest_job("recode")
    assert (seen.id, seen.phase, seen.done, seen.total, seen.fraction) == (job.id, "saving", 4000, 50000, 0.08)
    assert describe(seen) == "Saving suggestions: 4,000 / 50,000 (started by alice)"
    with pytest.raises(StoreError, match="only alice, who started it, reports on it"):
        three.job_progress(job.id, "saving", 5000, 50000, "bob")
    done = three.finish_job(job.id, "alice", "9 suggestions")
    assert (done.state, done.message, describe(done)) == ("done", "9 suggestions", "9 suggestions")
    assert three.job_progress(job.id, "saving", 1, 1, "alice") is False  # ended: nothing more to report
    with pytest.raises(StoreError, match=f"job {job.id}: expected a running job, got one done"):
        three.finish_job(job.id, "alice", "again")
    assert three.start_job("recode", "bob").started_by == "bob"  # the slot is free again


def test_the_database_itself_refuses_a_second_running_job(three):
    three.start_job("recode", "alice")
    with pytest.raises(Exception, match="(?i)unique"), three._tx() as s:  # a writer that skipped the check
        s.add(JobRow(kind="recode", running="recode", state="running", started_by="bob"))


def test_a_job_whose_process_died_is_reported_then_taken_over(three):
    job = three.start_job("recode", "alice")
    with three._tx() as s:  # its heartbeat stopped (the app was killed) long enough ago
        s.execute(update(JobRow).where(JobRow.id == job.id).values(
            heartbeat_at=utcnow() - timedelta(seconds=STALE_AFTER + 5)))
    assert three.latest_job("recode").heartbeat_age > STALE_AFTER
    fresh = three.start_job("recode", "bob")
    log = [(a.actor, a.action) for a in reversed(three.audit_log()) if a.entity == "job"]
    assert log == [("alice", "job_start"), ("machine", "job_failed"), ("bob", "job_start")]
    failed = next(a for a in three.audit_log() if a.action == "job_failed")
    assert "stopped without finishing: the process running it ended" in str(failed.after)
    assert fresh.running and three.latest_job("recode").id == fresh.id


def test_unknown_kind_and_nameless_starter_are_refused(three):
    with pytest.raises(StoreError, match="job kind: expected one of recode, got 'train'"):
        three.start_job("train", "alice")
    with pytest.raises(StoreError, match="job: expected the name of who starts it, got an empty one"):
        three.start_job("recode", " ")


def test_update_suggestions_job_stores_what_code_study_stores(three, fake_embedder, tmp_path):
    job = start_recode(three, fake_embedder, "alice", wait=True)
    ended = three.latest_job("recode")
    assert ended.id == job.id and ended.state == "done"
    stored = sorted((a.segment_id, a.code_id, a.confidence) for a in three.applications(source="machine"))
    assert ended.message.startswith(f"{len(stored)} suggestions on 9 segments from 0 learned code(s)")
    code_study(three, fake_embedder)  # the same engine, in one transaction: the same suggestions
    assert sorted((a.segment_id, a.code_id, a.confidence) for a in three.applications(source="machine")) == stored
    with three._read() as s:  # the job's own transactions: one suggest audit row per chunk of segments
        assert s.execute(text("SELECT count(*) FROM audit_log WHERE action = 'suggest'")).scalar() == 2
    actions = [a.action for a in reversed(three.audit_log()) if a.entity == "job"]
    assert actions == ["job_start", "job_done"]


def test_update_suggestions_job_reports_each_stage_and_its_counts(three, fake_embedder, monkeypatch):
    seen = []
    real = type(three).job_progress

    def spy(self, job_id, phase, done, total, actor):  # noqa: ANN001, ANN202
        seen.append((phase, done, total))
        return real(self, job_id, phase, done, total, actor)

    monkeypatch.setattr(type(three), "job_progress", spy)
    monkeypatch.setattr("qualcode.recode_job.WRITE_CHUNK", 4)
    monkeypatch.setattr("qualcode.recode_job.PROGRESS_EVERY", 0.0)
    start_recode(three, fake_embedder, "alice", wait=True)
    phases = [p for p, *_ in seen]
    assert [p for i, p in enumerate(phases) if p not in phases[:i]] == ["embedding", "learning", "suggesting",
                                                                         "saving"]
    assert [(d, t) for p, d, t in seen if p == "saving" and t] == [(4, 9), (8, 9), (9, 9)]


def test_a_failing_job_ends_with_its_message_and_frees_the_slot(three, fake_embedder, capsys):
    class Broken:
        model_id = "broken"

        def encode(self, texts, progress=None):  # noqa: ANN001, ANN202
            raise RuntimeError("out of memory\nsecond line")

    start_recode(three, Broken(), "alice", wait=True)
    ended = three.latest_job("recode")
    assert ended.state == "failed"
    assert ended.message == "RuntimeError: out of memory; no suggestion was changed"
    assert "Traceback" in capsys.readouterr().err  # a bug's trace is kept for the log, not shown
    assert not three.applications(source="machine")
    assert start_recode(three, fake_embedder, "alice", wait=True).id > ended.id


def test_a_background_job_runs_in_its_thread_and_the_caller_returns_at_once(three, fake_embedder):
    import threading

    gate = threading.Event()

    class Slow:
        model_id = fake_embedder.model_id

        def encode(self, texts, progress=None):  # noqa: ANN001, ANN202
            gate.wait(10)
            return fake_embedder.encode(texts, progress)

    job = start_recode(three, Slow(), "alice")
    assert three.latest_job("recode").running  # the caller is back while the job waits
    with pytest.raises(JobRunning):
        start_recode(three, fake_embedder, "bob")
    gate.set()
    for thread in threading.enumerate():
        if thread.name == f"qualcode-recode-{job.id}":
            thread.join(30)
    assert three.latest_job("recode").state == "done"


def test_a_running_job_is_stopped_by_its_starter_or_a_supervisor_only(three):
    three.set_role("sue", "supervisor", actor="owner")
    job = three.start_job("recode", "alice")
    with pytest.raises(StoreError, match=f"job {job.id}: only alice, who started it, or a supervisor may stop it; "
                                         "got 'bob'"):
        three.cancel_job(job.id, "bob")
    stopped = three.cancel_job(job.id, "sue")
    assert (stopped.state, stopped.running, stopped.message) == ("cancelled", False,
                                                                 "stopped by sue; no suggestion was changed")
    assert three.job_progress(job.id, "saving", 1, 2, "alice") is False  # what the job's thread hears next
    with pytest.raises(StoreError, match=f"job {job.id}: expected a running job to stop, got one cancelled"):
        three.cancel_job(job.id, "alice")
    log = [(a.actor, a.action) for a in reversed(three.audit_log()) if a.entity == "job"]
    assert log == [("alice", "job_start"), ("sue", "job_cancelled")]
    again = three.start_job("recode", "alice")  # the slot is free at once
    three.job_progress(again.id, "saving", 2000, 8000, "alice")
    assert three.cancel_job(again.id, "alice").message == (
        "stopped by alice; segments saved before keep their new suggestions, the others their old ones")


def test_a_job_stopped_while_it_embeds_ends_there_and_changes_no_suggestion(three, fake_embedder):
    before = sorted((a.segment_id, a.code_id, a.confidence) for a in three.applications(source="machine"))

    class StoppedMeanwhile:  # someone presses Stop while the segments are being embedded
        model_id = fake_embedder.model_id

        def encode(self, texts, progress=None):  # noqa: ANN001, ANN202
            three.cancel_job(three.latest_job("recode").id, "alice")
            return fake_embedder.encode(texts, progress)

    start_recode(three, StoppedMeanwhile(), "alice", wait=True)
    ended = three.latest_job("recode")
    assert (ended.state, ended.message) == ("cancelled", "stopped by alice; no suggestion was changed")
    assert sorted((a.segment_id, a.code_id, a.confidence) for a in three.applications(source="machine")) == before
    assert [a.action for a in reversed(three.audit_log()) if a.entity == "job"] == ["job_start", "job_cancelled"]
