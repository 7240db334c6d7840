"""The app with accounts (AppTest): log-in, wrong password, sessions in the address,
no identity from ``?coder=``, roles on the Agreement page, blinding on Themes and its
downloads, and HTML escaping of hostile text on every page."""

from __future__ import annotations

import io
import json
import re

import pytest

from qualcode.io.transcripts import read_transcript
from qualcode.records import Code, Suggestion
from tests.app.conftest import button, cards, click_card, hits, open_app
from tests.conftest import ROOT, write

PAGES = ("start", "code", "codebook", "agreement", "themes")


pytestmark = pytest.mark.usefixtures("cheap_hashes")  # accounts made at the smallest Argon2 cost


@pytest.fixture
def team(app_study):
    for name, role in (("alice", "coder"), ("bob", "coder"), ("sue", "supervisor")):
        app_study.add_user(name, f"{name}-password", role, actor="owner")
    return app_study


def log_in(at, name: str, password: str):  # noqa: ANN001, ANN201
    at.text_input(key="login-name").set_value(name)
    at.text_input(key="login-password").set_value(password)
    button(at, label="Log in").click().run()
    return at


def param(at, key: str) -> str | None:  # noqa: ANN001
    value = at.query_params.get(key)
    return value[0] if isinstance(value, list) else value


def test_log_in_wrong_password_and_a_session_that_survives_a_reload(team):
    at = open_app()
    assert at.text_input(key="login-password").proto.type == 1  # a password field (no echo)
    assert not at.metric  # nothing about the study before logging in
    log_in(at, "alice", "wrong")
    assert "wrong name or password" in at.error[0].value
    assert not param(at, "session")
    log_in(at, "alice", "alice-password")
    token = param(at, "session")
    assert token and team.session_user(token) == ("alice", "coder")
    assert "You are **alice** (coder)" in at.success[0].value
    again = _with_params(session=token)  # a reload: the address keeps the token
    assert "You are **alice** (coder)" in again.success[0].value
    assert [a.action for a in team.audit_log() if a.entity == "account"][:2] == ["login", "login_failed"]


def _with_params(page: str | None = None, **params: str):
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import APP

    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page and page != "start":
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", PAGES)
def test_the_address_does_not_make_anyone_somebody(team, page):
    at = _with_params(page, coder="sue")  # impersonation through ?coder= with accounts
    assert at.text_input(key="login-password")
    assert not at.success and not at.dataframe and not at.get("download_button")
    forged = _with_params(session="not-a-real-token")
    assert "Your log-in has ended" in forged.warning[0].value and forged.text_input(key="login-password")
    assert not param(forged, "session")


def test_a_coder_cannot_open_the_agreement_page_a_supervisor_can(team):
    alice = _with_params("agreement", session=team.start_session("alice"))
    assert "for supervisors" in alice.info[0].value
    assert not [b for b in alice.button if b.key == "compute"]
    sue = _with_params("agreement", session=team.start_session("sue"))
    assert [b for b in sue.button if b.key == "compute"]


def test_logging_out_ends_the_session(team):
    token = team.start_session("bob")
    at = _with_params(session=token)
    button(at, key="logout").click().run()
    assert team.session_user(token) is None


def _blind_setup(study):  # noqa: ANN001, ANN202
    [name] = study.assign(["alice", "bob"], 0.5, seed=1, actor="sue")
    tid = study.transcript_id(name)
    seg = study.segments(transcript_id=tid, codeable_only=True)[0]
    study.decide(seg.id, "equity", "bob")
    study.add_memo("bob", "BOBS-SECRET-MEMO", segment_id=seg.id)
    return seg


