"""A reload keeps the coder's place on the Code page: the transcript and page are kept in the
address (a reload starts a new session, so widgets and session state are gone)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, open_app


def test_the_transcript_and_page_come_back_after_a_reload(app_study):
    at = open_app("code", "alice")
    names = at.selectbox(key="transcript").options
    assert len(names) > 1
    at.selectbox(key="transcript").set_value(names[1]).run()
    at.selectbox(key="page_size").set_value(10).run()
    pages = at.number_input(key="page").max
    assert pages > 1, "the example transcript needs two pages of 10"
    at.number_input(key="page").set_value(2).run()
    assert not at.exception
    assert (at.query_params["transcript"], at.query_params["page"]) == (names[1], "2")
    again = AppTest.from_file(APP, default_timeout=60)  # the reload: a new session with the same address
    for key in ("coder", "transcript", "page"):
        again.query_params[key] = at.query_params[key]
    again.run()
    again.switch_page("views/code.py").run()
    assert not again.exception
    assert again.selectbox(key="transcript").value == names[1]
    assert again.number_input(key="page").value == 2


def test_a_name_in_the_address_that_is_no_transcript_is_ignored(app_study):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["coder"] = "alice"
    at.query_params["transcript"] = "<no such transcript>"
    at.run()
    at.switch_page("views/code.py").run()
    assert not at.exception
    assert at.selectbox(key="transcript").value == at.selectbox(key="transcript").options[0]
