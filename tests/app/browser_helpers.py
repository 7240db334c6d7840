"""Driving the app in headless Chromium as a person would: find by what is shown, click, type.

Shared by tests/app/test_browser.py and bench/app_latency.py. Streamlit redraws elements
while a script runs, so every find is retried until it holds, and :func:`settle` waits
until the app has finished running before the next step.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000")


def have_chromium() -> bool:
    return bool(shutil.which("chromium") and shutil.which("chromedriver"))


def need_chromium() -> None:
    """Fail in CI without Chromium (`.ci/run` installs it); elsewhere skip with how to install it."""
    if not have_chromium():
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium and chromium-driver (see .ci/run)")
        pytest.skip("chromium / chromedriver not installed (apt-get install chromium chromium-driver)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(study_folder: Path, env_extra: dict | None = None, timeout: float = 90) -> tuple[subprocess.Popen, str]:
    """`streamlit run` the app on a free port of 127.0.0.1; (process, base url)."""
    port = free_port()
    env = dict(os.environ, QUALCODE_STUDY=str(study_folder), QUALCODE_MODEL="hash:256", **(env_extra or {}))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "streamlit_app.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
                             "--client.toolbarMode", "minimal",  # no Deploy entry
                             "--runner.postScriptGC", "false"],  # as `qualcode app` runs it
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"http://127.0.0.1:{port}"
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"streamlit did not start on port {port} within {timeout}s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def chrome(network_log: bool = False):  # noqa: ANN201
    """Headless Chromium; ``network_log``: keep the DevTools performance log, every request
    the browser makes (read it with :func:`requested_urls`)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in FLAGS:
        options.add_argument(flag)
    if network_log:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def requested_urls(driver) -> list[str]:  # noqa: ANN001
    """Every URL the browser asked for since the last call (pages, frames, scripts, fonts,
    images, fetches, web sockets), from the DevTools Network events of :func:`chrome`'s log."""
    import json

    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(params["request"]["url"])
        elif message.get("method") == "Network.webSocketCreated":
            urls.append(params["url"])
    return urls


def is_local(url: str) -> bool:
    """Whether ``url`` stays on this computer: 127.0.0.1 / localhost, or data:, blob:, about:."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname in ("127.0.0.1", "localhost", "::1")


def find(driver, css: str, text: str | None = None, timeout: float = 60, exact: bool = False):  # noqa: ANN001, ANN201
    """Visible elements matching ``css`` (and showing ``text``), waiting until there is one."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    deadline = time.time() + timeout
    while True:
        try:
            found = [e for e in driver.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]
            if text is not None:
                found = [e for e in found if (_last_line(e.text) == text if exact else text in e.text)]
        except StaleElementReferenceException:
            found = []
        if found:
            return found
        if time.time() > deadline:
            raise AssertionError(f"nothing matched {css!r} {text or ''} within {timeout}s")
        time.sleep(0.2)


def _last_line(text: str) -> str:
    """The label of an element whose icon is drawn as a ligature word on the line before it."""
    lines = (text or "").strip().splitlines()
    return lines[-1].strip() if lines else ""


def click(driver, css: str, text: str | None = None, timeout: float = 60, exact: bool = False, index: int = 0) -> None:  # noqa: ANN001
    """Click a visible match, finding it again if Streamlit redrew it meanwhile."""
    from selenium.common.exceptions import (
        ElementClickInterceptedException,
        ElementNotInteractableException,
        StaleElementReferenceException,
    )

    deadline = time.time() + timeout
    while True:
        try:
            element = find(driver, css, text, timeout=timeout, exact=exact)[index]
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
            element.click()
            return
        except (StaleElementReferenceException, ElementClickInterceptedException, ElementNotInteractableException):
            if time.time() > deadline:
                raise
            time.sleep(0.3)


def running(driver) -> bool:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    return bool(driver.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'))


def settle(driver, timeout: float = 90) -> None:  # noqa: ANN001
    """Wait until the app has finished running its script (no 'running' indicator, twice)."""
    find(driver, '[data-testid="stApp"]', timeout=timeout)
    deadline = time.time() + timeout
    quiet = 0
    while time.time() < deadline and quiet < 2:
        quiet = 0 if running(driver) else quiet + 1
        time.sleep(0.25)


def until(condition, timeout: float = 60, what: str = "the condition"):  # noqa: ANN001, ANN201
    """Poll ``condition()`` until it returns something true; that value."""
    deadline = time.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout}s")
        time.sleep(0.1)


def choose(driver, label: str, option: str) -> None:  # noqa: ANN001
    """Pick ``option`` in the selectbox labelled ``label``: click it, type, press Enter."""
    from selenium.webdriver.common.by import By

    def labelled() -> list:  # noqa: ANN202 (a collapsed label is only the input's aria-label)
        return [b for b in find(driver, '[data-testid="stSelectbox"]')
                if label in b.text or any((i.get_attribute("aria-label") or "").startswith(label)
                                          for i in b.find_elements(By.CSS_SELECTOR, "input"))]

    box = until(labelled, what=f"a selectbox labelled {label!r}")[0].find_element(By.CSS_SELECTOR, "input")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
    box.click()
    box.send_keys(option)
    click(driver, '[role="option"]', option)


def foreign_requests(driver, base: str) -> list[str]:  # noqa: ANN001
    """Every resource the page loaded from anywhere but the app's own server."""
    names = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)"
                                  ".concat([document.querySelector(\"link[rel='shortcut icon']\")?.href || ''])")
    return [n for n in names if n and not n.startswith((base, "data:", "blob:", "about:"))]
