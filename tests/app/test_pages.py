"""Every page through streamlit.testing.v1.AppTest, with the main actions; each action is
checked in the database through the Study API afterwards."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest

from qualcode.io.codebook import load_codebook
from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from qualcode.store import Study
from tests.app.conftest import button, card, cards, click_card, open_app
from tests.conftest import EXAMPLE, ROOT


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


def human(study, coder: str = "alice") -> set:  # noqa: ANN001
    return {(a.segment_id, a.code_id, a.present) for a in study.applications(source="human", coder=coder)}


def test_code_accept_reject_add_remove_memo_done(app_study):
    at = open_app("code", "alice")
    seg, code = next((c["id"], c["sugg"][0][0]) for c in cards(at)["cards"] if not c["interviewer"] and c["sugg"])
    assert click_card(at, app_study, "alice", action="accept", seg=seg, code=code)["message"] == "Accepted"
    assert (seg, code, True) in human(app_study)
    assert [code, True] in card(at, seg)["mine"] and code not in [x[0] for x in card(at, seg)["sugg"]]
    seg2, code2 = next((c["id"], c["sugg"][0][0]) for c in cards(at)["cards"] if c.get("sugg"))
    click_card(at, app_study, "alice", action="reject", seg=seg2, code=code2)
    assert (seg2, code2, False) in human(app_study)
    extra = next(c for c in app_study.codebook().ids() if c != code and app_study.codebook().get(c).is_codable)
    click_card(at, app_study, "alice", action="add", seg=seg, code=extra)
    assert (seg, extra, True) in human(app_study)
    click_card(at, app_study, "alice", action="remove", seg=seg, code=extra)
    assert (seg, extra) not in {(a.segment_id, a.code_id) for a in app_study.applications(source="human")}
    assert [extra, True] not in card(at, seg)["mine"]
    click_card(at, app_study, "alice", action="memo", seg=seg, text="GP as gatekeeper here")
    click_card(at, app_study, "alice", action="memo", seg=seg, text="and a second thought")
    assert [m.text for m in app_study.memos(segment_id=seg)] == ["GP as gatekeeper here", "and a second thought"]
    assert [m[2] for m in card(at, seg)["memos"]] == ["GP as gatekeeper here", "and a second thought"]
    button(at, label="Mark this transcript done").click().run()
    tid = app_study.segments(ids=[seg])[0].transcript_id
    assert "alice" in app_study.done_by(tid)
    # a fresh session (a reload) shows exactly what was saved
    again = card(open_app("code", "alice"), seg)
    assert [code, True] in again["mine"] and len(again["memos"]) == 2


def test_uncoded_filter_and_use_as_example(app_study):
    at = open_app("code", "alice")
    seg, code = next((c["id"], c["sugg"][0][0]) for c in cards(at)["cards"] if c.get("sugg"))
    click_card(at, app_study, "alice", action="accept", seg=seg, code=code)
    click_card(at, app_study, "alice", action="example", seg=seg, code=code)
    text = app_study.segments(ids=[seg])[0].text
    assert app_study.codebook().get(code).examples[-1] == " ".join(text.split())
    at.sidebar.checkbox[0].check().run()
    # ticking the filter leaves out what you decided before, in this session too …
    assert seg not in [c["id"] for c in cards(at)["cards"]]
    # … and in a fresh session
    again = open_app("code", "alice")
    again.sidebar.checkbox[0].check().run()
    assert seg not in [c["id"] for c in cards(again)["cards"]]


def test_blind_double_coding_hides_others_and_machine(app_study):
    [name] = app_study.assign(["alice", "bob"], 0.5, seed=1)[:1]
    tid = app_study.transcript_id(name)
    seg = app_study.segments(transcript_id=tid, codeable_only=True)[0]
    app_study.decide(seg.id, "equity", "bob")
    at = open_app("code", "alice")
    at.selectbox(key="transcript").set_value(name).run()
    assert any("Blind double-coding" in i.value for i in at.info)
    assert not [c for c in cards(at)["cards"] if c.get("sugg")]  # no machine suggestions
    assert card(at, seg.id)["others"] == []
    carol = open_app("code", "carol")  # not in the sample: blind too (issue 15)
    carol.selectbox(key="transcript").set_value(name).run()
    assert card(carol, seg.id)["others"] == []
    app_study.set_role("sue", "supervisor", actor="owner")
    sue = open_app("code", "sue")  # a supervisor is never blind
    sue.selectbox(key="transcript").set_value(name).run()
    assert card(sue, seg.id)["others"] == [["bob", ["equity"]]]


def test_codebook_forms_refuse_bad_input_and_save_good(app_study):
    app_study.set_role("alice", "admin", actor="owner")  # codebook versions are an admin's (issue 15)
    at = open_app("codebook", "alice")
    before = len(app_study.codebook_versions())
    edit = at.tabs[1]
    edit.text_input[0].set_value("   ")
    button(at, label="Save as a new version").click().run()
    assert any("name" in e.value for e in at.error)
    assert len(app_study.codebook_versions()) == before
    at.text_input(key="cb_add_id").set_value("pivotal_gp")
    at.text_input(key="cb_add_name").set_value("Dup")
    at.text_area(key="cb_add_def").set_value("Something")
    button(at, label="Add code").click().run()
    assert any("already has" in e.value for e in at.error)
    assert at.text_input(key="cb_add_name").value == "Dup"  # refused: every word kept
    at.text_input(key="cb_add_id").set_value("")  # no id typed: made from the name
    at.text_input(key="cb_add_name").set_value("Out-of-hours & weekends")
    button(at, label="Add code").click().run()
    assert app_study.codebook().get("out-of-hours_weekends").name == "Out-of-hours & weekends"
    assert at.text_input(key="cb_add_name").value == "" and at.text_area(key="cb_add_def").value == ""  # added: empty
    assert [t.value for t in at.toast][-1] == "Code added: Out-of-hours & weekends (out-of-hours_weekends)"
    before += 1
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
    seg = app_study.segments()[0].id
    app_study.decide(seg, "equity", "alice")
    gone, into = app_study.codebook().get("equity").name, next(c for c in app_study.codebook().ids() if c != "equity")
    at = open_app("codebook", "alice")
    at.tabs[3].selectbox[0].set_value("equity")
    at.tabs[3].selectbox[1].set_value(into)
    button(at, label="Merge").click().run()
    assert not at.error
    assert f"Merged {gone} (equity) into {app_study.codebook().get(into).name} ({into}): 1 coding carried over" in [
        x.value.replace("\\", "") for x in (*at.success, *at.toast)]


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

    shown = [re.sub(r"\\(.)", r"\1", m.value) for m in at.markdown]  # as Markdown shows it: escapes undone
    assert any(re.search(r"\((P|S)0\d, [^,]+, site [ABC]\)$", text) for text in shown)
    button(at, key="discover").click().run()
    assert not at.exception
    found = app_study.discovery()
    assert found and found.clusters
    labels = {b.proto.label for b in at.get("download_button")}
    assert labels == {"Theme report (Markdown)", "Segments (CSV)", "Codebook (YAML)", "Theme report (HTML)",
                      "Theme report (Word)", "Framework matrix (Excel)", "REFI-QDA project (.qdpx)",
                      "REFI-QDA codebook (.qdc)"}


def test_two_coders_at_once_never_overwrite_each_other(app_study):
    alice, bob = open_app("code", "alice"), open_app("code", "bob")
    seg, code = next((c["id"], c["sugg"][0][0]) for c in cards(alice)["cards"] if c.get("sugg"))
    click_card(alice, app_study, "alice", action="accept", seg=seg, code=code)
    click_card(bob, app_study, "bob", action="reject", seg=seg, code=code)  # bob's page was drawn before
    decisions = {(a.coder, a.present) for a in app_study.applications(source="human", segment_ids=[seg])
                 if a.code_id == code}
    assert decisions == {("alice", True), ("bob", False)}
    alice.run()
    assert [code, True] in card(alice, seg)["mine"]  # alice still sees her own decision


def test_review_next_offers_uncoded_segments_and_says_why(app_study):
    at = open_app("code", "alice")
    button(at, key="find-next").click().run()
    assert not at.exception, at.exception
    picks = cards(at, "review_cards")["cards"]  # the Code page's card component, a second instance
    assert picks and all(not c["mine"] for c in picks), "the review queue shows segments nobody has coded"
    assert all(c["note"].startswith("from ") for c in picks)
    assert any("typical of similar segments not coded yet" in c["note"] for c in picks)
    seg, code = next((c["id"], c["sugg"][0][0]) for c in picks if c["sugg"])
    code_page_focus = at.session_state["focus_segment"]
    ack = click_card(at, app_study, "alice", key="review_cards", action="accept", seg=seg, code=code)
    assert (ack["error"], ack["message"]) == (None, "Accepted")  # saved like anywhere else
    assert (seg, code, True) in {(a.segment_id, a.code_id, a.present)
                                 for a in app_study.applications(source="human", coder="alice")}
    assert [code, True] in card(at, seg, "review_cards")["mine"] and cards(at, "review_cards")["acks"][-1] == ack
    assert at.session_state["focus_segment-review_cards"] == seg  # its own ▶, not the Code page's
    assert at.session_state["focus_segment"] == code_page_focus
    other = next(c["id"] for c in cards(at, "review_cards")["cards"] if c["id"] != seg)
    click_card(at, app_study, "alice", key="review_cards", action="memo", seg=other, text="why *this* one")
    assert [m.text for m in app_study.memos(segment_id=other)] == ["why *this* one"]
    assert card(at, other, "review_cards")["memos"][0][2] == "why *this* one"
    undo = click_card(at, app_study, "alice", key="review_cards", action="undo")
    assert undo["error"] is None and not app_study.memos(segment_id=other)
    queue = {c["id"] for c in cards(at, "review_cards")["cards"]}
    elsewhere = next(c["id"] for c in cards(at)["cards"] if not c["interviewer"] and c["id"] not in queue)
    refused = click_card(at, app_study, "alice", key="review_cards", action="accept", seg=elsewhere, code=code)
    assert "expected a segment of this page" in refused["error"]


# ---------------------------------------------------------------- who you are, your place, your words
def test_who_you_are_holds_across_pages_and_reloads(app_study):
    at = open_app()
    at.text_input[0].set_value("dana")
    button(at, label="Start coding").click().run()
    at.query_params.clear()  # the sidebar link opens /code without the address's ?coder=
    at.switch_page("views/code.py").run()
    assert not at.exception, at.exception
    assert not [i for i in at.info if "Start" in i.value]
    assert [c for c in cards(at)["cards"] if c.get("sugg")]
    assert at.query_params["coder"] in ("dana", ["dana"])  # written back: a reload keeps it
    at.switch_page("views/codebook.py").run()
    assert at.title[0].value == "Codebook" and not [i for i in at.info if "Start" in i.value]


def test_a_decision_keeps_the_page_with_the_uncoded_filter(app_study):
    at = open_app("code", "alice")
    at.sidebar.selectbox(key="page_size").set_value(10).run()
    at.sidebar.checkbox(key="uncoded").check().run()
    at.number_input(key="page").set_value(2).run()
    seg, code = next((c["id"], c["sugg"][0][0]) for c in cards(at)["cards"] if c.get("sugg"))
    click_card(at, app_study, "alice", action="accept", seg=seg, code=code)
    assert at.number_input(key="page").value == 2
    assert [code, True] in card(at, seg)["mine"]  # still shown, now applied


def test_memo_draft_survives_transcript_switch_and_navigation(app_study):
    at = open_app("code", "alice")
    first, second = [t.name for t in app_study.transcripts()]
    seg = next(c["id"] for c in cards(at)["cards"] if not c["interviewer"])
    click_card(at, app_study, "alice", action="draft", seg=seg, text="half a thought")
    at.selectbox(key="transcript").set_value(second).run()
    assert str(seg) not in cards(at)["drafts"]
    at.selectbox(key="transcript").set_value(first).run()
    assert cards(at)["drafts"][str(seg)] == "half a thought"
    at.switch_page("views/start.py").run()
    at.switch_page("views/code.py").run()
    assert at.selectbox(key="transcript").value == first
    assert cards(at)["drafts"][str(seg)] == "half a thought"
    assert not app_study.memos(segment_id=seg)  # a draft is not saved until you save it
    click_card(at, app_study, "alice", action="memo", seg=seg, text="half a thought, finished")
    assert str(seg) not in cards(at)["drafts"] and len(app_study.memos(segment_id=seg)) == 1


def test_undo_is_one_event_and_says_what_it_undid(app_study):
    at = open_app("code", "alice")
    seg, code = next((c["id"], c["sugg"][0][0]) for c in cards(at)["cards"] if c.get("sugg"))
    click_card(at, app_study, "alice", action="accept", seg=seg, code=code)
    ack = click_card(at, app_study, "alice", action="undo")
    assert not app_study.applications(source="human", coder="alice")
    assert ack["error"] is None and ack["message"].startswith("Undid")
    assert any(t.value.startswith("Undid") for t in at.toast)
    assert [code, True] not in card(at, seg)["mine"] and code in [x[0] for x in card(at, seg)["sugg"]]
    assert cards(at)["acks"][-1] == ack  # the component learns the outcome from the next data


def test_follow_a_link_to_its_place(app_study):
    t = app_study.transcripts()[1]
    seg = app_study.segments(transcript_id=t.id, codeable_only=True)[-1]
    at = open_app("code", "alice")
    at.sidebar.selectbox(key="page_size").set_value(10).run()
    at.session_state["goto"] = {"transcript_id": t.id, "segment_id": seg.id, "start": None, "end": None}
    at.run()
    assert at.selectbox(key="transcript").value == t.name
    data = cards(at)
    assert data["focus"] == seg.id and data["scroll"][0] == seg.id and seg.id in [c["id"] for c in data["cards"]]


# ---------------------------------------------------------------- verbatim
TRICKY = "Well *sigh* it was ~~x~~ hard <inaudible> and <script>alert(1)</script> for $5 :smile: # no"


@pytest.fixture
def tricky_study(tmp_path, monkeypatch):
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "p01_tricky.txt").write_text(f"Interviewer: And then <inaudible> *what*?\n\nP01: {TRICKY}\n")
    codebook = load_codebook(ROOT / "codebooks" / "gp_commissioning.yaml")
    code = replace(codebook.codes[0], definition="Uses *stars* and <b>tags</b>")
    codebook = replace(codebook, codes=(code,) + codebook.codes[1:])
    study = Study.init(tmp_path / "study", codebook=codebook)
    study.import_transcripts([read_transcript(folder / "p01_tricky.txt")],
                             read_participants(EXAMPLE / "participants.csv"))
    monkeypatch.setenv("QUALCODE_STUDY", str(study.folder))
    yield study
    study.close()


def shown_text(markdown: str) -> str:
    """What a browser shows for an element's markup: tags dropped, character references decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", markdown.replace("<br>", "\n")))


