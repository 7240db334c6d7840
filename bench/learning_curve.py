"""A simulated coder on a gold file: shown suggestions, precision and recall after 0, 10,
25, 50, 100 and 200 decisions, through the engine ``qualcode code`` uses.

    .venv/bin/python bench/learning_curve.py GOLD.csv --codebook CODEBOOK [--model NAME]
        [--seed 42] [--steps 0,10,25,50,100,200] [--groups COLUMN] [--text-column COLUMN]

Default: the FFT v7 comments and codebook from ../shared when present. See
:mod:`qualcode.pipeline.learning_curve` for what the simulated coder does. The suggester
is never fine-tuned here (the app's *Update suggestions* does not fine-tune either).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
FFT = ROOT.parent / "shared" / "data" / "fft"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", nargs="?", default=str(FFT / "nhft_v7_gold.csv"))
    parser.add_argument("--codebook", default=str(FFT / "codebook_v7.csv"))
    parser.add_argument("--model", default=None, help="embedding model (default all-MiniLM-L6-v2; 'hash' for none)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--test-size", type=float, default=0.2)
    parser.add_argument("--steps", default="0,10,25,50,100,200")
    parser.add_argument("--groups", default=None, metavar="COLUMN")
    parser.add_argument("--text-column", default="text", metavar="COLUMN")
    args = parser.parse_args(argv)
    try:
        steps = tuple(int(s) for s in args.steps.split(","))
    except ValueError:
        parser.error(f"--steps: expected whole numbers separated by commas, got {args.steps!r}")

    from qualcode.cli.study_commands import make_study_embedder
    from qualcode.errors import QualcodeError
    from qualcode.io.codebook import load_codebook
    from qualcode.io.gold import read_gold
    from qualcode.pipeline.evaluate import make_engine, split
    from qualcode.pipeline.learning_curve import format_curve, learning_curve

    try:
        gold = read_gold(args.gold, args.text_column, (args.groups,) if args.groups else ())
        codebook = load_codebook(args.codebook) if args.codebook else None
        embedder = make_study_embedder(args.model)  # cached under QUALCODE_CACHE_DIR, as the CLI
    except QualcodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    E = embedder.encode(gold.texts)
    train, test = split(gold, args.test_size, args.seed, args.groups)
    engine = make_engine(gold.codes, codebook, embedder)
    rows = learning_curve(engine, list(gold.texts), E, gold.Y, train, test, steps, args.seed)
    print(f"{Path(args.gold).name}: {len(train)} training rows (decided in a random order, seed {args.seed}), "
          f"{len(test)} test rows, {gold.Y[test].sum()} coded codes on them; model {embedder.model_id}")
    print(format_curve(rows))
    print(f"({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
