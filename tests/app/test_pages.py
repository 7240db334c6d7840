"""Every page through streamlit.testing.v1.AppTest, with the main actions; each action is
checked in the database through the Study API afterwards."""

from __future__ import annotations

from tests.app.conftest import button, open_app


def test_start_creates_a_coder_and_shows_the_overview(app_study):
    at = open_app()
    assert not at.metric  # nothing about the study before a name is chosen
    button(at, label="Start coding").click().run()
    assert "Name:" in at.error[0].value  # nothing typed, nothing chosen
    at.text_input[0].set_value("alice")
    assert not at.radio  # roles are given by the owner, never chosen here (issue 15)
    button(at, label="Start coding").click().run()
    assert not at.exception
    assert at.query_params["coder"] == ["alice"] or at.query_params["coder"] == "alice"
    assert ("alice", "coder") in app_study.coders()
    assert [m.label for m in at.metric] == ["Transcripts", "Participants", "Codeable segments"]
    assert at.metric[0].value == "2"


def test_pages_ask_who_you_are_first(app_study):
    for page in ("code", "codebook", "agreement", "themes"):
        at = open_app(page)
        assert "Start" in at.info[0].value


def test_code_accept_reject_add_remove_memo_done(app_study):
    at = open_app("code", "alice")
    accepts = [b for b in at.button if b.key and b.key.startswith("acc-")]
    assert accepts, "suggestions are shown with Accept buttons"
    _, seg, code = accepts[0].key.split("-", 2)
    accepts[0].click().run()
    assert [t.value for t in at.toast] == ["Accepted"]
    human = {(a.segment_id, a.code_id, a.present) for a in app_study.applications(source="human", coder="alice")}
    assert (int(seg), code, True) in human
    rejects = [b for b in at.button if b.key and b.key.startswith("rej-")]
    _, seg2, code2 = rejects[0].key.split("-", 2)
    rejects[0].click().run()
    assert (int(seg2), code2, False) in {(a.segment_id, a.code_id, a.present)
                                         for a in app_study.applications(source="human", coder="alice")}
    extra = next(c for c in app_study.codebook().ids() if c != code)  # a code not applied yet
    at.selectbox(key=f"add-{seg}").set_value(extra).run()
    button(at, key=f"addbtn-{seg}").click().run()
    assert (int(seg), extra, True) in {(a.segment_id, a.code_id, a.present)
                                       for a in app_study.applications(source="human", coder="alice")}
    button(at, key=f"rm-{seg}-{extra}").click().run()
    assert (int(seg), extra) not in {(a.segment_id, a.code_id) for a in app_study.applications(source="human")}
    at.text_area(key=f"memo-{seg}").set_value("GP as gatekeeper here")
    button(at, key=f"memosave-{seg}").click().run()
    assert app_study.memos(segment_id=int(seg))[0]["text"] == "GP as gatekeeper here"
    button(at, label="Mark this transcript done").click().run()
    tid = app_study.segments(ids=[int(seg)])[0].transcript_id
    assert "alice" in app_study.done_by(tid)
    # a fresh session (a reload) shows exactly what was saved
    again = open_app("code", "alice")
    assert any(b.key == f"rm-{seg}-{code}" for b in again.button)
    assert again.text_area(key=f"memo-{seg}").value == "GP as gatekeeper here"


def test_uncoded_filter_and_use_as_example(app_study):
    at = open_app("code", "alice")
    accept = [b for b in at.button if b.key and b.key.startswith("acc-")][0]
    _, seg, code = accept.key.split("-", 2)
    accept.click().run()
    button(at, key=f"ex-{seg}-{code}").click().run()
    text = app_study.segments(ids=[int(seg)])[0].text
    assert app_study.codebook().get(code).examples[-1] == " ".join(text.split())
    at.sidebar.checkbox[0].check().run()
    assert not any(b.key and b.key.startswith(f"rm-{seg}-") for b in at.button)


def test_blind_double_coding_hides_others_and_machine(app_study):
    [name] = app_study.assign(["alice", "bob"], 0.5, seed=1)[:1]
    tid = app_study.transcript_id(name)
    seg = app_study.segments(transcript_id=tid, codeable_only=True)[0]
    app_study.decide(seg.id, "equity", "bob")
    at = open_app("code", "alice")
    at.selectbox(key="transcript").set_value(name).run()
    assert any("Blind double-coding" in i.value for i in at.info)
    assert not [b for b in at.button if b.key and b.key.startswith("acc-")]  # no machine suggestions
    assert not any(c.value.startswith("bob:") for c in at.caption)
    carol = open_app("code", "carol")  # not in the sample: blind too (issue 15)
    carol.selectbox(key="transcript").set_value(name).run()
    assert not any(c.value.startswith("bob:") for c in carol.caption)
    app_study.set_role("sue", "supervisor", actor="owner")
    sue = open_app("code", "sue")  # a supervisor is never blind
    sue.selectbox(key="transcript").set_value(name).run()
    assert any(c.value.startswith("bob:") for c in sue.caption)


