"""The app's shared helpers: the remembered embedder, the change-keyed cache, paging."""

from __future__ import annotations

import numpy as np

from qualcode.io.transcripts import read_transcript
from tests.app.conftest import open_app
from tests.conftest import CountingEmbedder, write


def test_remembered_embedder_embeds_each_text_once_and_keeps_order():
    from app.state import RememberedEmbedder

    inner = CountingEmbedder(16)
    remembered = RememberedEmbedder(inner)
    first = remembered.encode(["a b", "c d", "a b"])
    assert inner.calls == [2]  # the repeated text once
    again = remembered.encode(["c d", "e f", "a b"])
    assert inner.calls == [2, 1]  # only the new text
    np.testing.assert_array_equal(again, inner.encode(["c d", "e f", "a b"]))
    np.testing.assert_array_equal(first[0], first[2])
    assert remembered.model_id == inner.model_id and remembered.dim == 16


def test_code_page_cache_ends_with_the_next_change(app_study, tmp_path):
    at = open_app("code", "alice")
    names = [t.name for t in app_study.transcripts()]
    assert list(at.selectbox(key="transcript").options) == names
    body = "Interviewer: Why?\n\nP01: Because the phones are engaged all morning.\n"
    app_study.import_transcripts([read_transcript(write(tmp_path / "aaa_new.txt", body))])
    at.run()
    assert list(at.selectbox(key="transcript").options) == ["aaa_new", *names]  # not the cached list


def test_paged_shows_a_page_input_only_for_more_than_one_page():
    from streamlit.testing.v1 import AppTest

    def page_of_items() -> None:
        import streamlit as st

        from app.state import paged

        shown, first = paged(list(range(int(st.session_state.get("n", 120)))), "p", size=50)
        st.write(f"{first}:{shown[0]}-{shown[-1]}:{len(shown)}")

    at = AppTest.from_function(page_of_items).run()
    assert at.markdown[0].value == "0:0-49:50"
    at.number_input(key="p").set_value(3).run()
    assert at.markdown[0].value == "100:100-119:20"
    at.session_state["n"] = 30  # fewer items than the page shown: back to page 1, no input
    at.run()
    assert at.markdown[0].value == "0:0-29:30" and not at.number_input


def test_start_page_counts_come_from_sql_and_match_the_decisions(app_study):
    segs = app_study.segments(codeable_only=True)
    app_study.decide(segs[0].id, "equity", "alice")
    app_study.decide(segs[1].id, "equity", "alice", present=False)  # decided, not counted for the code
    app_study.decide(segs[0].id, "equity", "bob")
    app_study.mark_done(segs[0].transcript_id, "bob")
    at = open_app(coder="alice")
    progress = at.dataframe[1].value
    assert progress.to_dict("records") == [
        {"coder": "alice", "segments decided": 2, "transcripts done": 0},
        {"coder": "bob", "segments decided": 1, "transcripts done": 1}]
    codes = at.dataframe[2].value.set_index("code")
    assert codes.loc["Equity", "coded by coders (human)"] == 2  # segments × coders who applied it
    assert codes["final (adjudicated)"].sum() == 0
