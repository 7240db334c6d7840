"""Choosing the display rule's shrinkage by inner cross-validation on the TRAINING rows only.

    .venv/bin/python bench/display_rule.py [GOLD.csv] [--codebook CODEBOOK] [--budget N]
        [--folds 3] [--seed 42] [--model NAME]

The seed's train/test split is made as ``qualcode evaluate`` makes it, and the test rows
are never read. The training rows are split again into ``folds`` inner folds; per fold an
engine (never fine-tuned) is fitted with the other folds' rows decided (or ``--budget``
of them at random: the 200-decision regime), and every variant of
:class:`qualcode.pipeline.display.DisplayRule` is refitted on that engine's out-of-fold
confidences and scored on the held-out inner fold: micro / macro F1 of what is shown,
its precision and recall. The fixed 0.5 rule is the first row.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
FFT = ROOT.parent / "shared" / "data" / "fft"

VARIANTS = [("fixed 0.5", None, None)] + [
    (f"pooled {rows:g}" + ("" if pos is None else f", per code {pos:g}"), rows, pos)
    for rows in (50.0, 200.0, 1000.0) for pos in (None, 5.0, 20.0, 50.0)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", nargs="?", default=str(FFT / "nhft_gold.csv"))
    parser.add_argument("--codebook", default=None)
    parser.add_argument("--budget", type=int, default=None, help="decided rows per inner fit (default: all)")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--model", default=None)
    args = parser.parse_args(argv)

    import numpy as np
    from sklearn.metrics import f1_score
    from sklearn.model_selection import KFold

    from qualcode.cli.study_commands import make_study_embedder
    from qualcode.io.codebook import load_codebook
    from qualcode.io.gold import read_gold
    from qualcode.pipeline.display import DisplayRule
    from qualcode.pipeline.evaluate import fit_engine, make_engine, split

    gold = read_gold(args.gold)
    codebook = load_codebook(args.codebook) if args.codebook else None
    embedder = make_study_embedder(args.model)
    E = embedder.encode(gold.texts)
    texts, Y = list(gold.texts), gold.Y
    train, _ = split(gold, 0.2, args.seed)  # the test rows are never used below
    engine = make_engine(gold.codes, codebook, embedder, fine_tune=None)
    scores = {name: [] for name, _, _ in VARIANTS}
    rng = np.random.default_rng(args.seed)
    for a, b in KFold(args.folds, shuffle=True, random_state=args.seed).split(train):
        rows = train[a] if args.budget is None else rng.permutation(train[a])[:args.budget]
        model = fit_engine(engine, texts, E, Y, rows)
        proba = model.predict_proba([texts[i] for i in train[b]], embeddings=E[train[b]])
        always, eligible = model._always_eligible(proba)
        oof_always, oof_eligible = model._always_eligible(model.oof_proba_)
        truth = Y[train[b]]
        for name, pooled, per_code in VARIANTS:
            rule = DisplayRule(model.show_threshold, model.floor, pooled_rows=pooled or 0.0, code_positives=per_code,
                               min_rows=10**9 if pooled is None else 50)
            shown = rule.fit(model.oof_proba_, model.Y_decided_, oof_always, oof_eligible).shown(
                proba, always, eligible)
            hits = (shown & (truth == 1)).sum()
            scores[name].append((f1_score(truth, shown, average="micro", zero_division=0),
                                 f1_score(truth, shown, average="macro", zero_division=0),
                                 hits / max(shown.sum(), 1), hits / max(truth.sum(), 1), rule.pooled_))
        print(f"fold done: {len(rows)} decided, {len(b)} held out", file=sys.stderr)
    print(f"{'variant':<28} {'micro':>6} {'macro':>6} {'shownP':>6} {'shownR':>6} {'pooled':>6}")
    for name, _, _ in VARIANTS:
        m = np.mean(scores[name], axis=0)
        print(f"{name:<28} {m[0]:6.3f} {m[1]:6.3f} {m[2]:6.3f} {m[3]:6.3f} {m[4]:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
