"""The app in a real headless Chromium (Debian's chromium + chromium-driver, Selenium), used
as a person uses it: after opening the first page, only clicks and typing.

Choose who you are, go to Code by the sidebar, select words and code exactly that span,
accept a suggestion, undo it with the keyboard, write a memo, switch transcript and back
(the draft is kept), save it, type a draft and reload at once (kept), accept from *Review next* with its key, reload and find everything saved, and a second browser as
another coder at the same time. A screenshot of every step goes to test-output/browser/.
Nothing may be fetched from another machine. Skipped only where Chromium is not installed
and this is not CI (`.ci/run` installs it).
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
    choose,
    chrome,
    click,
    find,
    foreign_requests,
    need_chromium,
    settle,
    start_server,
    stop_server,
    until,
)
from tests.conftest import EXAMPLE, ROOT

pytestmark = pytest.mark.browser
SHOTS = ROOT / "test-output" / "browser"


@pytest.fixture
def server(tmp_path):
    need_chromium()
    study = Study.init(tmp_path / "study", codebook=load_codebook(ROOT / "codebooks" / "gp_commissioning.yaml"))
    files = sorted((EXAMPLE / "transcripts").iterdir())
    study.import_transcripts([read_transcript(p) for p in files], read_participants(EXAMPLE / "participants.csv"))
    code_study(study, HashingEmbedder(256), floor=0.05)
    proc, url = start_server(study.folder, {"QUALCODE_CACHE_DIR": str(tmp_path / "cache")})
    yield study, url
    stop_server(proc)
    study.close()


@pytest.fixture
def browsers():
    opened = []

    def make():  # noqa: ANN202
        opened.append(chrome())
        return opened[-1]

    yield make
    for driver in opened:
        driver.quit()


def shot(driver, name: str) -> None:  # noqa: ANN001
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def become(driver, url: str, name: str) -> None:  # noqa: ANN001
    """Open the first page, type a new coder's name, start, and go to Code by the sidebar."""
    driver.get(url + "/")
    settle(driver)
    click(driver, '[data-testid="stTextInput"] input')
    find(driver, '[data-testid="stTextInput"] input')[0].send_keys(name)
    click(driver, "button", "Start coding")
    find(driver, '[data-testid="stAlert"]', f"You are {name}")
    settle(driver)
    click(driver, '[data-testid="stSidebarNavLink"]', "Code", exact=True)
    find(driver, "h1", "Code")
    settle(driver)


