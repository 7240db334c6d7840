"""Click-to-updated-page times of the app in a real headless Chromium, on 50,000 segments.

Builds the synthetic study of bench/scale.py (suggestions from the model-free hashing
embedder: the app's speed does not depend on the model), starts `streamlit run` on it,
and drives Debian's chromium with Selenium as a coder would. Each figure is the time
from the click (or key) to the moment the page shows its result (the new chip, the
memo count, the next page's first segment, the search hits), polled every 10 ms in the
browser. A click on a card (app/components/card_page) has TWO times: *updated*, when the
card shows the change (drawn in the browser before the server answers), and *saved*, when
the server's confirmation of that one event has arrived in the page (the card component's
``data-pending`` back to 0): that one includes the server's Study call and fragment rerun,
the websocket and the redraw. Undo is not drawn ahead: its two times are the same.
*Code page* is a full load of the address (the browser fetches and starts Streamlit's
frontend again); *Code page (sidebar)* is the coder's way there, a click on the sidebar.
Goals (issue #14): a click under 300 ms; the Code page and *Review next* under 1 s.

    nice -n 10 .venv/bin/python bench/app_latency.py [--segments 50000] [--repeat 10]
    nice -n 10 .venv/bin/python bench/app_latency.py --only review --coded 120 --keep /tmp/bench
      (*Review next* alone, each round from a fresh Code page, past the cold start)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

COUNT = "return [...document.querySelectorAll('button')].filter(b => b.innerText.trim().endsWith(arguments[0])).length"
SUMMARY = ("return [...document.querySelectorAll('button.qc-summary')].map(s => s.innerText.trim())"
           ".filter(t => t.startsWith(arguments[0]))[0] || ''")
FIRST_SEGMENT = "return document.querySelector('.qc-card .qc-head')?.innerText || ''"
CARD = "return document.querySelectorAll(arguments[0]).length"  # how many of these the cards show
PENDING = "const p = document.querySelector('.qc-page'); return p ? [p.dataset.pending, p.dataset.acked] : ['', '']"


SERVER: dict[str, int | None] = {"pid": None, "driver": None}  # streamlit's and chromedriver's process ids
CPU: dict[str, list[float]] = {}  # action -> the server's CPU seconds from click to updated page
BROWSER_CPU: dict[str, list[float]] = {}  # action -> the browser's CPU seconds meanwhile


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of ``pid`` so far (Linux /proc; 0 elsewhere). Wall times
    on a shared machine depend on the load; the server's CPU time per click does not."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError, TypeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def browser_cpu_seconds(root: int | None) -> float:
    """CPU seconds so far of every process under ``root`` (chromedriver: the browser's
    renderer, GPU and network processes), read before the clock starts and after it stops."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    todo, total = list(children.get(root, [])), 0.0
    while todo:
        pid = todo.pop()
        total += cpu_seconds(pid)
        todo += children.get(pid, [])
    return total


def timed(name: str, driver, action, changed, timeout: float = 60) -> float:  # noqa: ANN001
    """Seconds from ``action()`` until ``changed()`` holds (polled every 10 ms); the server's
    and the browser's CPU seconds meanwhile go to ``CPU[name]`` and ``BROWSER_CPU[name]``
    (the browser's include the bench's own 10 ms polling)."""
    b0 = browser_cpu_seconds(SERVER["driver"])
    c0 = cpu_seconds(SERVER["pid"])
    t0 = time.perf_counter()
    action()
    deadline = t0 + timeout
    while not changed():
        if time.perf_counter() > deadline:
            driver.save_screenshot(str(ROOT / "test-output" / "app_latency-timeout.png"))
            raise RuntimeError("the page did not update within the timeout (see test-output/app_latency-timeout.png)")
        time.sleep(0.01)
    wall = time.perf_counter() - t0
    CPU.setdefault(name, []).append(cpu_seconds(SERVER["pid"]) - c0)
    BROWSER_CPU.setdefault(name, []).append(browser_cpu_seconds(SERVER["driver"]) - b0)
    return wall


