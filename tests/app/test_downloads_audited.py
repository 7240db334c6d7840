"""Every download the app offers (Themes, Framework, Agreement) is recorded in the audit log
when it is clicked: who, which file, anonymised, and nothing else is written."""

from __future__ import annotations

import pytest

from tests.app.conftest import button
from tests.app.test_auth_pages import _with_params

PAGES = {"themes": "dl-", "framework": "fw-", "agreement": "agreement-"}


pytestmark = pytest.mark.usefixtures("cheap_hashes")  # accounts made at the smallest Argon2 cost


@pytest.fixture
def team(app_study):
    app_study.add_user("alice", "alice-password", "coder", actor="owner")
    app_study.add_user("bob", "bob-password", "coder", actor="owner")
    app_study.add_user("sue", "sue-password", "supervisor", actor="owner")
    tid = app_study.transcripts()[0].id
    for i, seg in enumerate(app_study.segments(transcript_id=tid, codeable_only=True)[:6]):
        app_study.decide(seg.id, "equity", "alice", present=i % 2 == 0)
        app_study.decide(seg.id, "equity", "bob", present=i % 3 == 0)
    return app_study


def exports(study) -> list[tuple[str, str, str]]:  # noqa: ANN001
    return [(a.actor, a.entity_id, a.after["target"]) for a in study.audit_log()
            if a.action == "export"]


@pytest.mark.parametrize("page", PAGES)
def test_each_download_is_recorded_with_who_and_which_file(team, page):
    at = _with_params(page, session=team.start_session("sue"))
    if page == "agreement":
        button(at, key="compute").click().run()
    keys = [d.key for d in at.get("download_button") if d.key and d.key.startswith(PAGES[page])]
    assert len(keys) >= {"themes": 8, "framework": 2, "agreement": 1}[page]
    before = exports(team)
    for key in keys:  # each from the page as redrawn, like a person clicking one after another
        next(d for d in at.get("download_button") if d.key == key).click().run()
        assert not at.exception, at.exception
    added = exports(team)[: len(exports(team)) - len(before)]
    assert len(added) == len(keys)  # one audit row per click
    assert {actor for actor, _, _ in added} == {"sue"}
    assert all(what.startswith("app ") and target for _, what, target in added)
    assert len({target for _, _, target in added}) == len(keys)  # each row names its file
    assert not [a for a in team.audit_log() if a.action == "export_identifiable"]
