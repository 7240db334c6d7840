"""Server-side latency of the app on a study of 50,000 segments, in one run.

Builds the synthetic study of bench/scale.py (suggestions from the model-free hashing
embedder: the app's speed does not depend on the model), then times with
streamlit.testing.v1.AppTest, which runs the page script in this process exactly as the
server does: opening the Code page, and recording a decision (Accept) on it.
Goals: under 2 s per page, under 300 ms per decision.

    .venv/bin/python bench/app_latency.py [--segments 50000] [--repeat 5]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from scale import build
    from streamlit.testing.v1 import AppTest

    from qualcode.pipeline.embed import HashingEmbedder
    from qualcode.workflow import code_study

    with tempfile.TemporaryDirectory() as tmp:
        study, transcripts, people = build(Path(tmp) / "study", args.segments)
        study.import_transcripts(transcripts, people, max_words=80)
        code_study(study, HashingEmbedder(256), floor=0.05)
        n = len(study.segments(codeable_only=True))
        os.environ["QUALCODE_STUDY"] = str(study.folder)
        at = AppTest.from_file(str(ROOT / "app" / "streamlit_app.py"), default_timeout=120)
        at.query_params["coder"] = "bench"
        at.run()
        at.switch_page("views/code.py").run()  # first run: imports and the cached Study
        pages, decisions = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            at.run()
            pages.append(time.perf_counter() - t0)
            accept = next(b for b in at.button if b.key and b.key.startswith("acc-"))
            t0 = time.perf_counter()
            accept.click().run()
            decisions.append(time.perf_counter() - t0)
            assert not at.exception, at.exception
        saved = len(study.applications(source="human", coder="bench"))
        print(f"study: {n} codeable segments in {len(transcripts)} transcripts; {saved} decisions recorded")
        print(f"Code page   : median {statistics.median(pages) * 1000:7.0f} ms, max {max(pages) * 1000:7.0f} ms "
              f"(goal < 2000 ms)")
        print(f"decision    : median {statistics.median(decisions) * 1000:7.0f} ms, max {max(decisions) * 1000:7.0f} ms "
              f"(a click reruns the page; goal < 300 ms)")


if __name__ == "__main__":
    main()