def test_transcripts_names_and_definitions_are_shown_verbatim(tricky_study):
    seg = tricky_study.segments(codeable_only=True)[0]
    tricky_study.add_memo("alice", "memo with *stars* <inaudible>", segment_id=seg.id)
    at = open_app("code", "alice")
    data = cards(at)  # the card component puts every text on the page with textContent, never as HTML
    assert card(at, seg.id)["text"] == TRICKY
    assert [(c["speaker"], c["text"]) for c in data["cards"] if c["interviewer"]] == \
        [("Interviewer", "And then <inaudible> *what*?")]
    assert card(at, seg.id)["memos"][0][2] == "memo with *stars* <inaudible>"
    source = (ROOT / "app" / "components" / "card_page" / "cards.js").read_text()
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", source)
    cb = open_app("codebook", "alice")
    definition = [m.value for m in cb.markdown if "stars" in m.value]
    assert definition and shown_text(definition[0]).endswith("Uses *stars* and <b>tags</b>")


def test_escaping_helpers_hide_every_markup_character():
    from app.state import md_escape, verbatim

    for text in (TRICKY, "a_b_c", "`code`", "[link](http://x)", "line\nbreak", "&amp; & <"):
        assert shown_text(verbatim(text)) == text
        assert not re.search(r"[*_~`\[\]$]", re.sub(r"&#\d+;", "", verbatim(text)))
    assert md_escape("*sigh* ~~x~~ <i>") == r"\*sigh\* \~\~x\~\~ \<i\>"


