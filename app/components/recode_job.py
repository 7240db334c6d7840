"""*Update suggestions* on the Code page, run in the background while the coder keeps coding.

At 50,000 segments learning from every decision takes minutes, so the button only starts a
job (:func:`qualcode.recode_job.start_recode`) and returns. The job's state lives in the
study (``Study.latest_job``), not in this session: every coder's page shows the same job,
a second press (by anyone) while one runs is refused with who started it and how far it
got, and a job whose process died is reported as stopped. Its starter or a supervisor
can stop a running job (*Stop*). While a job runs, its progress
is a fragment that redraws itself every :data:`REFRESH` seconds; nothing else on the page
reruns. When it ends, the outcome (or the error) is said in words.
"""

from __future__ import annotations

import streamlit as st

from app.state import embedder, md_escape
from qualcode.errors import QualcodeError
from qualcode.recode_job import KIND, describe, start_recode
from qualcode.store.jobs import STALE_AFTER, JobRunning

REFRESH = 2.0  # seconds between redraws of a running job's progress


def update_suggestions_button(study, coder: str, column) -> None:  # noqa: ANN001
    """The *Update suggestions* button in ``column`` and, below, the study's latest job."""
    if not study.may("start_job"):
        return
    tune = st.session_state.get("recode_tune", False)
    if column.button("Update suggestions", key="recode",
                     help="Learn from every decision so far, in the background: keep coding meanwhile"):
        try:
            from qualcode.settings import Settings

            start_recode(study, embedder(), coder, fine_tune="auto" if tune else "never",
                         fine_tune_cache=str(Settings.from_env().cache_dir / "fine-tuned"))
        except JobRunning as exc:
            st.info(f"Suggestions are already being updated — {md_escape(str(exc).split(': ', 1)[-1])}")
        except QualcodeError as exc:
            st.error(f"Could not start updating the suggestions: {md_escape(str(exc))}")
    column.checkbox("Also fine-tune the model", key="recode_tune",
                    help="With 200 or more decided segments: retrain the embedding model too (several minutes, "
                         "at most 400 steps), in the same background job")
    job = study.latest_job(KIND)
    if job is not None and job.running and job.heartbeat_age < STALE_AFTER:
        _running(study)
    else:
        _show(job)


def _show(job) -> bool:  # noqa: ANN001
    """Draw ``job``'s state; True while it runs."""
    if job is None:
        return False
    if job.running and job.heartbeat_age < STALE_AFTER:
        st.progress(job.fraction, text=md_escape(describe(job)))
        st.caption("You can keep coding: the suggestions change when the job has saved them.")
        return True
    if job.running:  # silent too long: its process ended (the app was stopped or crashed)
        st.warning("The last update of the suggestions stopped without finishing (the app was stopped while "
                   "it ran). Press **Update suggestions** to start again.")
    elif job.state == "cancelled":
        st.info(f"Updating the suggestions was {md_escape(job.message)} (at {(job.finished_at or '')[11:16]} UTC). "
                "Press **Update suggestions** to start again.")
    elif job.state == "failed":
        st.error(f"Updating the suggestions failed: {md_escape(job.message)}. Press **Update suggestions** "
                 "to try again.")
    else:
        st.success(f"Suggestions updated at {(job.finished_at or '')[11:16]} UTC by "
                   f"{md_escape(job.started_by)}: {md_escape(job.message)}.")
    return False


@st.fragment(run_every=REFRESH)
def _running(study) -> None:  # noqa: ANN001
    """The running job's progress, redrawn on its own, with *Stop* for its starter or a
    supervisor; the outcome once it ends."""
    job = study.latest_job(KIND)
    if _show(job):
        if (job.started_by == study.name or study.may("set_final")) and \
                st.button("Stop", key="recode-stop", help="Stop updating the suggestions; segments already "
                          "saved keep their new suggestions, the others their old ones"):
            try:
                study.cancel_job(job.id, study.name)
            except QualcodeError as exc:  # it ended meanwhile
                st.info(md_escape(str(exc)))
            st.rerun()  # the whole page: its counts may say the job ended
    elif job is not None and st.button("Show the new suggestions", key="recode-show"):
        st.rerun()
