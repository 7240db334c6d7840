"""The card component's memo drafts (app/components/card_page/cards.js), run in headless
Chromium on a bare page (no Streamlit): the component gets its data as Streamlit hands it,
and what it sends is recorded. Every keystroke is kept in the browser's localStorage at
once, so a reload straight after typing loses nothing; the draft goes to the server on
blur as well as after a pause; it comes back when the card is drawn again and is cleared
once the memo is confirmed saved (or found already saved)."""

from __future__ import annotations

import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.app.browser_helpers import chrome, find, have_chromium, until
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


HARNESS = """<!doctype html><meta charset="utf-8"><div id="host"></div>
<script type="module">
import mount from "./cards.js";
window.sent = [];
window.show = (data) => mount({data, parentElement: document.getElementById("host"),
                               setTriggerValue: (name, value) => window.sent.push(value)});
window.ready = true;
</script>"""


def data(memos: list | None = None, acks: list | None = None) -> dict:
    card = {"id": 7, "interviewer": False, "speaker": "P01", "text": "We waited *weeks*.", "when": "", "who": "P01",
            "mine": [], "sugg": [], "spans": [], "others": [], "final": [], "memos": memos or []}
    return {"name": "card_page", "coder": "alice", "study": "s1", "codes": {}, "cards": [card], "drafts": {},
            "focus": 7, "scroll": None, "acks": acks or [], "undo": True}


@pytest.fixture
def page(tmp_path):  # noqa: ANN201 - (driver, url of the harness)
    if not have_chromium():
        pytest.skip("chromium / chromedriver not installed (apt-get install chromium chromium-driver)")
    shutil.copy(ROOT / "app" / "components" / "card_page" / "cards.js", tmp_path / "cards.js")
    (tmp_path / "index.html").write_text(HARNESS, encoding="utf-8")
    handler = functools.partial(Quiet, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    driver = chrome()
    yield driver, f"http://127.0.0.1:{server.server_address[1]}/index.html"
    driver.quit()
    server.shutdown()


def show(driver, url: str | None, value: dict) -> None:  # noqa: ANN001
    if url:
        driver.get(url)
        until(lambda: driver.execute_script("return window.ready === true"), what="the harness")
    driver.execute_script("window.show(arguments[0])", value)


def kept(driver) -> dict:  # noqa: ANN001
    return driver.execute_script("return Object.fromEntries(Object.keys(localStorage).map(k => "
                                 "[k, JSON.parse(localStorage.getItem(k)).text]))")


def sent(driver, action: str) -> list:  # noqa: ANN001
    return [e for e in driver.execute_script("return window.sent") if e["action"] == action]


def test_a_draft_typed_then_reloaded_at_once_comes_back_and_reaches_the_server(page):
    driver, url = page
    show(driver, url, data())
    find(driver, "button.qc-summary", "Memos (0)")[0].click()
    find(driver, "textarea.qc-memo-box")[0].send_keys("not lost")
    assert kept(driver) == {"qualcode-memo-draft:s1:alice:7": "not lost"}  # at the keystroke
    assert sent(driver, "draft") == []  # the server would hear of it only after the pause
    show(driver, url, data())  # reloaded: a new page, the same data from the server (no draft there)
    box = find(driver, "textarea.qc-memo-box")[0]  # opened by itself, with the draft
    assert box.get_attribute("value") == "not lost"
    assert find(driver, "button.qc-summary")[0].text == "Memos (0) · unsaved draft"
    assert [(e["seg"], e["text"]) for e in sent(driver, "draft")] == [(7, "not lost")]  # the server hears of it


def test_blur_sends_the_draft_and_a_confirmed_memo_clears_it(page):
    driver, url = page
    show(driver, url, data())
    find(driver, "button.qc-summary", "Memos (0)")[0].click()
    find(driver, "textarea.qc-memo-box")[0].send_keys("on blur")
    find(driver, ".qc-text")[0].click()  # away from the box: sent now, not after the pause
    assert [e["text"] for e in sent(driver, "draft")] == ["on blur"]
    show(driver, None, data(acks=[{"id": sent(driver, "draft")[0]["id"], "seg": 7, "error": None, "message": ""}]))
    find(driver, "button", "Save memo")[0].click()
    [memo] = sent(driver, "memo")
    assert memo["text"] == "on blur" and kept(driver)  # kept until the server confirms
    show(driver, None, data(memos=[["alice", "2026-12-02 09:00", "on blur"]],
                            acks=[{"id": memo["id"], "seg": 7, "error": None, "message": "Memo saved"}]))
    assert kept(driver) == {}


def test_a_draft_already_saved_as_a_memo_is_not_offered_again(page):
    driver, url = page
    show(driver, url, data())
    find(driver, "button.qc-summary", "Memos (0)")[0].click()
    find(driver, "textarea.qc-memo-box")[0].send_keys("saved, then the page went away")
    show(driver, url, data(memos=[["alice", "2026-12-02 09:00", "saved, then the page went away"]]))
    assert find(driver, "button.qc-summary")[0].text == "Memos (1)"  # closed, no draft: it was saved
    assert kept(driver) == {} and sent(driver, "draft") == []