def test_start_counts_only_codeable_segments_and_says_whose(app_study):
    at = open_app(coder="alice")  # the study at a glance once you have said who you are
    assert at.metric[2].value == str(len(app_study.segments(codeable_only=True)))
    assert int(at.metric[2].value) < sum(t.n_segments for t in app_study.transcripts())
    assert any("machine suggestions are not counted" in c.value for c in at.caption)


def test_no_page_icon_or_font_from_another_machine():
    source = (ROOT / "app" / "streamlit_app.py").read_text()
    assert 'page_icon=":material' not in source  # the favicon of a :material: icon comes from Google
    for path in (ROOT / "app").rglob("*"):
        if path.suffix in (".py", ".html", ".js", ".css"):
            assert not re.search(r"https?://", path.read_text()), path


# ---------------------------------------------------------------- codebook: colours, retired codes, split, stale
def test_colour_saved_and_shown_as_chips(app_study):
    seg = app_study.segments(codeable_only=True)[0]
    app_study.decide(seg.id, "equity", "alice")
    app_study.set_role("alice", "admin", actor="owner")  # a colour is a codebook change: an admin's
    at = open_app("codebook", "alice")
    at.tabs[1].selectbox(key="edit_code").set_value("equity").run()
    at.color_picker[0].set_value("#aa3300")
    button(at, label="Save colour").click().run()
    assert app_study.codebook().get("equity").color == "#aa3300"
    data = cards(open_app("code", "alice"))
    assert data["codes"]["equity"][1] == "#aa3300" and ["equity", True] in card_of(data, seg.id)["mine"]


