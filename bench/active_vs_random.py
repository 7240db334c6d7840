"""Active against random labelling at one budget over several splits, through the engine
``qualcode code`` uses (:func:`qualcode.pipeline.evaluate.compare_strategies`).

    nice -n 10 .venv/bin/python bench/active_vs_random.py [GOLD.csv] [--budget 200]
        [--seeds 0-10] [--fine-tune never] [--model NAME] [--codebook FILE] [--json OUT.json]

Default: ``../shared/data/fft/nhft_gold.csv``, budget 200, seeds 0 to 10 (eleven splits, 20 %
test), never fine-tuned (eleven fine-tunings per strategy would take most of an hour on 2
cores). Prints each split's micro / macro F1 for both strategies and on how many splits
active learning is ahead; ``--json`` also saves the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
FFT = ROOT.parent / "shared" / "data" / "fft"


def seeds_of(text: str) -> list[int]:
    """'0-10' → 0..10; '1,5,42' → [1, 5, 42]."""
    if "-" in text and "," not in text:
        low, high = (int(p) for p in text.split("-", 1))
        return list(range(low, high + 1))
    return [int(p) for p in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", nargs="?", default=str(FFT / "nhft_gold.csv"))
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--seeds", default="0-10")
    parser.add_argument("--fine-tune", choices=("auto", "always", "never"), default="never")
    parser.add_argument("--model", default=None)
    parser.add_argument("--codebook", default=None)
    parser.add_argument("--json", metavar="OUT.json", default=None)
    args = parser.parse_args(argv)
    try:
        seeds = seeds_of(args.seeds)
    except ValueError:
        parser.error(f"--seeds: expected 'LOW-HIGH' or numbers separated by commas, got {args.seeds!r}")

    from qualcode.cli.study_commands import make_study_embedder
    from qualcode.errors import QualcodeError
    from qualcode.io.codebook import load_codebook
    from qualcode.io.gold import read_gold
    from qualcode.pipeline.evaluate import compare_strategies, format_comparison

    try:
        gold = read_gold(args.gold)
        codebook = load_codebook(args.codebook) if args.codebook else None
        embedder = make_study_embedder(args.model)
    except QualcodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    start, cpu = time.perf_counter(), time.process_time()
    result = compare_strategies(gold, embedder, seeds, args.budget, codebook=codebook, fine_tune=args.fine_tune,
                                progress=lambda done, total: print(f"split {done}/{total}", file=sys.stderr))
    print(f"{Path(args.gold).name}, model {embedder.model_id}, fine-tune {args.fine_tune}")
    print(format_comparison(result))
    print(f"({time.perf_counter() - start:.0f} s wall, {time.process_time() - cpu:.0f} s CPU, "
          f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())})")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
