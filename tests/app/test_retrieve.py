"""Retrieve and Search pages through AppTest: filters, counts that say whose coding, one click
to the place on the Code page, code all hits and its undo, verbatim text."""

from __future__ import annotations

from tests.app.conftest import button, open_app


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
    hits = app_study.search_text("the practice")
    assert hits and f"{len(hits)} hits" in at.caption[0].value.replace("\\", "")
    codeable = sum(h.codeable for h in hits)
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
    button(at, key="s_open-0").click().run()
    assert at.session_state["goto_span"] == (hits[0].start, hits[0].end)


def test_search_shows_transcript_text_verbatim(app_study, tmp_path):
    from qualcode.io.transcripts import read_transcript
    from tests.conftest import write

    app_study.import_transcripts([read_transcript(write(tmp_path / "v.txt", "P09: well *sigh* ~~x~~ <inaudible> ok\n"))])
    at = open_app("search", "alice")
    at.text_input(key="s_text").input("sigh")
    at.button[0].click().run()
    html = next(m.value for m in at.markdown if "<mark>" in m.value)
    assert "<inaudible>" not in html and "&lt;inaudible&gt;" in html
    assert "&#42;" in html and "&#126;&#126;x" in html  # * and ~ as character references: never obeyed


def test_search_pages_through_every_hit_and_counts_them_all(app_study):
    hits = app_study.search_text("the")
    from app.views.search import PAGE_SIZE

    assert len(hits) > PAGE_SIZE  # more than one page
    at = open_app("search", "alice")
    at.text_input(key="s_text").input("the")
    at.button[0].click().run()
    assert f"{len(hits)} hits in" in at.caption[0].value.replace("\\", "")
    assert at.button(key="s_code_all").label == f"Code all {sum(h.codeable for h in hits)} hits"
    marked = [m.value for m in at.markdown if "<mark>" in m.value]
    assert len(marked) == PAGE_SIZE
    at.number_input(key="s_page").set_value(2).run()
    assert not at.exception
    second = [m.value for m in at.markdown if "<mark>" in m.value]
    assert len(second) == min(PAGE_SIZE, len(hits) - PAGE_SIZE) and second != marked
    assert hits[PAGE_SIZE].before.split()[-1][:3] in second[0]  # the first hit of page 2 comes first