def card_of(data: dict, seg: int) -> dict:
    return next(c for c in data["cards"] if c["id"] == seg)


def test_retired_codes_disappear_after_a_merge(app_study):
    at = open_app("code", "alice")
    seg, gone = next((c["id"], c["sugg"][0][0]) for c in cards(at)["cards"] if c.get("sugg"))
    app_study.decide(seg, gone, "alice")
    codebook = app_study.codebook()
    into = next(c for c in codebook.ids() if c != gone and c != codebook.get(gone).parent
                and codebook.get(c).parent is None)
    app_study.merge_codes(gone, into, "sue")
    at.run()
    assert not at.exception
    data = cards(at)
    assert gone not in data["codes"]
    assert not [c for c in data["cards"] if not c["interviewer"] and gone in
                [x[0] for x in c["sugg"] + c["mine"] + c["spans"]] + [y for _, ys in c["others"] for y in ys]]
    ack = click_card(at, app_study, "alice", action="add", seg=seg, code=gone)  # a page drawn before the merge
    assert "expected a code of the current codebook" in ack["error"]


def test_split_lists_the_segments_to_recode_and_queues_them(app_study):
    segs = app_study.segments(codeable_only=True)[:2]
    for s in segs:
        app_study.decide(s.id, "age_inequity", "alice")
    app_study.set_role("alice", "admin", actor="owner")  # splitting a code: an admin's
    at = open_app("codebook", "alice")
    at.tabs[4].selectbox[0].set_value("age_inequity")
    at.tabs[4].text_area[0].set_value("eq_access: Access\neq_outcome: Outcomes")
    button(at, label="Split").click().run()
    assert not at.exception, at.exception
    assert "age_inequity" not in app_study.codebook().ids()
    assert any("Segments to re-code" in h.value for h in at.subheader)
    assert sorted(at.dataframe[0].value["segment"]) == sorted(s.id for s in segs)
    button(at, key="split-queue").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Code"
    queued = [c["id"] for c in cards(at, "review_cards")["cards"]]  # Review next's cards
    assert sorted(queued) == sorted(s.id for s in segs)


