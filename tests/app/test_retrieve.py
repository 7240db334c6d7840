"""Retrieve and Search pages through AppTest: filters, counts that say whose coding, one click
to the place on the Code page, code all hits and its undo, verbatim text."""

from __future__ import annotations

import re

import pytest

from tests.app.conftest import button, hits, open_app, open_hit
from tests.conftest import ROOT


def first_answer(study):
    return study.segments(codeable_only=True)[0]


def test_retrieve_lists_hits_with_sources_and_opens_the_code_page(app_study):
    seg = first_answer(app_study)
    code = app_study.codebook().leaves()[0]
    app_study.decide(seg.id, code.id, "alice")
    start = seg.start + 2
    app_study.code_span(seg.transcript_id, start, start + 8, code.id, "bob")
    at = open_app("retrieve", "alice")
    at.selectbox(key="r_code").set_value(code.id).run()
    at.selectbox(key="r_source").set_value("human").run()
    assert not at.exception
    caption = at.caption[0].value
    assert "2 hits (2 by coders (human), 0 machine suggestions shown, 0 final)" in caption.replace("\\", "")
    texts = [t.value for t in at.text]
    assert texts == [seg.text, seg.text[2:10]]  # the segment, then the span inside it, verbatim
    heads = [m.value for m in at.markdown if "no participant" in m.value or " · " in m.value]
    assert any(f"segment {seg.id} · " in h for h in heads)  # numbered as the Code page numbers it
    assert any(f"span in segment {seg.id}, characters {start}–{start + 8}" in h for h in heads)
    at.selectbox(key="r_coder").set_value("bob").run()
    assert [t.value for t in at.text] == [seg.text[2:10]]
    button(at, key="open-0").click().run()
    assert not at.exception
    assert "goto" not in at.session_state  # the Code page took it
    assert at.session_state["goto_span"] == (start, start + 8)
    assert at.title[0].value.startswith("Code")


def test_retrieve_machine_suggestions_are_labelled_and_thresholded(app_study):
    from qualcode.records import engine_showed

    machine = [a for a in app_study.applications(source="machine") if engine_showed(a.shown, a.confidence)]
    code = machine[0].code_id
    at = open_app("retrieve", "alice")
    at.selectbox(key="r_code").set_value(code).run()
    children = at.checkbox(key="r_children")
    if not children.proto.disabled:  # a theme: this code's own hits only (a leaf has no sub-codes to leave out)
        children.uncheck().run()
    at.selectbox(key="r_source").set_value("machine").run()
    n = sum(a.code_id == code for a in machine)
    assert f"{n} hits (0 by coders (human), {n} machine suggestions shown, 0 final)" in at.caption[0].value.replace(
        "\\", "")
    labels = [m.value for m in at.markdown if "machine suggestion, " in m.value]
    assert len(labels) == min(n, 50)  # one label per hit shown, with its confidence (. escaped as &#46;)
    at.toggle(key="r_conf-by").set_value(True).run()
    at.slider(key="r_conf").set_value(0.7).run()  # every suggestion from a confidence instead
    labels = [m.value for m in at.markdown if "machine suggestion, " in m.value]
    n = sum(a.code_id == code and a.confidence >= 0.7 for a in app_study.applications(source="machine"))
    assert f"{n} machine suggestions ≥ 0.70" in at.caption[0].value.replace("\\", "")
    assert len(labels) == min(n, 50)
    assert all(float(v.split("machine suggestion, ")[1][:8].replace("&#46;", ".")) >= 0.7 for v in labels)


def test_search_code_all_hits_undo_and_open(app_study):
    at = open_app("search", "alice")
    at.text_input(key="s_text").input("the practice")
    at.button[0].click().run()  # the form's Search button
    assert not at.exception
    found = app_study.search_text("the practice")
    assert len(found) > 1 and f"{len(found)} hits" in at.caption[0].value.replace("\\", "")
    codeable = sum(h.codeable for h in found)
    code = next(c.id for c in app_study.codebook() if c.is_codable)
    at.selectbox(key="s_code").set_value(code).run()
    button(at, key="s_code_all").click().run()
    spans = app_study.span_codings(coder="alice")
    assert len(spans) == codeable and {s.text.lower() for s in spans} == {"the practice"}
    assert [t.value for t in at.toast] == [f"Coded {codeable} hits"]
    assert [a.action for a in app_study.audit_log(limit=1)] == ["code_all_hits"]
    button(at, key="s_undo").click().run()
    assert app_study.span_codings(coder="alice") == []
    assert at.toast[0].value.startswith(f"Undid: coded all {codeable} hits of 'the practice'")
    shown = hits(at)["hits"]  # hit_list's data: the second hit, opened on the Code page
    assert shown[1]["place"] == [found[1].transcript_id, found[1].segment_id, found[1].start, found[1].end]
    open_hit(at, {"hit": 1, "id": "e1"})
    assert at.title[0].value.startswith("Code") and "goto" not in at.session_state  # the Code page took it
    assert at.session_state["goto_span"] == (found[1].start, found[1].end)
    assert at.session_state["focus_segment"] == found[1].segment_id