def drag_select(driver, words: str) -> int:  # noqa: ANN001
    """Select ``words`` in the span component with the mouse; their offset in the stored text."""
    from selenium.webdriver.common.action_chains import ActionChains

    frame = find(driver, 'iframe[title="app.components.span_select.span_select"]')[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", frame)
    driver.switch_to.frame(frame)
    try:
        find(driver, "[data-s]")
        el = driver.execute_script("""
            return [...document.querySelectorAll('[data-s]')].find(e => e.textContent.includes(arguments[0]));""",
                                   words)
        dx0, dx1, dy, offset = driver.execute_script("""
            const [el, word] = arguments, i = el.textContent.indexOf(word), r = document.createRange();
            r.setStart(el.firstChild, i); r.setEnd(el.firstChild, i + word.length);
            const b = r.getClientRects()[0], box = el.getClientRects()[0];  // WebDriver's centre: the first box
            const cx = box.left + box.width / 2, cy = box.top + box.height / 2;
            return [b.left + 1 - cx, b.right - 1 - cx, (b.top + b.bottom) / 2 - cy, Number(el.dataset.s) + i];""",
                                                     el, words)
        ActionChains(driver).move_to_element_with_offset(el, int(dx0), int(dy)).click_and_hold() \
            .move_to_element_with_offset(el, int(dx1), int(dy)).release().perform()
        assert driver.execute_script("return window.getSelection().toString()") == words
        return offset
    finally:
        driver.switch_to.default_content()


def test_a_coder_lives_in_the_app_by_clicking_and_typing(server, browsers):
    study, url = server
    first, second = [t.name for t in study.transcripts()][:2]
    alice = browsers()
    become(alice, url, "alice")
    assert "coder=alice" in alice.current_url  # a reload keeps who you are
    assert not alice.find_elements("css selector", '[data-testid="stAlert"]')  # not "choose who you are"
    shot(alice, "01-code-by-the-sidebar")

    # code a selected span
    click(alice, "button", "Select text", exact=True)
    settle(alice)
    offset = drag_select(alice, "Mill Lane")
    find(alice, '[data-testid="stMarkdownContainer"]', "Selected (characters")
    settle(alice)
    choose(alice, "Code for the selection", "Continuity")
    settle(alice)
    click(alice, "button", "Code the selection")
    [span] = until(lambda: study.span_codings(coder="alice"), what="the span coding saved")
    plain = study.plain_text(span.transcript_id)
    assert (span.start, span.end, span.text) == (offset, offset + 9, "Mill Lane") == \
        (span.start, span.end, plain[span.start:span.end])
    assert span.code_id == "continuity_knowledge"
    find(alice, "summary", "Span codings on this page (1)")
    settle(alice)
    shot(alice, "02-span-coded")

    # accept a suggestion, then undo it with the keyboard
    click(alice, "button", "Segments", exact=True)
    settle(alice)
    click(alice, "button", "Accept", exact=True)
    [decision] = until(lambda: study.applications(source="human", coder="alice"), what="the accept saved")
    assert decision.present
    find(alice, "button", "Remove")
    settle(alice)
    shot(alice, "03-accepted")
    from selenium.webdriver.common.action_chains import ActionChains

    click(alice, '[data-testid="stCaptionContainer"]', "site A")  # focus the page, not a text box
    ActionChains(alice).send_keys("u").perform()
    until(lambda: not study.applications(source="human", coder="alice"), what="the undo")
    find(alice, ".qc-bar-status", "Undid")  # the server's confirmation, shown in the page
    ActionChains(alice).send_keys("n").send_keys("x").perform()  # the next segment's top suggestion, rejected
    [rejected] = until(lambda: study.applications(source="human", coder="alice"), what="the key X saved")
    assert not rejected.present and rejected.segment_id != decision.segment_id
    find(alice, f'.qc-card[data-seg="{rejected.segment_id}"] .qc-caption', "You rejected:")
    ActionChains(alice).send_keys("u").perform()
    until(lambda: not study.applications(source="human", coder="alice"), what="the second undo")
    settle(alice)
    assert [e.action for e in study.audit_log() if e.actor == "alice"].count("undo") == 2  # one key, one event
    settle(alice)
    shot(alice, "04-undone")

    # a memo draft survives a switch of transcript; then it is saved
    click(alice, "button.qc-summary", "Memos (0)")  # the cards are one component: plain HTML buttons
    box = find(alice, "textarea.qc-memo-box")[0]
    box.click()
    box.send_keys("Mill Lane: the practice as a place")
    choose(alice, "Transcript", second)
    settle(alice)
    shot(alice, "05-other-transcript")
    choose(alice, "Transcript", first)
    settle(alice)
    box = until(lambda: [t for t in find(alice, "textarea.qc-memo-box")
                         if t.get_attribute("value") == "Mill Lane: the practice as a place"], what="the draft back")[0]
    shot(alice, "06-draft-kept")
    click(alice, "button", "Save memo")
    [memo] = until(lambda: [m for m in study.memos() if m.coder == "alice"], what="the memo saved")
    assert memo.text == "Mill Lane: the practice as a place" and memo.segment_id is not None

    # a draft survives a reload straight after typing (before the server has heard of it)
    memos = find(alice, "button.qc-summary", "Memos (0)")[0]
    seg = int(alice.execute_script("return arguments[0].closest('[data-seg]').dataset.seg", memos))
    click(alice, f'.qc-card[data-seg="{seg}"] button.qc-summary')
    click(alice, f'.qc-card[data-seg="{seg}"] textarea.qc-memo-box')
    find(alice, f'.qc-card[data-seg="{seg}"] textarea.qc-memo-box')[0].send_keys("typed, then at once reloaded")
    alice.refresh()
    find(alice, "h1", "Code")
    box = until(lambda: [t for t in find(alice, f'.qc-card[data-seg="{seg}"] textarea.qc-memo-box')
                         if t.get_attribute("value") == "typed, then at once reloaded"], what="the draft after reload")[0]
    settle(alice)
    shot(alice, "06a-draft-after-reload")
    click(alice, f'.qc-card[data-seg="{seg}"] button', "Save memo")
    until(lambda: [m for m in study.memos(segment_id=seg) if m.text == "typed, then at once reloaded"],
          what="the restored draft saved")
    until(lambda: not alice.execute_script("return Object.keys(localStorage).filter(k => k.includes(':alice:'))"),
          what="the browser's copy cleared once saved")

    # Review next: the same cards, and the same keys, which go to the tab shown
    click(alice, '[role="tab"]', "Review next")
    click(alice, "button", "Find segments to review")
    picks = [int(e.get_attribute("data-seg")) for e in find(alice, '.qc-page[data-name="review_cards"] .qc-card')]
    click(alice, '.qc-page[data-name="review_cards"] .qc-note', "from ")  # focus the page, not a text box
    ActionChains(alice).send_keys("a").perform()  # the first pick's top suggestion, accepted
    [taken] = until(lambda: [a for a in study.applications(source="human", coder="alice") if a.present],
                    what="the key A saved from Review next")
    assert taken.segment_id == picks[0]
    find(alice, f'.qc-page[data-name="review_cards"] .qc-card[data-seg="{picks[0]}"] [data-act="remove"]')
    settle(alice)
    shot(alice, "06b-review-next")
    ActionChains(alice).send_keys("u").perform()
    until(lambda: not study.applications(source="human", coder="alice"), what="the undo from Review next")
    click(alice, '[role="tab"]', "Transcript")
    settle(alice)

    # a second browser, another coder, at the same time
    bob = browsers()
    become(bob, url, "bob")
    click(bob, "button", "Accept", exact=True)
    click(alice, "button", "Accept", exact=True)
    until(lambda: {a.coder for a in study.applications(source="human") if a.present} == {"alice", "bob"},
          what="both coders' decisions saved")
    settle(bob)
    shot(bob, "07-bob-at-the-same-time")

    # search every transcript and code all hits (one action); then Retrieve and follow a hit
    click(alice, '[data-testid="stSidebarNavLink"]', "Search", exact=True)
    find(alice, "h1", "Search")
    settle(alice)
    box = find(alice, 'input[aria-label="Words or phrase"]')[0]
    box.click()
    box.send_keys("Mill Lane")
    click(alice, '[data-testid="stFormSubmitButton"] button', "Search")
    settle(alice)
    hits = [h for h in study.search_text("Mill Lane") if h.codeable]
    choose(alice, "Code all hits with", "Variation and patchy quality")
    settle(alice)
    click(alice, "button", "Code all")
    coded = until(lambda: [x for x in study.span_codings(coder="alice") if x.code_id == "variation_quality"],
                  what="every hit coded")
    assert sorted((x.start, x.end) for x in coded) == sorted((h.start, h.end) for h in hits)
    assert all(x.text == "Mill Lane" for x in coded)
    settle(alice)
    shown = study.search_text("Mill Lane")[:25]  # the first page, interviewer turns too
    marked = [m.text for m in find(alice, ".qh-hit mark")]  # the hits: one component, each hit marked
    assert marked == ["Mill Lane"] * len(shown)
    shot(alice, "08-search-code-all-hits")
    last = shown[-1]  # follow the last hit shown with its Open button, by the keyboard
    open_button = find(alice, f'.qh-hit[data-hit="{len(shown) - 1}"] button.qh-open', "Open")[0]
    alice.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();", open_button)
    open_button.send_keys("\ue007")  # Enter (selenium's Keys.ENTER)
    find(alice, "h1", "Code")
    find(alice, 'iframe[title="app.components.span_select.span_select"]')  # the span view, the hit outlined
    settle(alice)
    shot(alice, "08a-search-hit-followed")
    boxes = alice.execute_script("return [...document.querySelectorAll('[data-testid=stSelectbox]')].map(b => "
                                 "b.innerText + ' | ' + [...b.querySelectorAll('input')].map(i => i.value).join(' '))")
    assert any(b.startswith("Transcript") and last.transcript in b for b in boxes), boxes  # the hit's transcript
    click(alice, '[data-testid="stSidebarNavLink"]', "Retrieve", exact=True)
    find(alice, "h1", "Retrieve")
    settle(alice)
    choose(alice, "Code", "Variation and patchy quality")
    settle(alice)
    find(alice, '[data-testid="stText"]', "Mill Lane")  # each hit shown as plain text
    shot(alice, "09-retrieve")
    click(alice, "button", "Open", exact=True)
    find(alice, "h1", "Code")
    settle(alice)
    shot(alice, "10-followed-to-the-transcript")
    choose(alice, "Transcript", first)  # back where she coded before the reload
    settle(alice)

    # reload: everything is still there, and alice is still alice
    alice.refresh()
    find(alice, "h1", "Code")
    settle(alice)
    find(alice, "button", "Remove")  # her accepted code
    find(alice, "button.qc-summary", "Memos (1)")
    click(alice, "button", "Select text", exact=True)
    mine = len(study.span_codings(coder="alice", transcript_id=study.transcript_id(first)))
    assert mine == 2  # "Mill Lane" by hand, and again by Code all hits (another code)
    find(alice, "summary", f"Span codings on this page ({mine})")
    settle(alice)
    shot(alice, "11-after-reload")
    assert "coder=alice" in alice.current_url
    for driver in (alice, bob):
        assert foreign_requests(driver, url) == []  # no font, icon or script from another machine
