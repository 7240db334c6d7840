"""The Code page's card component (app/components/card_page): each event the browser sends
is one Study call with one audit row, as the Streamlit cards made; a refusal comes back in
the acknowledgement and saves nothing; the page data holds only what the coder may see."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.components.card_page import ACKS, handle, page_data
from qualcode.errors import QualcodeError


@pytest.fixture
def page(app_study):  # noqa: ANN201 - (study as alice, codebook, the first page's segments, codeable ids)
    app_study.ensure_coder("alice", "coder")
    segs = app_study.segments(transcript_id=app_study.transcripts()[0].id)[:25]
    return app_study.for_user("alice"), app_study.codebook(), segs, [s.id for s in segs if not s.is_interviewer]


def send(study, codebook, ids, session: dict, **event) -> dict:  # noqa: ANN001, ANN003
    event.setdefault("id", f"e{len(session.get(ACKS, []))}")
    return handle(session, study, "alice", codebook, ids, event)


def test_each_click_is_one_study_call_and_one_audit_row(app_study, page):
    study, codebook, _, ids = page
    seg, other = ids[0], ids[1]
    code, extra = [c.id for c in codebook if c.is_codable][:2]
    session: dict = {}
    steps = [({"action": "accept", "seg": seg, "code": code}, "Accepted", ["decide"]),
             ({"action": "reject", "seg": other, "code": code}, "Rejected", ["decide"]),
             ({"action": "add", "seg": seg, "code": extra}, "Code added", ["decide"]),
             ({"action": "remove", "seg": seg, "code": extra}, "Code removed", ["unset"]),
             ({"action": "example", "seg": seg, "code": code}, "Added to the code's examples",
              ["edit_code", "codebook_version"]),  # Study.add_example: the edit and the new version
             ({"action": "memo", "seg": seg, "text": "*sigh* <inaudible>"}, "Memo saved", ["create"])]
    for event, message, actions in steps:
        before = max(e.id for e in app_study.audit_log())
        ack = send(study, codebook, ids, session, **event)
        assert (ack["error"], ack["message"]) == (None, message)
        new = [e for e in app_study.audit_log() if e.id > before]
        assert sorted(e.action for e in new) == sorted(actions) and {e.actor for e in new} == {"alice"}, new
    assert {(a.segment_id, a.code_id, a.present) for a in app_study.applications(source="human", coder="alice")} == \
        {(seg, code, True), (other, code, False)}
    assert [m.text for m in app_study.memos(segment_id=seg)] == ["*sigh* <inaudible>"]  # as typed
    assert session["decided_here"] == {seg, other} and session["focus_segment"] == seg
    assert [a["id"] for a in session[ACKS]] == [f"e{i}" for i in range(6)]
    ack = send(study, codebook, ids, session, action="undo")  # undoes the memo, audited as an undo
    assert ack["error"] is None and ack["message"].startswith("Undid") and not app_study.memos(segment_id=seg)


@pytest.mark.parametrize(("event", "says"), [
    ({"action": "accept", "seg": 999999, "code": "equity"}, "expected a segment of this page"),
    ({"action": "accept", "seg": "x", "code": "equity"}, "expected a segment of this page"),
    ({"action": "add", "code": "no_such_code"}, "expected a code of the current codebook, got 'no_such_code'"),
    ({"action": "add", "code": "THEME"}, "theme heading"),
    ({"action": "memo", "text": "   "}, "expected some text"),
    ({"action": "explode", "code": "equity"}, "expected accept, reject, add"),
])
def test_a_refusal_comes_back_on_its_card_and_saves_nothing(app_study, page, event, says):
    study, codebook, _, ids = page
    if event.get("code") == "THEME":  # a heading the codebook keeps only to group its codes
        event["code"] = codebook.codes[0].id
        codebook = replace(codebook, codes=(replace(codebook.codes[0], is_codable=False),) + codebook.codes[1:])
    event.setdefault("seg", ids[0])
    before = len(app_study.audit_log())
    session: dict = {}
    ack = send(study, codebook, ids, session, **event)
    assert says in ack["error"] and ack["seg"] == event["seg"]
    assert len(app_study.audit_log()) == before and not app_study.memos()
    assert "decided_here" not in session  # nothing kept on the page as if it had been decided


def test_the_study_refuses_what_the_page_could_not_know(app_study, page):
    study, codebook, segs, ids = page
    app_study.mark_done(segs[0].transcript_id, "alice")  # in another tab, after this page was drawn
    before = len(app_study.audit_log())
    ack = send(study, codebook, ids, {}, action="accept", seg=ids[0], code=codebook.ids()[0])
    assert "marked it done" in ack["error"] and not app_study.applications(source="human")
    assert len(app_study.audit_log()) == before
    with pytest.raises(QualcodeError, match="marked it done"):  # the same refusal, from the same call
        study.decide(ids[0], codebook.ids()[0], "alice")


def test_a_draft_is_kept_in_the_session_not_saved(app_study, page):
    study, codebook, _, ids = page
    session: dict = {}
    send(study, codebook, ids, session, action="draft", seg=ids[2], text="half a thought")
    assert session["memo_drafts"] == {ids[2]: "half a thought"} and not app_study.memos()
    send(study, codebook, ids, session, action="draft", seg=ids[2], text="")
    assert session["memo_drafts"] == {}


def test_page_data_is_what_the_coder_may_see(app_study, page, monkeypatch):
    import streamlit as st

    _, codebook, segs, ids = page
    app_study.assign(["alice", "bob"], 1.0, seed=1)  # every transcript double-coded blind
    app_study.decide(ids[0], "equity", "bob")
    app_study.set_role("sue", "supervisor", actor="owner")
    monkeypatch.setattr(st, "session_state", {})
    alice = {c["id"]: c for c in page_data(app_study.for_user("alice"), "alice", codebook, segs, True, 0.5)["cards"]}
    sue = page_data(app_study.for_user("sue"), "sue", codebook, segs, False, 0.5)
    assert alice[ids[0]]["others"] == [] and not any(c.get("sugg") for c in alice.values())  # only her own codes
    assert {c["id"]: c for c in sue["cards"]}[ids[0]]["others"] == [["bob", ["equity"]]]
    assert all(len(color) == 7 and color[0] == "#" for _, color, _ in sue["codes"].values())
    assert sue["focus"] in ids


def test_undo_says_what_it_undid_as_the_page_shows_it(app_study, page):
    from app.state import code_label

    study, codebook, segs, ids = page
    code = next(c.id for c in codebook if c.is_codable and c.parent is not None)  # shown as "Theme › Code"
    session: dict = {}
    send(study, codebook, ids, session, action="reject", seg=ids[0], code=code)
    ack = send(study, codebook, ids, session, action="undo")
    name = app_study.transcripts()[0].name
    assert ack["message"] == f"Undid: rejected {code_label(codebook, code)} on segment {ids[0]} of {name}"
    assert "›" in ack["message"] and code not in ack["message"]  # the name, never the id


def test_the_cards_draw_no_emoji():
    """Headless Chromium (and many work PCs) have no emoji font: an emoji is drawn as a box,
    and fetching a font is not allowed (tests/app/test_offline_browser.py)."""
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "app" / "components" / "card_page"
    for name in ("cards.js", "cards.css"):
        text = (folder / name).read_text(encoding="utf-8")
        assert [ch for ch in text if ord(ch) >= 0x1F000 or 0x2600 <= ord(ch) < 0x2700] == [], name
