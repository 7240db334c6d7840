"""A simulated coder on a gold file: how the suggestions a coder is shown change as
they decide segments (``bench/learning_curve.py``).

The gold rows are split as ``qualcode evaluate`` splits them. The coder works through the
training rows in a random order (``seed``), as a coder works through transcripts, and
presses *Update suggestions* after 0, 10, 25, 50, 100 and 200 decisions: the engine
(:func:`qualcode.pipeline.evaluate.make_engine`, the one ``qualcode code`` uses) is
refitted on every decision so far. Between updates the coder sees the suggestions of the
last fit on each segment they code, accepts the shown ones the gold applies, rejects the
others and adds the codes that were not shown, as in the app; the decided segment then
holds exactly its gold codes (every code not applied is a 0, as
:func:`qualcode.workflow.human_labels` reads a decided segment). At every step the table
gives, on the held-out test rows, how many suggestions are shown and their precision and
recall, and how many of the suggestions shown while coding the coder accepted.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from qualcode.pipeline.evaluate import fit_engine
from qualcode.pipeline.suggest import CodeSuggester

STEPS = (0, 10, 25, 50, 100, 200)


def learning_curve(engine: CodeSuggester, texts: list[str], E: np.ndarray, Y: np.ndarray, train: np.ndarray,
                   test: np.ndarray, steps: tuple[int, ...] = STEPS, seed: int = 42,
                   progress: Callable[[int, int], None] | None = None) -> list[dict]:
    """One row per step: ``decisions``, ``shown``, ``precision``, ``recall`` (on ``test``),
    ``accepted`` / ``rejected`` (of the suggestions shown while coding up to this step)."""
    if list(steps) != sorted(set(steps)) or (steps and steps[0] < 0):
        raise ValueError(f"steps must be increasing and not negative, got {steps}")
    order = np.random.default_rng(seed).permutation(train)
    steps = tuple(n for n in steps if n <= len(order))
    test_texts = [texts[i] for i in test]
    rows, accepted, rejected, done = [], 0, 0, 0
    model = None
    for s, n in enumerate(steps):
        if model is not None and n > done:  # the coder codes segments done..n with the last fit's suggestions
            block = order[done:n]
            seen = model.shown(model.predict_proba([texts[i] for i in block], embeddings=E[block]))
            accepted += int((seen & (Y[block] == 1)).sum())
            rejected += int((seen & (Y[block] == 0)).sum())
        done = n
        model = fit_engine(engine, texts, E, Y, order[:n])
        shown = model.shown(model.predict_proba(test_texts, embeddings=E[test]))
        hits = int((shown & (Y[test] == 1)).sum())
        rows.append({"decisions": n, "shown": int(shown.sum()),
                     "precision": round(hits / shown.sum(), 4) if shown.any() else 0.0,
                     "recall": round(hits / Y[test].sum(), 4) if Y[test].sum() else 0.0,
                     "accepted": accepted, "rejected": rejected})
        if progress:
            progress(s + 1, len(steps))
    return rows


def format_curve(rows: list[dict]) -> str:
    """The table ``bench/learning_curve.py`` prints; the last column says whether the step
    is at least as good as the cold start on both precision and recall."""
    lines = [f"{'decisions':>9} {'shown':>6} {'precision':>9} {'recall':>6} {'accepted':>8} {'rejected':>8}  "
             "vs cold start"]
    cold = rows[0] if rows else None
    for r in rows:
        ok = r["precision"] >= cold["precision"] and r["recall"] >= cold["recall"]
        lines.append(f"{r['decisions']:>9} {r['shown']:>6} {r['precision']:>9.3f} {r['recall']:>6.3f} "
                     f"{r['accepted']:>8} {r['rejected']:>8}  {'ok' if ok else 'BELOW'}")
    return "\n".join(lines)