def test_codebook_forms_refuse_bad_input_and_save_good(app_study):
    app_study.set_role("alice", "admin", actor="owner")  # codebook versions are an admin's (issue 15)
    at = open_app("codebook", "alice")
    before = len(app_study.codebook_versions())
    edit = at.tabs[1]
    edit.text_input[0].set_value("   ")
    button(at, label="Save as a new version").click().run()
    assert any("name" in e.value for e in at.error)
    assert len(app_study.codebook_versions()) == before
    at.tabs[2].text_input[0].set_value("pivotal_gp")
    at.tabs[2].text_input[1].set_value("Dup")
    at.tabs[2].text_area[0].set_value("Something")
    button(at, label="Add code").click().run()
    assert any("already has" in e.value for e in at.error)
    merge = at.tabs[3]
    merge.selectbox[0].set_value("equity")
    merge.selectbox[1].set_value("equity")
    button(at, label="Merge").click().run()
    assert any("itself" in e.value for e in at.error)
    assert len(app_study.codebook_versions()) == before
    at.tabs[1].text_input[0].set_value("The GP's central role")
    button(at, label="Save as a new version").click().run()
    assert app_study.codebook().get(app_study.codebook().ids()[0]).name == "The GP's central role"
    assert len(app_study.codebook_versions()) == before + 1


def test_agreement_page_compute_and_adjudicate(app_study):
    assert "supervisors" in open_app("agreement", "alice").info[0].value
    app_study.ensure_coder("sue", "supervisor")
    segs = app_study.segments(codeable_only=True)
    for s in segs[:3]:
        app_study.decide(s.id, "equity", "alice")
    app_study.decide(segs[0].id, "equity", "bob")
    at = open_app("agreement", "sue")
    button(at, key="compute").click().run()
    assert at.dataframe and not at.exception
    assert at.get("download_button")
    forms = [b for b in at.button if b.label == "Save final code"]
    assert len(forms) == 2  # two segments alice coded and bob did not
    forms[0].click().run()
    assert any("Final:" in e.value for e in at.error)
    assert not app_study.applications(source="final")
    radios = [r for r in at.radio if r.label == "Final"]
    radios[0].set_value("applies")
    [t for t in at.text_input if t.label == "Rationale"][0].set_value("about unequal access")
    [b for b in at.button if b.label == "Save final code"][0].click().run()
    final = app_study.applications(source="final")
    assert [(f.code_id, f.present, f.coder, f.reason) for f in final] == [("equity", True, "sue", "about unequal access")]


def test_themes_page_counts_quotes_discovery_downloads(app_study):
    segs = app_study.segments(codeable_only=True)
    app_study.decide(segs[0].id, "equity", "alice")
    at = open_app("themes", "alice")
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart") or at.dataframe
    import re

    assert any(re.search(r"\((P|S)0\d, [^,]+, site [ABC]\)$", m.value) for m in at.markdown)
    button(at, key="discover").click().run()
    assert not at.exception
    found = app_study.discovery()
    assert found and found["clusters"]
    labels = {b.proto.label for b in at.get("download_button")}
    assert labels == {"Theme report (Markdown)", "Segments (CSV)", "Codebook (YAML)", "Theme report (HTML)",
                      "Theme report (Word)", "Framework matrix (Excel)", "REFI-QDA project (.qdpx)",
                      "REFI-QDA codebook (.qdc)"}


def test_two_coders_at_once_never_overwrite_each_other(app_study):
    alice, bob = open_app("code", "alice"), open_app("code", "bob")
    key = next(b.key for b in alice.button if b.key and b.key.startswith("acc-"))
    _, seg, code = key.split("-", 2)
    button(alice, key=key).click().run()
    button(bob, key=f"rej-{seg}-{code}").click().run()  # bob's page was drawn before alice's click
    decisions = {(a.coder, a.present) for a in app_study.applications(source="human", segment_ids=[int(seg)])
                 if a.code_id == code}
    assert decisions == {("alice", True), ("bob", False)}
    alice.run()
    assert any(b.key == f"rm-{seg}-{code}" for b in alice.button)  # alice still sees her own decision


def test_review_next_offers_uncoded_segments_and_says_why(app_study):
    at = open_app("code", "alice")
    button(at, key="find-next").click().run()
    assert not at.exception, at.exception
    offered = [b.key for b in at.button if b.key and b.key.startswith("acc-next-")]
    assert offered, "the review queue shows segments with Accept buttons"
    assert any("typical of similar segments not coded yet" in c.value for c in at.caption)
    _, _, seg, code = offered[0].split("-", 3)
    button(at, key=offered[0]).click().run()  # deciding from the queue is saved like anywhere else
    assert (int(seg), code, True) in {(a.segment_id, a.code_id, a.present)
                                      for a in app_study.applications(source="human", coder="alice")}
