"""Memos page through AppTest: every kind listed with its place, filters, add, edit with the
stale-edit refusal, delete, open its place, verbatim text, drafts kept across pages."""

from __future__ import annotations

from tests.app.conftest import button, open_app


def test_memos_page_lists_filters_edits_and_opens(app_study):
    seg = app_study.segments(codeable_only=True)[0]
    code = app_study.codebook().leaves()[0].id
    on_seg = app_study.add_memo("alice", "*sigh* <inaudible> ~~x~~", segment_id=seg.id)
    app_study.add_memo("bob", "about the code", code_id=code)
    at = open_app("memos", "alice")
    assert not at.exception
    assert [t.value for t in at.text] == ["about the code", "*sigh* <inaudible> ~~x~~"]  # newest first, verbatim
    at.selectbox(key="m_f_coder").set_value("alice").run()
    assert [t.value for t in at.text] == ["*sigh* <inaudible> ~~x~~"]
    at.selectbox(key="m_f_coder").set_value(None).run()
    at.multiselect(key="m_f_kind").set_value(["code"]).run()
    assert [t.value for t in at.text] == ["about the code"]
    at.multiselect(key="m_f_kind").set_value([]).run()
    at.text_input(key="m_f_text").input("SIGH").run()
    assert [t.value for t in at.text] == ["*sigh* <inaudible> ~~x~~"]
    # edit: someone else saved first -> refused with who and when, nothing overwritten
    at.text_area(key=f"m_edit-{on_seg}").input("my edit")
    app_study.update_memo(on_seg, "bob got there first", "bob")
    button(at, key=f"m_save-{on_seg}").click().run()
    assert "changed by bob at" in at.error[0].value and "since you opened it" in at.error[0].value
    assert app_study.memos(segment_id=seg.id)[0].text == "bob got there first"
    at.text_input(key="m_f_text").input("").run()
    button(at, key=f"m_open-{on_seg}").click().run()
    assert at.title[0].value.startswith("Code") and "goto" not in at.session_state


def test_memos_page_adds_project_memo_and_keeps_a_draft(app_study):
    at = open_app("memos", "alice")
    at.text_area(key="m_new").input("a draft not saved yet").run()
    at.switch_page("views/start.py").run()
    at.switch_page("views/memos.py").run()
    assert at.text_area(key="m_new").value == "a draft not saved yet"
    button(at, key="m_add").click().run()
    [memo] = app_study.memos()
    assert (memo.kind, memo.text, memo.coder) == ("project", "a draft not saved yet", "alice")
    assert at.text_area(key="m_new").value == ""  # saved: the box is empty, a second click adds nothing
    button(at, key=f"m_del-{memo.id}").click().run()
    assert len(app_study.memos()) == 1  # Delete asks first
    assert any("Delete this memo" in w.value for w in at.warning)
    button(at, key=f"m_keep-{memo.id}").click().run()
    assert len(app_study.memos()) == 1 and not at.warning
    button(at, key=f"m_del-{memo.id}").click().run()
    button(at, key=f"m_yes-{memo.id}").click().run()
    assert app_study.memos() == []


def test_a_memo_place_is_cut_between_words():
    from app.state import excerpt

    text = "The practice manager said that the new booking system takes you away from the patient entirely."
    short = excerpt(text, 60)
    assert short.endswith("…") and text.startswith(short[:-1]) and len(short) <= 61
    assert text[len(short) - 1] == " "  # cut at a space, not inside a word
    assert excerpt("Short\nand sweet.", 60) == "Short and sweet."