def timed_both(name: str, driver, action, changed, timeout: float = 60) -> None:  # noqa: ANN001
    """A card click: seconds to the card's change (``changed()``) into ``results[name]`` and
    to the server's confirmation (no event pending, a new one acknowledged) into
    ``results[name + " saved"]``."""
    before = driver.execute_script(PENDING)[1]
    b0, c0 = browser_cpu_seconds(SERVER["driver"]), cpu_seconds(SERVER["pid"])
    t0 = time.perf_counter()
    action()
    shown = done = None
    while shown is None or done is None:
        now = time.perf_counter() - t0
        if now > timeout:
            driver.save_screenshot(str(ROOT / "test-output" / "app_latency-timeout.png"))
            raise RuntimeError(f"{name}: the page did not update within the timeout")
        if shown is None and changed():
            shown = time.perf_counter() - t0
        pending, acked = driver.execute_script(PENDING)
        if done is None and pending == "0" and acked != before:
            done = time.perf_counter() - t0
        if shown is None or done is None:
            time.sleep(0.01)
    RESULTS.setdefault(name, []).append(shown)
    RESULTS.setdefault(name + " saved", []).append(max(done, shown))
    CPU.setdefault(name + " saved", []).append(cpu_seconds(SERVER["pid"]) - c0)
    BROWSER_CPU.setdefault(name + " saved", []).append(browser_cpu_seconds(SERVER["driver"]) - b0)


RESULTS: dict[str, list[float]] = {}  # action -> seconds (the card clicks of timed_both)
DRAWN: dict[str, list] = {}  # action -> [built ms, painted ms] as cards.js measured its last drawing
DRAW = ("const p = document.querySelector(`.qc-page[data-name=${arguments[0] || 'card_page'}]`);"
        " return p ? [p.dataset.drawMs, p.dataset.paintMs] : ['', '']")


