"""Try to break qualcode and count what broke.

Prints, per reader, the generated cases run (read / refused with one QualcodeError line /
failures: any other exception, a broken offset or a multi-line message); then kill -9
trials of ``import`` and ``code`` and the inconsistencies they left; then concurrent
decisions (bursts of six processes deciding the same segment for a new coder) and the
updates lost — on SQLite, and on PostgreSQL when QUALCODE_TEST_DATABASE_URL is set.

    python bench/reliability.py [--cases-scale 1] [--kills 20] [--bursts 10]

The generators are those of ``tests/io/test_properties.py`` (the CI runs them too).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def readers(scale: float) -> int:
    from tests.io.test_properties import READERS, run_reader

    outcomes: dict[str, Counter] = defaultdict(Counter)
    examples: dict[str, str] = {}

    def record(name: str, data: bytes, outcome: str) -> None:
        key = "failed" if outcome.startswith("FAIL") else outcome
        outcomes[name][key] += 1
        if key == "failed" and name not in examples:
            examples[name] = f"{outcome} on {data[:80]!r}"

    print(f"{'reader':<20} {'cases':>6} {'read':>6} {'refused':>8} {'failed':>7}")
    total = failed = 0
    t0 = time.perf_counter()
    for name, (_, _, n) in READERS.items():
        run_reader(name, max(1, round(n * scale)), record)
        c = outcomes[name]
        cases = sum(c.values())
        total, failed = total + cases, failed + c["failed"]
        print(f"{name:<20} {cases:>6} {c['read']:>6} {c['refused']:>8} {c['failed']:>7}")
    print(f"{'all readers':<20} {total:>6} {'':>6} {'':>8} {failed:>7}   ({time.perf_counter() - t0:.1f} s)")
    for name, example in examples.items():
        print(f"  first failure of {name}: {example}")
    return failed


def kills(n: int) -> int:
    if n <= 0:
        return 0
    from tests.store.test_crash_and_migration import crash_trials

    with tempfile.TemporaryDirectory() as tmp:
        trials, problems = crash_trials(Path(tmp), n_import=n // 2, n_code=n - n // 2, n_files=200)
    print(f"kill -9 trials (import of 200 transcripts, code): {trials}, inconsistencies: {len(problems)}")
    for p in problems[:5]:
        print("  ", p)
    return len(problems)


def concurrency(bursts: int, url: str | None) -> int:
    from qualcode.io.codebook import parse_codebook
    from qualcode.store import Study
    from tests.conftest import TINY_CODEBOOK
    from tests.store.test_concurrency import PROCESSES, TEXT, _transcript, lost_updates, run_burst

    if url:
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        study = Study.init(Path(tmp) / "study", parse_codebook(TINY_CODEBOOK, "tiny.yaml"), db_url=url)
        study.import_transcripts([_transcript("t", TEXT)])
        segment = study.segments()[0].id
        study.close()
        errors = lost = 0
        for burst in range(bursts):
            coder = f"coder{burst}"
            results = run_burst(study.folder, "decide", coder, segment)
            errors += sum(r != "ok" for r in results)
            with Study.open(study.folder) as fresh:
                lost += lost_updates(fresh, segment, coder)
    where = "PostgreSQL" if url else "SQLite"
    print(f"concurrent decisions on {where}: {bursts * PROCESSES} in {bursts} bursts of {PROCESSES} processes, "
          f"exceptions: {errors}, lost updates: {lost}")
    return errors + lost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases-scale", type=float, default=1.0, help="multiply each reader's case count")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--bursts", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    bad = readers(args.cases_scale)
    bad += kills(args.kills)
    bad += concurrency(args.bursts, None)
    url = os.environ.get("QUALCODE_TEST_DATABASE_URL")
    if url:
        bad += concurrency(args.bursts, url)
    else:
        print("concurrent decisions on PostgreSQL: skipped (QUALCODE_TEST_DATABASE_URL not set)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