def test_a_stale_codebook_edit_is_refused_and_names_who(app_study):
    app_study.set_role("alice", "admin", actor="owner")  # the edit forms are an admin's
    at = open_app("codebook", "alice")
    target = app_study.codebook().ids()[0]
    app_study.rename_code(target, "Renamed by bob", "bob")
    at.tabs[1].text_input[0].set_value("Alice's name")
    button(at, label="Save as a new version").click().run()
    assert app_study.codebook().get(target).name == "Renamed by bob"  # nothing overwritten
    assert any("changed by bob at" in e.value and "since you opened it" in e.value for e in at.error)
    assert any("changed by bob" in w.value for w in at.warning)
    button(at, key="cb-refresh").click().run()
    assert at.tabs[1].text_input[0].value == "Renamed by bob"


# ---------------------------------------------------------------- span selection
def test_checked_selection_holds_the_browser_to_the_stored_text():
    from app.components.span_select import checked_selection

    plain = "Q: Hello there.\n\nA: It was *hard* work."
    a = plain.index("*hard*")
    assert checked_selection({"start": a, "end": a + 6, "text": "*hard*", "parts": [[a, a + 6]]}, plain) == \
        (a, a + 6, "*hard*")
    b = plain.index("there")
    both = {"start": b, "end": a + 6, "text": "there.It was *hard*", "parts": [[b, b + 6], [plain.index("It"), a + 6]]}
    assert checked_selection(both, plain) == (b, a + 6, plain[b:a + 6])  # across turns: the stored text between
    assert checked_selection({"start": a, "end": a + 6, "text": "*harm*", "parts": [[a, a + 6]]}, plain) is None
    assert checked_selection({"start": 5, "end": 999, "text": "x"}, plain) is None
    assert checked_selection(None, plain) is None