@pytest.mark.parametrize("viewer", ["alice", "carol"])
def test_themes_page_and_its_downloads_respect_blinding(app_study, viewer):
    """Without accounts too: alice is in the sample, carol is not; neither sees bob's code."""
    from qualcode.cli.study_commands import segment_rows
    from qualcode.reports.paper_formats import framework_workbook
    from qualcode.reports.theme_report import write_markdown_report
    from qualcode.workflow import refi_project

    seg = _blind_setup(app_study)
    text = " ".join(seg.text.split())
    at = open_app("themes", viewer)
    assert not any(text[:60] in m.value for m in at.markdown)  # no quote counted from bob's blind code
    user = app_study.for_user(viewer)  # what the page passes to every download
    report = io.StringIO()
    write_markdown_report(user, report, source="human")
    assert text[:60] not in report.getvalue()
    rows = {r["id"]: r for r in segment_rows(user, None, True, viewer)}
    assert rows[seg.id]["codes"] == [] and rows[seg.id]["suggestions"] == []
    sheet = framework_workbook(user, source="human")["Coded segments"]
    column = [c.value for c in sheet[1]].index("segment")
    segment_ids = [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert seg.id not in segment_ids
    assert seg.id in [row[column] for row in framework_workbook(app_study, source="human")["Coded segments"]
                      .iter_rows(min_row=2, values_only=True)]  # the owner's full view has it
    project = refi_project(user)
    assert "BOBS-SECRET-MEMO" not in repr(project)
    assert "BOBS-SECRET-MEMO" in repr(refi_project(app_study))  # the owner's full view has it


HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>"]


@pytest.fixture
def hostile(app_study, tmp_path):
    body = (f"Interviewer: {HOSTILE[0]} and {HOSTILE[1]}?\n\n"
            f"P01: I said {HOSTILE[0]} then {HOSTILE[1]} to the practice manager.\n")
    app_study.import_transcripts([read_transcript(write(tmp_path / "zz_hostile.txt", body))])
    app_study.add_code(Code(id="evil", name=f"Evil {HOSTILE[0]}{HOSTILE[1]}",
                            definition=f"A code {HOSTILE[1]}"), actor="owner")
    tid = app_study.transcript_id("zz_hostile")
    segs = app_study.segments(transcript_id=tid)
    app_study.replace_suggestions([Suggestion(s.id, "evil", 0.99, f"because {HOSTILE[0]}{HOSTILE[1]}")
                                   for s in segs], [s.id for s in segs], "hash")
    app_study.add_memo("sue", f"memo {HOSTILE[0]}{HOSTILE[1]}", segment_id=segs[-1].id)
    app_study.set_role("sue", "admin", actor="owner")
    return app_study


def unescaped(markdown: str) -> str:
    """What a Markdown message says: the app backslash-escapes every punctuation mark."""
    return re.sub(r"\\(.)", r"\1", markdown)


EVERY_PAGE = (*PAGES, "framework", "discover", "retrieve", "search", "memos", "manage")


@pytest.mark.parametrize("page", EVERY_PAGE)
def test_hostile_text_never_reaches_raw_html(hostile, page):
    at = open_app(page, "sue")
    if page == "code":
        at.selectbox(key="transcript").set_value("zz_hostile").run()
    if page == "retrieve":  # the hostile code's machine suggestions, with their reasons
        at.selectbox(key="r_code").set_value("evil").run()
        at.selectbox(key="r_source").set_value("machine").run()
    if page == "search":
        at.text_input(key="s_text").set_value("practice manager")
        button(at, label="Search").click().run()
    assert not at.exception, at.exception
    shown = " ".join([m.value for m in at.markdown] + [t.value for t in at.text] + [c.value for c in at.caption])
    if page == "code":  # the page of cards is one component: its data, put on the page as text only
        data = cards(at)
        shown = json.dumps(data)
    if page == "search":  # the hits are one component too (app/components/hit_list): data, put as text
        found = hits(at)["hits"]
        shown = json.dumps(found)
        assert any(h["before"].endswith(f"then {HOSTILE[1]} to the ") for h in found)  # as typed
        source = (ROOT / "app" / "components" / "hit_list" / "hits.js").read_text()
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", source)
    if page in ("code", "retrieve", "search", "memos"):  # the hostile text is on the page …
        assert "script" in shown and "onerror" in shown, page
    raw = [m.value for m in at.markdown if m.proto.allow_html]
    for value in raw:
        assert not re.search(r"<\s*(script|img)", value, re.I), value
    if page == "code":  # every text as typed in the data, drawn by cards.js with textContent only
        texts = [c["text"] for c in data["cards"]]
        assert f"{HOSTILE[0]} and {HOSTILE[1]}?" in texts  # the interviewer's turn
        assert f"I said {HOSTILE[0]} then {HOSTILE[1]} to the practice manager." in texts
        assert any(s[2] == f"because {HOSTILE[0]}{HOSTILE[1]}" for c in data["cards"] for s in c.get("sugg", []))
        assert data["codes"]["evil"][0] == f"Evil {HOSTILE[0]}{HOSTILE[1]}"
        source = (ROOT / "app" / "components" / "card_page" / "cards.js").read_text()
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", source)
    if page == "themes":
        assert any("Evil &lt;script&gt;" in v for v in raw)  # the code name heading


def test_a_coder_cannot_change_the_codebook_an_admin_can(app_study):
    before = len(app_study.codebook_versions())
    at = open_app("codebook", "alice")  # no form that could only fail: the role needed, and how to get it
    assert [t.label for t in at.tabs] == ["Browse", "Versions"] and not at.button
    assert "you need an admin role; alice is a coder" in unescaped(at.info[0].value)
    assert len(app_study.codebook_versions()) == before
    app_study.set_role("alice", "admin", actor="owner")
    at = open_app("codebook", "alice")
    assert [t.label for t in at.tabs] == ["Browse", "Edit", "Add", "Merge", "Split", "Versions"] and not at.info


def test_done_locks_the_code_page_until_reopened(app_study):
    at = open_app("code", "alice")
    button(at, label="Mark this transcript done").click().run()
    seg, code = next((c["id"], c["sugg"][0][0]) for c in cards(at)["cards"] if c.get("sugg"))
    ack = click_card(at, app_study, "alice", action="accept", seg=seg, code=code)
    assert "marked it done, so their coding on it is locked" in ack["error"]  # shown on the card
    assert cards(at)["acks"][-1]["error"] == ack["error"]
    assert not app_study.applications(source="human", coder="alice")
    tid = app_study.transcript_id(at.selectbox(key="transcript").value)
    app_study.reopen(tid, "alice", "sue")
    again = open_app("code", "alice")
    assert click_card(again, app_study, "alice", action="accept", seg=seg, code=code)["error"] is None
    assert app_study.applications(source="human", coder="alice")