def test_search_shows_transcript_text_verbatim(app_study, tmp_path):
    from qualcode.io.transcripts import read_transcript
    from tests.conftest import write

    app_study.import_transcripts([read_transcript(write(tmp_path / "v.txt", "P09: well *sigh* ~~x~~ <inaudible> ok\n"))])
    at = open_app("search", "alice")
    at.text_input(key="s_text").input("sigh")
    at.button[0].click().run()
    [hit] = hits(at)["hits"]  # handed over as data, put on the page by hits.js with textContent only
    assert (hit["before"], hit["text"], hit["after"]) == ("P09: well *", "sigh", "* ~~x~~ <inaudible> ok\n")
    assert (hit["transcript"], hit["who"], hit["codeable"]) == ("v", "P09", True)
    source = (ROOT / "app" / "components" / "hit_list" / "hits.js").read_text()
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", source)
    assert "textContent" in source
    assert not [m.value for m in at.markdown if "sigh" in m.value]  # nowhere as Markdown or HTML


@pytest.mark.parametrize("event", [{"hit": 25}, {"hit": -1}, {"hit": "0"}, {"hit": True}, {}, "open", None])
def test_search_open_refuses_what_names_no_hit_shown(app_study, event):
    at = open_app("search", "alice")
    at.text_input(key="s_text").input("the practice")
    at.button[0].click().run()
    shown = len(hits(at)["hits"])
    if isinstance(event, dict) and event.get("hit") == 25:
        event["hit"] = shown  # one past the last hit drawn
    open_hit(at, event)
    assert at.title[0].value == "Search" and "goto" not in at.session_state  # nothing opened
    assert hits(at)["error"].startswith("Open: expected a hit of this page, got ")
    assert len(hits(at)["hits"]) == shown


def test_search_pages_through_every_hit_and_counts_them_all(app_study):
    found = app_study.search_text("the")
    from app.views.search import PAGE_SIZE

    assert len(found) > PAGE_SIZE  # more than one page
    at = open_app("search", "alice")
    at.text_input(key="s_text").input("the")
    at.button[0].click().run()
    assert f"{len(found)} hits in" in at.caption[0].value.replace("\\", "")
    assert at.button(key="s_code_all").label == f"Code all {sum(h.codeable for h in found)} hits"

    def drawn(page: int) -> list:  # noqa: ANN202 - the hits on a page, as found by the study
        first = (page - 1) * PAGE_SIZE
        return [{"n": first + k + 1, "transcript": h.transcript, "who": h.attribution or "no participant",
                 "codeable": h.codeable, "before": h.before, "text": h.text, "after": h.after,
                 "place": [h.transcript_id, h.segment_id, h.start, h.end]}
                for k, h in enumerate(found[first:first + PAGE_SIZE])]

    assert hits(at)["hits"] == drawn(1) and len(drawn(1)) == PAGE_SIZE
    at.number_input(key="s_page").set_value(2).run()
    assert not at.exception
    assert hits(at)["hits"] == drawn(2) and len(drawn(2)) == min(PAGE_SIZE, len(found) - PAGE_SIZE)
    open_hit(at, {"hit": 0, "id": "p2"})  # the first hit of page 2 is the one opened
    assert at.session_state["goto_span"] == (found[PAGE_SIZE].start, found[PAGE_SIZE].end)


def test_code_all_hits_waits_for_a_code_chosen_by_the_coder(app_study):
    at = open_app("search", "alice")
    at.text_input(key="s_text").input("the practice")
    at.button[0].click().run()
    assert at.selectbox(key="s_code").value is None  # no code is chosen for the coder
    assert at.button(key="s_code_all").disabled
    code = next(c.id for c in app_study.codebook() if c.is_codable)
    at.selectbox(key="s_code").set_value(code).run()
    assert not at.button(key="s_code_all").disabled