def aimed(driver, css: str, text: str | None = None, exact: bool = False):  # noqa: ANN001, ANN201
    """A click on the element, found and scrolled to before the clock starts: finding it
    asks the browser about every button on the page (one round trip each, seconds on a
    page of 25 cards), which is the bench's cost, not the app's."""
    from tests.app.browser_helpers import find

    element = find(driver, css, text, exact=exact)[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    return element.click


def line(name: str, times: list[float], goal_ms: int) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    cpu = statistics.median(CPU.get(name) or [0.0]) * 1000
    browser = statistics.median(BROWSER_CPU.get(name) or [0.0]) * 1000
    where = (f"CPU median: server {cpu:5.0f} ms, browser {browser:5.0f} ms" if name in CPU
             else "(drawn in the browser; CPU on the 'saved' line)")
    return (f"{name:<14} median {statistics.median(ms):6.0f} ms   p95 {p95:6.0f} ms   "
            f"{where}   (n={len(ms)}; goal < {goal_ms} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the study once into this folder and copy it for each run "
                             "(before/after comparisons on the same data; never inside the checkout)")
    parser.add_argument("--only", choices=("review", "search"), default=None,
                        help="measure only *Review next* (each round from a fresh Code page) or only search")
    parser.add_argument("--coded", type=int, default=0, metavar="N",
                        help="the bench coder first decides N segments (120: past the cold start, so "
                             "*Review next* ranks by uncertainty)")
    parser.add_argument("--no-review-next", action="store_true",
                        help="leave out *Review next* (its first click embeds every segment: minutes)")
    args = parser.parse_args()
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    from tests.app.browser_helpers import chrome, click, find, settle, start_server, stop_server

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        study = built_study(Path(tmp) / "study", args.segments, args.keep)
        n = len(study.segments(codeable_only=True))
        precode(study, args.coded)
        print(f"study: {n} codeable segments in {len(study.transcripts())} transcripts "
              f"(ready in {time.perf_counter() - t0:.0f} s)", flush=True)
        proc, url = start_server(study.folder, {"QUALCODE_CACHE_DIR": str(Path(tmp) / "cache")})
        SERVER["pid"] = proc.pid
        driver = chrome()
        SERVER["driver"] = driver.service.process.pid
        results: dict[str, list[float]] = {k: [] for k in
                                           ("Code page", "Code page (sidebar)", "open picker", "open memos", "page change", "search",
                                            "Review next")}
        try:
            driver.get(f"{url}/?coder=bench")
            settle(driver)
            for _ in range(3):  # warm up: imports, the cached Study, the first page
                driver.get(f"{url}/code?coder=bench")
                aimed(driver, "button", "Accept")
                settle(driver)
            settle(driver)
            b0, t0 = browser_cpu_seconds(SERVER["driver"]), time.perf_counter()
            while time.perf_counter() - t0 < 2:  # the bench's own polling, on a page that does not change
                driver.execute_script(COUNT, "Remove")
                time.sleep(0.01)
            polling = (browser_cpu_seconds(SERVER["driver"]) - b0) / (time.perf_counter() - t0)
            print(f"the bench's 10 ms polling alone costs the browser {polling * 1000:.0f} ms CPU per second "
                  "(included in the browser CPU below)", flush=True)
            for i in range(0 if args.only else args.repeat):
                results["Code page"].append(timed("Code page", driver, lambda: driver.get(f"{url}/code?coder=bench"),
                                                  lambda: driver.execute_script(CARD, ".qc-card [data-act=accept]") > 0))
                settle(driver)
                removes = driver.execute_script(CARD, "[data-act=remove]")
                timed_both("accept", driver, aimed(driver, ".qc-card [data-act=accept]"),
                           lambda r=removes: driver.execute_script(CARD, "[data-act=remove]") > r)
                settle(driver)
                removes = driver.execute_script(CARD, "[data-act=remove]")
                results["open picker"].append(timed(  # drawn in the browser: no server call
                    "open picker", driver, aimed(driver, ".qc-card [data-act=picker]"),
                    lambda: driver.execute_script(CARD, ".qc-filter") > 0))
                find(driver, ".qc-filter")[0].send_keys("Access for excluded")
                timed_both("add", driver, aimed(driver, "button.qc-option", "Access for excluded"),
                           lambda r=removes: driver.execute_script(CARD, "[data-act=remove]") > r)
                settle(driver)
                removes = driver.execute_script(CARD, "[data-act=remove]")
                click(driver, '[data-testid="stCaptionContainer"]', "site")  # focus the page for the key
                timed_both("undo", driver, lambda: ActionChains(driver).send_keys("u").perform(),
                           lambda r=removes: driver.execute_script(CARD, "[data-act=remove]") < r)
                settle(driver)
                label = driver.execute_script(SUMMARY, "Memos (")
                more = f"Memos ({int(label.split('(')[1].split(')')[0]) + 1})"
                results["open memos"].append(timed(  # drawn in the browser: no server call
                    "open memos", driver, aimed(driver, "button.qc-summary", "Memos ("),
                    lambda: driver.execute_script(CARD, MEMO_BOX) > 0))
                box = find(driver, MEMO_BOX)[0]
                box.click()
                box.send_keys(f"memo {i}")
                timed_both("memo", driver, aimed(driver, "button", "Save memo", exact=True),
                           lambda m=more: driver.execute_script(SUMMARY, m) != "")
                settle(driver)
                first = driver.execute_script(FIRST_SEGMENT)
                results["page change"].append(timed(  # a reload is back on page 1: one step up
                    "page change", driver, aimed(driver, '[data-testid="stNumberInputStepUp"]'),
                    lambda f=first: driver.execute_script(FIRST_SEGMENT) not in ("", f)))
                settle(driver)
                DRAWN.setdefault("page change", []).append(driver.execute_script(DRAW))
                click(driver, '[data-testid="stSidebarNavLink"]', "Start", exact=True)  # as a coder comes back
                find(driver, "h1", "qualcode")
                settle(driver)
                results["Code page (sidebar)"].append(timed(
                    "Code page (sidebar)", driver, aimed(driver, '[data-testid="stSidebarNavLink"]', "Code", exact=True),
                    lambda: driver.execute_script(CARD, ".qc-card [data-act=accept]") > 0))
                settle(driver)
                if args.no_review_next:
                    continue
                click(driver, '[role="tab"]', "Review next")
                settle(driver)
                results["Review next"].append(timed(
                    "Review next", driver, aimed(driver, "button", "Find segments to review"),
                    lambda: driver.execute_script(ROUND, "Round 1:"), timeout=300))  # each reload is a fresh session
                settle(driver)
                DRAWN.setdefault("Review next", []).append(driver.execute_script(DRAW, "review_cards"))
            for _ in range(args.repeat if args.only == "review" else 0):
                driver.get(f"{url}/code?coder=bench")  # a fresh session, as in the full round above
                settle(driver)
                click(driver, '[role="tab"]', "Review next")
                settle(driver)
                results["Review next"].append(timed(
                    "Review next", driver, aimed(driver, "button", "Find segments to review"),
                    lambda: driver.execute_script(ROUND, "Round 1:"), timeout=300))
                settle(driver)
            if args.only != "review":
                click(driver, '[data-testid="stSidebarNavLink"]', "Search", exact=True)
                settle(driver)
            for i in range(0 if args.only == "review" else args.repeat):
                box = find(driver, '[data-testid="stTextInput"] input')[0]
                word = WORDS[i % len(WORDS)]
                box.send_keys(Keys.CONTROL, "a")  # React keeps its own value: select it and type over it
                box.send_keys(word)
                results["search"].append(timed("search", driver, aimed(driver, "button", "Search", exact=True),
                                               lambda w=word: driver.execute_script(MARKED) == w))
                settle(driver)
        except Exception:
            driver.save_screenshot(str(ROOT / "test-output" / "app_latency-failed.png"))
            raise
        finally:
            driver.quit()
            stop_server(proc)
        saved = len(study.applications(source="human", coder="bench"))
        print(f"{saved} decisions and {len(study.memos())} memos recorded by the bench coder")
        print("load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
        goals = {"Code page": 1000, "Code page (sidebar)": 1000, "Review next": 1000}
        for name in ("accept", "add", "memo", "undo"):
            for key in (name, name + " saved"):
                results[key] = RESULTS.get(key, [])
        for name, times in results.items():
            if times:
                print(line(name, times, goals.get(name, 300)))
        for name, drawn in DRAWN.items():  # the card component's own drawing (cards.js), within the times above
            built = statistics.median(float(d[0] or 0) for d in drawn)
            painted = statistics.median(float(d[1] or 0) for d in drawn)
            print(f"{name:<14} cards drawn in the browser: built {built:5.1f} ms, laid out and painted {painted:5.1f} ms "
                  f"(median, from the data's arrival)")
        study.close()


def precode(study, n: int) -> None:  # noqa: ANN001
    """The bench coder decides the first ``n`` codeable segments (one code each, in pool
    order): with 100 or more, *Review next* ranks by uncertainty instead of typical clusters."""
    if n <= 0:
        return
    code = study.codebook().ids()[1]
    for segment_id in study.review_pool("bench").segment_ids[:n]:
        study.decide(segment_id, code, "bench", True)
    print(f"the bench coder decided {n} segments first", flush=True)


def built_study(folder: Path, n_segments: int, keep: Path | None):  # noqa: ANN201
    """The synthetic study with its suggestions, in ``folder``; built once into ``keep``."""
    import shutil

    from scale import build

    from qualcode.pipeline.embed import HashingEmbedder
    from qualcode.store import Study
    from qualcode.workflow import code_study

    cached = keep / f"study-{n_segments}" if keep else None
    if cached is None or not cached.exists():
        target = cached or folder
        study, transcripts, people = build(target, n_segments)
        study.import_transcripts(transcripts, people, max_words=80)
        code_study(study, HashingEmbedder(256), floor=0.05)
        if cached is None:
            return study
        study.close()
    shutil.copytree(cached, folder)
    return Study.open(folder)


WORDS = ("patients", "practice", "money", "waiting", "commissioning", "hospital", "services", "local")
MEMO_BOX = "textarea.qc-memo-box"
MARKED = "return (document.querySelector('mark')?.innerText || '').toLowerCase()"  # the first hit, marked
ROUND = ("return [...document.querySelectorAll('[data-testid=stCaptionContainer]')]"
         ".some(c => c.innerText.startsWith(arguments[0]))"  # the round's line, and its picks' cards drawn
         " && document.querySelectorAll('.qc-page[data-name=review_cards] .qc-card').length > 0")


if __name__ == "__main__":
    main()
