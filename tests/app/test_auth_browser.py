"""Log-in in a real headless Chromium: a wrong password, a right one, a reload that keeps
the session, moving between pages, and a coder who cannot open the Agreement page."""

from __future__ import annotations

import pytest

from tests.app.browser_helpers import chrome, click, find, settle
from tests.app.test_browser import server  # noqa: F401 - the fixture: the example study served

pytestmark = pytest.mark.browser


@pytest.fixture
def browser():
    driver = chrome()
    yield driver
    driver.quit()


def wait_for(driver, css: str, timeout: float = 60, text: str | None = None):  # noqa: ANN001, ANN201
    return find(driver, css, text, timeout=timeout)


def _type(driver, label: str, text: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.keys import Keys

    field = wait_for(driver, f'input[aria-label="{label}"]')[0]
    field.send_keys(Keys.CONTROL, "a")  # clear() does not reach Streamlit's React state
    field.send_keys(Keys.DELETE)
    field.send_keys(text)


def test_log_in_wrong_password_reload_and_no_agreement_for_a_coder(server, browser):  # noqa: F811
    study, url = server
    study.add_user("alice", "alice-password", "coder", actor="owner")
    study.add_user("sue", "sue-password", "supervisor", actor="owner")
    browser.get(f"{url}/?coder=sue")  # the address makes nobody anybody
    wait_for(browser, "button", text="Log in")
    assert wait_for(browser, 'input[aria-label="Password"]')[0].get_attribute("type") == "password"
    _type(browser, "Name", "alice")
    _type(browser, "Password", "not her password")
    click(browser, "button", "Log in")
    wait_for(browser, '[data-testid="stAlert"]', text="wrong name or password")
    _type(browser, "Password", "alice-password")
    click(browser, "button", "Log in")
    wait_for(browser, '[data-testid="stAlert"]', text="You are alice (coder)")
    assert "session=" in browser.current_url and "coder=" not in browser.current_url
    browser.refresh()  # a reload keeps the log-in
    wait_for(browser, '[data-testid="stAlert"]', text="You are alice (coder)")
    settle(browser)
    click(browser, '[data-testid="stSidebarNav"] a', "Agreement")  # to another page and back
    wait_for(browser, '[data-testid="stAlert"]', text="This page is for supervisors")
    assert not [b for b in browser.find_elements("css selector", "button") if b.text == "Assign"]
    browser.refresh()
    wait_for(browser, '[data-testid="stAlert"]', text="This page is for supervisors")
    actions = [a.action for a in study.audit_log() if a.entity == "account"]
    assert actions[:2] == ["login", "login_failed"]
    # a supervisor's log-in opens it
    token = study.start_session("sue")
    browser.get(f"{url}/agreement?session={token}")
    wait_for(browser, "button", text="Assign")  # the supervisor's double-coding form
    assert not browser.find_elements("css selector", 'input[aria-label="Password"]')
