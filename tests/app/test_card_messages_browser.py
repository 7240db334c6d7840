"""In a real headless Chromium: a card's confirmation goes when what it confirmed is undone,
and the page's "✓ Undid …" does not follow the coder onto another transcript (both are drawn
by cards.js only, so only a browser shows them)."""

from __future__ import annotations

import pytest

from tests.app.browser_helpers import choose, click, find, settle, until
from tests.app.test_browser import become, browsers, server  # noqa: F401 - the fixtures

pytestmark = pytest.mark.browser


def text_of(driver, css: str) -> str:  # noqa: ANN001
    return driver.execute_script("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", css)


def test_confirmations_go_when_undone_or_left(server, browsers):  # noqa: F811
    from selenium.webdriver.common.action_chains import ActionChains

    study, url = server
    second = [t.name for t in study.transcripts()][1]
    alice = browsers()
    become(alice, url, "alice")
    click(alice, "button", "Reject", exact=True)
    [rejected] = until(lambda: study.applications(source="human", coder="alice"), what="the reject saved")
    status = f'.qc-card[data-seg="{rejected.segment_id}"] .qc-status'
    find(alice, status, "Rejected")
    settle(alice)
    click(alice, '[data-testid="stCaptionContainer"]', "site A")  # focus the page, not a text box
    ActionChains(alice).send_keys("u").perform()
    until(lambda: not study.applications(source="human", coder="alice"), what="the undo")
    find(alice, ".qc-bar-status", "Undid")
    until(lambda: text_of(alice, status) == "", what="the card's '✓ Rejected' gone after the undo")
    settle(alice)
    choose(alice, "Transcript", second)
    settle(alice)
    until(lambda: text_of(alice, ".qc-bar-status") == "", what="'✓ Undid …' gone on another transcript")


def test_reject_stays_beside_accept_under_a_long_why(server, browsers):  # noqa: F811
    study, url = server
    alice = browsers()
    alice.set_window_size(900, 1000)  # a narrow window: the why fills the line
    become(alice, url, "alice")
    find(alice, ".qc-sugg .qc-why")
    rows = alice.execute_script("""return [...document.querySelectorAll('.qc-sugg')].map(r => {
        const [a, x] = [...r.querySelectorAll(':scope > .qc-btn')].map(b => b.getBoundingClientRect().top);
        const why = r.querySelector('.qc-why'), text = r.querySelector('.qc-sugg-text').getBoundingClientRect();
        return [a, x, text.bottom, why ? why.textContent.length : 0]; });""")
    assert rows and max(w for *_, w in rows) > 100  # long whys among them
    assert [r for r in rows if not (r[0] == r[1] < r[2])] == []  # both buttons beside the text, on one line
