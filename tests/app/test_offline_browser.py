"""Nothing from another machine: the app in headless Chromium, every page opened by the
sidebar, and every request the browser made (DevTools Network events: pages, frames,
scripts, styles, fonts, icons, fetches, web sockets) goes to 127.0.0.1, or is data:/blob:.
Also: no "Deploy" in the toolbar (the app runs with ``--client.toolbarMode minimal``), and a
card marks a suggestion with text, not an emoji (drawn as a box without an emoji font).
A screenshot of every page goes to test-output/browser/offline/.
"""

from __future__ import annotations

import pytest

from qualcode.io.codebook import load_codebook
from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from qualcode.pipeline.embed import HashingEmbedder
from qualcode.store import Study
from qualcode.workflow import code_study
from tests.app.browser_helpers import (
    chrome,
    click,
    find,
    is_local,
    need_chromium,
    requested_urls,
    settle,
    start_server,
    stop_server,
)
from tests.conftest import EXAMPLE, ROOT

pytestmark = pytest.mark.browser
SHOTS = ROOT / "test-output" / "browser" / "offline"
PAGES = ("Code", "Codebook", "Agreement", "Themes", "Framework matrix", "Discover", "Retrieve", "Search",
         "Memos", "Manage", "Start")


@pytest.fixture
def served(tmp_path):
    need_chromium()
    study = Study.init(tmp_path / "study", codebook=load_codebook(ROOT / "codebooks" / "gp_commissioning.yaml"))
    files = sorted((EXAMPLE / "transcripts").iterdir())[:2]
    study.import_transcripts([read_transcript(p) for p in files], read_participants(EXAMPLE / "participants.csv"))
    code_study(study, HashingEmbedder(256), floor=0.05)
    proc, url = start_server(study.folder, {"QUALCODE_CACHE_DIR": str(tmp_path / "cache")})
    driver = chrome(network_log=True)
    yield driver, url
    driver.quit()
    stop_server(proc)
    study.close()


def test_is_local_tells_this_computer_from_others():
    assert all(map(is_local, ["http://127.0.0.1:8501/static/js/main.js", "ws://127.0.0.1:8501/_stcore/stream",
                              "http://localhost:8501/", "data:font/woff2;base64,AAAA", "blob:http://127.0.0.1/x"]))
    assert not any(map(is_local, ["https://fonts.gstatic.com/s/x.woff2", "http://127.0.0.1.evil.com/",
                                  "https://localhost.example.org/", "ftp://127.0.0.1/", "//cdn.example.com/x.js"]))


def test_every_page_loads_nothing_from_another_machine_and_shows_no_deploy(served):
    driver, url = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.get(url + "/")
    settle(driver)
    click(driver, '[data-testid="stTextInput"] input')
    find(driver, '[data-testid="stTextInput"] input')[0].send_keys("alice")
    click(driver, "button", "Start coding")
    find(driver, '[data-testid="stAlert"]', "You are alice")
    settle(driver)
    seen = requested_urls(driver)
    for title in PAGES:
        click(driver, '[data-testid="stSidebarNavLink"]', title, exact=True)
        find(driver, "h1", title.split()[0] if title != "Start" else "qualcode")
        settle(driver)
        if title == "Code":  # the suggestion's mark is text, drawn without an emoji font
            marks = find(driver, ".qc-sugg-mark")
            assert {m.text for m in marks} == {"SUGGESTED:"}  # (upper case by its style)
            cards = " ".join(c.text for c in find(driver, ".qc-card"))
            assert not [ch for ch in cards if ord(ch) >= 0x1F000], "an emoji on a card"
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", marks[0])
        driver.save_screenshot(str(SHOTS / f"{title.lower().replace(' ', '-')}.png"))
        seen += requested_urls(driver)
        assert "Deploy" not in driver.find_element("tag name", "body").text, title
    assert any(u.startswith(url + "/static/") for u in seen)  # the log holds the page's own requests …
    assert any(u.startswith("ws://127.0.0.1") for u in seen)  # … and its web socket
    assert [u for u in seen if not is_local(u)] == []  # no font, icon, script or image from another machine
    toolbar = driver.find_elements("css selector", '[data-testid="stToolbar"]')
    assert not toolbar or "Deploy" not in toolbar[0].get_attribute("innerText")
