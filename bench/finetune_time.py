"""Time the fine-tuning of the embedding model on N decided segments, in one run.

Fine-tunes :class:`qualcode.pipeline.finetune.FineTunedHead` with its defaults (at most
``MAX_STEPS`` optimiser steps, the lowest ``FROZEN_LAYERS`` layers frozen) on N coded FFT
comments and prints the wall and CPU time (goal: at most about 3 minutes for 3,000 segments on 2
cores). With ``--old`` it first times ``--old-steps`` steps of the previous settings (every
layer trained, no step bound) and prints the time their whole plan would take at that pace.

    .venv/bin/python bench/finetune_time.py [--n 3000] [--old] [--old-steps 30]

Rows: ../shared/data/fft/nhft_gold.csv, cycled (each repeat made distinct) up to N.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def rows(n: int) -> tuple[list[str], np.ndarray]:
    gold = ROOT.parent / "shared" / "data" / "fft" / "nhft_gold.csv"
    if not gold.exists():
        sys.exit(f"{gold}: not found (the shared data sit beside the checkout)")
    with gold.open(encoding="utf-8") as fh:
        table = [r for r in csv.DictReader(fh) if r["text"].strip()]
    codes = [c for c in table[0] if c not in ("id", "text")]
    texts, Y = [], []
    for i in range(n):
        r = table[i % len(table)]
        texts.append(r["text"] if i < len(table) else f"{r['text']} ({i // len(table)})")
        Y.append([float(r[c] or 0) for c in codes])
    return texts, np.array(Y)


class _Enough(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--old", action="store_true", help="also time a few steps of the previous settings")
    parser.add_argument("--old-steps", type=int, default=30)
    parser.add_argument("--steps", type=int, default=0,
                        help="time only this many steps of the new settings too and extrapolate (a busy machine)")
    args = parser.parse_args()
    if args.n < 2 or args.old_steps < 1:
        parser.error("--n must be 2 or more and --old-steps 1 or more")
    texts, Y = rows(args.n)
    from qualcode.pipeline.finetune import FineTunedHead

    if args.old:
        seen: list[float] = []

        def stop(done: int, total: int) -> None:
            seen.append(time.process_time())
            seen_total[0] = total
            if done >= args.old_steps:
                raise _Enough

        seen_total = [0]
        t0 = time.process_time()
        try:
            FineTunedHead("all-MiniLM-L6-v2", max_steps=None, frozen_layers=0).fit(texts, Y, stop)
        except _Enough:
            pass
        per_step = (seen[-1] - seen[0]) / max(len(seen) - 1, 1)
        print(f"old settings : {per_step:.2f} CPU s/step over {len(seen)} steps; whole plan {seen_total[0]} steps "
              f"≈ {per_step * seen_total[0] / 60:.1f} CPU min (+ {seen[0] - t0:.0f} CPU s loading)")
    if args.steps:
        marks_: list[float] = []
        plan = [0]

        def stop_new(done: int, total: int) -> None:
            marks_.append(time.process_time())
            plan[0] = total
            if done >= args.steps:
                raise _Enough

        try:
            FineTunedHead("all-MiniLM-L6-v2").fit(texts, Y, stop_new)
        except _Enough:
            pass
        per_step = (marks_[-1] - marks_[0]) / max(len(marks_) - 1, 1)
        print(f"new settings : {per_step:.2f} CPU s/step over {len(marks_)} steps; whole plan {plan[0]} steps "
              f"≈ {per_step * plan[0] / 60:.1f} CPU min")
        return
    t0, cpu0 = time.perf_counter(), time.process_time()
    marks: list[float] = []
    head = FineTunedHead("all-MiniLM-L6-v2").fit(texts, Y, lambda d, t: marks.append(time.process_time()))
    total, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    per_step = (marks[-1] - marks[0]) / max(len(marks) - 1, 1)
    print(f"segments     : {len(texts)}, codes {Y.shape[1]}")
    print(f"new settings : {head.steps_} steps (max_steps {head.max_steps}, frozen_layers {head.frozen_layers}), "
          f"{per_step:.2f} CPU s/step")
    print(f"fine-tuning  : {total:.1f} s = {total / 60:.2f} min wall  (goal <= 3 min on 2 cores)")
    print(f"CPU time     : {cpu:.1f} s = {cpu / 60:.2f} min  (2 cores to itself: about {cpu / 120:.2f} min wall)")


if __name__ == "__main__":
    main()
