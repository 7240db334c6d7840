"""The app in a real headless Chromium (Debian's chromium + chromium-driver, Selenium).

Starts `streamlit run` on the example study, codes a segment, reloads, finds it saved,
and saves a screenshot of every page under test-output/screenshots/. Skipped only where
Chromium is not installed and this is not CI (`.ci/run` installs it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from qualcode.io.codebook import load_codebook
from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from qualcode.pipeline.embed import HashingEmbedder
from qualcode.store import Study
from qualcode.workflow import code_study
from tests.conftest import EXAMPLE, ROOT

pytestmark = pytest.mark.browser
SHOTS = ROOT / "test-output" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium and chromium-driver (see .ci/run)")
        pytest.skip("chromium / chromedriver not installed (apt-get install chromium chromium-driver)")
    study = Study.init(tmp_path / "study", codebook=load_codebook(ROOT / "codebooks" / "gp_commissioning.yaml"))
    files = sorted((EXAMPLE / "transcripts").iterdir())
    study.import_transcripts([read_transcript(p) for p in files], read_participants(EXAMPLE / "participants.csv"))
    code_study(study, HashingEmbedder(256), floor=0.05)
    port = _free_port()
    env = dict(os.environ, QUALCODE_STUDY=str(study.folder), QUALCODE_MODEL="hash:256",
               QUALCODE_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "streamlit_app.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--browser.gatherUsageStats", "false"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.3)
    yield study, f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)
    study.close()


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    yield driver
    driver.quit()


def wait_for(driver, css: str, timeout: float = 40, text: str | None = None):  # noqa: ANN001, ANN201
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:  # Streamlit may redraw an element between finding it and reading it: look again
            found = [e for e in driver.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]
            if text is not None:
                found = [e for e in found if text in e.text]
        except StaleElementReferenceException:
            found = []
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"nothing matched {css!r} {text or ''} within {timeout}s")


def click(driver, css: str, text: str, timeout: float = 30) -> None:  # noqa: ANN001
    """Click the first visible match, finding it again if Streamlit redrew it meanwhile."""
    from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException

    deadline = time.time() + timeout
    while True:
        try:
            element = wait_for(driver, css, text=text)[0]
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
            element.click()
            return
        except (StaleElementReferenceException, ElementClickInterceptedException):
            if time.time() > deadline:
                raise
            time.sleep(0.5)


def settle(driver) -> None:  # noqa: ANN001
    """Wait until the app has finished running its script (no 'running' indicator)."""
    from selenium.webdriver.common.by import By

    wait_for(driver, '[data-testid="stApp"]')
    deadline = time.time() + 30
    while time.time() < deadline:
        if not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'):
            time.sleep(0.5)
            if not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'):
                return
        time.sleep(0.3)


def test_code_a_segment_reload_and_screenshot_every_page(server, browser):
    study, url = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.get(f"{url}/?coder=alice")
    wait_for(browser, "h1", text="qualcode")
    settle(browser)
    browser.save_screenshot(str(SHOTS / "1-start.png"))
    browser.get(f"{url}/code?coder=alice")
    wait_for(browser, "button", text="Accept")
    settle(browser)
    browser.save_screenshot(str(SHOTS / "2-code.png"))
    click(browser, "button", "Accept")
    deadline = time.time() + 30
    while time.time() < deadline and not study.applications(source="human", coder="alice"):
        time.sleep(0.3)
    saved = study.applications(source="human", coder="alice")
    assert len(saved) == 1 and saved[0].present
    browser.refresh()
    wait_for(browser, "button", text="Remove")  # after a reload, the accepted code is shown as applied
    settle(browser)
    assert study.applications(source="human", coder="alice") == saved
    for n, page in enumerate(("codebook", "agreement", "themes"), start=3):
        browser.get(f"{url}/{page}?coder=alice")
        wait_for(browser, "h1", text=page.capitalize())
        settle(browser)
        browser.save_screenshot(str(SHOTS / f"{n}-{page}.png"))
    shots = sorted(p.name for p in SHOTS.glob("*.png"))
    assert shots == ["1-start.png", "2-code.png", "3-codebook.png", "4-agreement.png", "5-themes.png"]
