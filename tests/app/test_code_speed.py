"""The Code page stays fast on a large study (issue #14 point 6): what a page run reads does
not grow with the study, the page of cards is one element (app/components/card_page) and
a click on it reads only the page; Review next's cards read only its picks."""

from __future__ import annotations

import contextlib

from sqlalchemy import event
from sqlalchemy.engine import Engine

from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from tests.app.conftest import cards, open_app
from tests.conftest import EXAMPLE


@contextlib.contextmanager
def statements():  # noqa: ANN201 - a list that fills with the SQL run meanwhile
    seen: list[str] = []

    def count(conn, cursor, sql, params, context, many) -> None:  # noqa: ANN001, PLR0913
        seen.append(sql)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", count)



class Spy:
    """The study, recording each call (name, args, kwargs) in ``asked`` before making it."""

    def __init__(self, study, asked: list) -> None:  # noqa: ANN001
        self._study, self._asked = study, asked

    def __getattr__(self, name):  # noqa: ANN001, ANN204
        def call(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            self._asked.append((name, args, kwargs))
            return getattr(self._study, name)(*args, **kwargs)
        return call

def settled() -> None:
    """Wait for Review next's background preparation, which the Code page starts once per
    change of the study (app/components/review_prep.py): its reads are not the page's."""
    import threading

    for thread in threading.enumerate():
        if thread.name == "qualcode-review-prep":
            thread.join(60)


def test_a_code_page_run_reads_the_same_however_large_the_study(app_study):
    at = open_app("code", "alice")
    at.run()  # warm: the codebook, transcripts and participants are cached until the next change
    settled()
    with statements() as small:
        at.run()
    files = sorted((EXAMPLE / "transcripts").iterdir())[2:]  # six more interviews, twice the segments
    app_study.import_transcripts([read_transcript(p) for p in files], read_participants(EXAMPLE / "participants.csv"))
    assert len(app_study.transcripts()) == 8
    at.run()
    settled()
    with statements() as large:
        at.run()
    assert not at.exception, at.exception
    # a few queries per page (with their BEGINs; the review mark; the check for a transcript with no
    # suggestions), none per segment or card
    assert len(large) == len(small) <= 72


def test_review_next_reads_only_its_picks(app_study, monkeypatch):
    import streamlit as st

    from app.components.card_page import REVIEW, page_data

    picks = [next(s for s in app_study.segments(transcript_id=t.id) if not s.is_interviewer)
             for t in app_study.transcripts()]  # one from each transcript, as the queue mixes them
    asked = []
    monkeypatch.setattr(st, "session_state", {})
    data = page_data(Spy(app_study, asked), "alice", app_study.codebook(), picks, set(), 0.5, REVIEW,
                     {picks[0].id: "from n01 · why"})
    ids = [s.id for s in picks]
    assert asked == [("visible_applications", ("alice",), {"segment_ids": ids}), ("memos", (), {"segment_ids": ids})] \
        + [("span_codings", (), {"transcript_id": s.transcript_id}) for s in picks]
    assert [c.get("note") for c in data["cards"]] == ["from n01 · why", None]
    assert data["name"] == REVIEW and st.session_state == {"focus_segment-review_cards": data["focus"]}


def test_the_page_of_cards_is_one_element(app_study):
    at = open_app("code", "alice")
    data = cards(at)
    assert len(data["cards"]) == 25 and sum(not c["interviewer"] for c in data["cards"]) == 16
    assert not [b for b in at.tabs[0].button if b.label != "Mark this transcript done"]  # no Streamlit button per card
    assert not at.text_area and not at.expander and not at.text  # no memo box, no card elements at all


def test_a_click_reads_only_the_page(app_study, monkeypatch):
    import streamlit as st

    from app.components.card_page import page_data

    segs = app_study.segments(transcript_id=app_study.transcripts()[0].id)[:25]
    asked = []
    monkeypatch.setattr(st, "session_state", {})
    data = page_data(Spy(app_study, asked), "alice", app_study.codebook(), segs, False, 0.5)
    ids = [s.id for s in segs if not s.is_interviewer]
    assert asked == [("visible_applications", ("alice",), {"segment_ids": ids}),
                     ("memos", (), {"segment_ids": ids}),
                     ("span_codings", (), {"transcript_id": segs[0].transcript_id})]  # three reads, whatever the study
    assert [c["id"] for c in data["cards"]] == [s.id for s in segs]