def test_span_view_codes_a_selection_and_shows_it(app_study):
    tid = app_study.transcripts()[0].id
    plain = app_study.plain_text(tid)
    seg = app_study.segments(transcript_id=tid, codeable_only=True)[0]
    start = seg.start + 5
    app_study.code_span(tid, start, start + 12, "equity", "alice")
    at = open_app("code", "alice")
    at.segmented_control(key="view").set_value("Select text").run()
    assert not at.exception, at.exception
    assert any(e.label == "Span codings on this page (1)" for e in at.expander)
    assert any(plain[start:start + 12] in shown_text(m.value) for m in at.markdown)
    assert button(at, key="code-span").disabled  # nothing selected yet
    at.segmented_control(key="view").set_value("Segments").run()
    assert card(at, seg.id)["spans"] == [["equity", plain[start:start + 12], "alice"]]


def test_a_coder_sees_no_codebook_forms_and_is_told_which_role_and_how(app_study):
    at = open_app("codebook", "maria")
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Browse", "Versions"]  # no Add/Edit/Merge/Split that would only fail
    shown = at.info[0].value.replace("\\", "")  # md_escape's backslashes
    assert shown == ("To edit, add, merge or split codes you need an admin role; maria is a coder. "
                     "The study's owner gives it on the command line: qualcode user role STUDY maria --role admin")
    at = open_app("manage", "maria")
    assert "you need a supervisor role; maria is a coder" in at.info[0].value.replace("\\", "")
    assert "Start page" not in at.info[0].value
