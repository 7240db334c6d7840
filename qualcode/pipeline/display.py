"""Which stored suggestions a coder is shown: :class:`DisplayRule`, learnt from the study's
own decisions, out of fold.

A stored suggestion is shown when it is its segment's best, or when its confidence reaches
its code's *show threshold*. One pooled threshold of 0.5 ("more likely right than not")
is the right rule for a single suggestion read alone, but not for a list a coder scans: a
coder who accepts a shown code and adds a missing one meets an F1 trade-off, and for a
calibrated confidence the F1-optimal threshold is about half the F1 reached (Lipton,
Elkan & Naryanaswamy 2014), well below 0.5 for any engine short of perfect. And one
pooled threshold hides rare codes: their calibrated confidences are low because they are
rare, so they seldom reach 0.5 even when right (the classifier's own per-code
cross-validated thresholds gave macro-F1 0.579 where the pooled 0.5 gives 0.519).

So the thresholds are learnt from the decided segments' *out-of-fold* confidences (each
decided segment scored by an engine that did not see its decision, see
:meth:`qualcode.pipeline.suggest.CodeSuggester.fit`), in two shrunk steps:

1. **pooled**: the threshold maximising the micro-F1 of what would be shown, moved from
   :data:`BASE` (0.5) towards it by ``n / (n + pooled_rows)`` for ``n`` decided segments;
2. **per code**: the threshold maximising that code's F1 with the others at the pooled
   one, moved from the pooled threshold towards it by ``positives / (positives +
   code_positives)``: a code coded five times keeps nearly the pooled threshold.

Neither is ever below the storage floor, and below ``min_rows`` decided segments (or 5
applied codes among them) the rule is the fixed 0.5. The confidences are not changed
(what a coder reads as "40 %" still means about 40 %), only which of them are shown.
Nothing here is chosen on a test split; the shrinkage strengths were compared by inner
cross-validation on the FFT training rows only (``bench/display_rule.py``: three inner
folds of the 1,747 training rows of ``nhft_gold.csv``, seed 42, never fine-tuned; micro /
macro F1, shown precision / recall on the held-out inner folds):

===========================  ===========================  ===========================
rule                         every other fold decided     200 of them decided
===========================  ===========================  ===========================
fixed 0.5                    0.631 / 0.415, 0.745 / 0.547 0.528 / 0.208, 0.700 / 0.425
pooled (200 rows) only       0.641 / 0.439, 0.706 / 0.588 0.531 / 0.211, 0.679 / 0.437
pooled 200, per code 50      0.642 / 0.439, 0.712 / 0.584 0.533 / 0.213, 0.678 / 0.440
pooled 50, per code 50       0.642 / 0.440, 0.709 / 0.587 0.535 / 0.216, 0.669 / 0.447
pooled 1000, per code 50     0.639 / 0.431, 0.720 / 0.575 0.529 / 0.208, 0.690 / 0.429
===========================  ===========================  ===========================

(per code 5 or 20 instead of 50: within 0.003). The defaults are pooled 200, per code 50:
as good as the best within the folds' noise and the slower to move, so a study's first
decisions cannot swing what is shown. The pooled threshold learnt is about 0.34 with
1,164 decisions, 0.41 with 200, as the theory says (about half the F1). A display
threshold *below* the storage floor (0.1, rare codes stored lower) raised inner macro-F1
to 0.455 but lowered micro-F1 to 0.626 and shown precision to 0.63: not taken.

On the test split, once (``qualcode evaluate ../shared/data/fft/nhft_gold.csv --json``,
seed 42; fixed 0.5 → learnt): fine-tuned (``--fine-tune always``) micro / macro F1 0.676 /
0.519 → 0.687 / 0.530, shown precision / recall 0.736 / 0.625 → 0.717 / 0.659, ECE 0.042
→ 0.042 (the confidences are the same); ``--fine-tune never`` 0.652 / 0.486 → 0.656 /
0.488, shown 0.769 / 0.567 → 0.765 / 0.574; 200 rows by active learning 0.530 → 0.541
(random 0.522 → 0.519). Cold start (no decisions, so the fixed rule) stays 0.404.
Blending the neighbour layer into the classifier for the codes a codebook does not
describe (weights 0.6–0.8) was also tried: its out-of-fold log-loss was worse at every
weight and bandwidth, so it is not done.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

BASE = 0.5  # the rule before the study's decisions say otherwise: more likely right than not
FLOOR = 0.3  # no show threshold below the storage floor (what is not stored is never shown)
GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)  # candidate thresholds (those below the floor are never used)


def _f1(tp: np.ndarray, shown: np.ndarray, positives: np.ndarray | float) -> np.ndarray:
    """F1 from true positives, shown count and positives (0 where nothing is right)."""
    tp, denom = np.asarray(tp, dtype=np.float64), np.asarray(shown + positives, dtype=np.float64)
    return np.where(tp > 0, 2 * tp / np.maximum(denom, 1e-12), 0.0)


def _best(grid: np.ndarray, f1: np.ndarray, prefer: float) -> float:
    """The threshold with the highest F1: ``prefer`` if it is one of the best (nothing says
    to move), else the middle of the run of equally good candidates nearest ``prefer``
    (between two observed confidences any threshold is as good; the middle is the least
    tied to either)."""
    top = f1 >= f1.max() - 1e-12
    at = int(np.argmin(np.abs(grid - prefer)))
    if top[at] and abs(grid[at] - prefer) < 1e-9:
        return float(prefer)
    idx = np.flatnonzero(top)
    start = stop = int(idx[np.argmin(np.abs(grid[idx] - prefer))])
    while start > 0 and top[start - 1]:
        start -= 1
    while stop + 1 < grid.size and top[stop + 1]:
        stop += 1
    return float((grid[start] + grid[stop]) / 2)


class DisplayRule(BaseEstimator):
    """``fit(proba, Y, always, eligible)`` on out-of-fold confidences of decided rows:
    ``always`` marks what is shown whatever the threshold (each row's best stored
    suggestion), ``eligible`` what a threshold may show (the other stored ones). Then
    ``thresholds_`` (one per code) and ``shown(proba, always, eligible)``."""

    def __init__(self, base: float = BASE, floor: float = FLOOR, pooled_rows: float = 200.0,
                 code_positives: float | None = 50.0, min_rows: int = 50) -> None:
        self.base = base
        self.floor = floor
        self.pooled_rows = pooled_rows
        self.code_positives = code_positives
        self.min_rows = min_rows

    def fit(self, proba: np.ndarray, Y: np.ndarray, always: np.ndarray, eligible: np.ndarray) -> DisplayRule:
        proba = np.asarray(proba, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.int64) == 1
        always = np.asarray(always, dtype=bool).reshape(Y.shape)
        eligible = np.asarray(eligible, dtype=bool).reshape(Y.shape) & ~always
        n, k = Y.shape
        self.n_rows_ = int(n)
        self.pooled_ = float(self.base)
        self.thresholds_ = np.full(k, float(self.base))
        if n < self.min_rows or Y.sum() < 5:
            return self
        grid = GRID[GRID >= self.floor - 1e-9]
        # per code and candidate: what the threshold adds to the always-shown ones
        over = eligible[..., None] & (proba[..., None] >= grid)  # (n, k, grid)
        add_shown = over.sum(axis=0)  # (k, grid)
        add_tp = (over & Y[..., None]).sum(axis=0)
        base_shown = always.sum(axis=0)  # (k,)
        base_tp = (always & Y).sum(axis=0)
        positives = Y.sum(axis=0)
        f1 = _f1(base_tp.sum() + add_tp.sum(axis=0), base_shown.sum() + add_shown.sum(axis=0), positives.sum())
        share = n / (n + self.pooled_rows)
        self.pooled_ = max(self.floor, self.base + share * (_best(grid, f1, self.base) - self.base))
        self.thresholds_[:] = self.pooled_
        if self.code_positives is None:
            return self
        for j in np.flatnonzero(positives):
            f1_j = _f1(base_tp[j] + add_tp[j], base_shown[j] + add_shown[j], positives[j])
            w = positives[j] / (positives[j] + self.code_positives)
            self.thresholds_[j] = max(self.floor, self.pooled_ + w * (_best(grid, f1_j, self.pooled_) - self.pooled_))
        return self

    def shown(self, proba: np.ndarray, always: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        """``always``, and of ``eligible`` those at their code's threshold or above."""
        thresholds = getattr(self, "thresholds_", None)
        if thresholds is None:
            thresholds = np.full(np.asarray(proba).shape[1], float(self.base))
        return np.asarray(always, dtype=bool) | (np.asarray(eligible, dtype=bool) & (np.asarray(proba) >= thresholds))
