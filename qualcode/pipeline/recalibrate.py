"""The study's own calibration of the shown confidence, fitted on its decisions only.

The engine's layers are each calibrated on their own (the codebook prior on the FFT
reference data, the classifier by Platt scaling per code on its cross-validated scores),
but what a coder reads is their blend, and only for the codes the engine ranks highest in
a segment: a blend of calibrated parts is not calibrated, and the best code of a segment
is right more often than its own score says (nearly every segment a coder reads carries
some code). :class:`ShownCalibrator` is a pooled logistic map of two numbers per
(segment, code), the logit of the blended confidence and whether it is the segment's best
code, fitted on *out-of-fold* blended confidences of the decided segments (the
classifier's cross-validated scores, each decided segment's neighbours without itself),
so it sees the engine as it meets a segment it was not trained on. Pooled over codes,
two weights and an intercept, it needs no per-code examples; with ``n`` decided segments
its weights move from the identity (``1, 0, 0``) towards the fitted ones by
``n / (n + shrinkage_rows)``, so a few dozen decisions cannot swing it.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from qualcode.pipeline.classify import sigmoid

IDENTITY = (1.0, 0.0, 0.0)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _features(proba: np.ndarray) -> np.ndarray:
    """(n, codes, 2): logit of the confidence, 1 for the row's best code."""
    proba = np.asarray(proba, dtype=np.float64)
    best = np.zeros(proba.shape)
    if proba.size:
        best[np.arange(proba.shape[0]), proba.argmax(axis=1)] = 1.0
    return np.stack([_logit(proba), best], axis=-1)


class ShownCalibrator(BaseEstimator):
    """``fit(proba, Y, columns)`` on out-of-fold confidences of decided rows, then
    ``transform(proba)``; ``columns`` are the codes the map is fitted on (those the engine
    can suggest). Below ``min_rows`` decided rows or 5 applied codes: the identity."""

    def __init__(self, shrinkage_rows: float | None = 200.0, min_rows: int = 50, C: float = 1.0,
                 random_state: int | None = 0) -> None:
        self.shrinkage_rows = shrinkage_rows
        self.min_rows = min_rows
        self.C = C
        self.random_state = random_state

    def fit(self, proba: np.ndarray, Y: np.ndarray, columns: np.ndarray | None = None) -> ShownCalibrator:
        from sklearn.linear_model import LogisticRegression

        proba, Y = np.asarray(proba, dtype=np.float64), np.asarray(Y, dtype=np.int64)
        columns = np.arange(Y.shape[1]) if columns is None else np.asarray(columns)
        self.weights_ = IDENTITY
        self.n_rows_ = int(Y.shape[0])
        y = Y[:, columns].ravel()
        if self.n_rows_ < self.min_rows or y.sum() < 5 or y.min() == y.max():
            return self
        F = _features(proba)[:, columns].reshape(-1, 2)
        lr = LogisticRegression(C=self.C, max_iter=1000, random_state=self.random_state).fit(F, y)
        fitted = np.append(lr.coef_[0], lr.intercept_[0])
        share = self.n_rows_ / (self.n_rows_ + self.shrinkage_rows)
        self.weights_ = tuple(float(v) for v in share * fitted + (1 - share) * np.array(IDENTITY))
        return self

    def transform(self, proba: np.ndarray) -> np.ndarray:
        proba = np.asarray(proba, dtype=np.float64)
        if getattr(self, "weights_", IDENTITY) == IDENTITY or not proba.size:
            return proba
        a, b, c = self.weights_
        F = _features(proba)
        return np.where(proba > 0, sigmoid(a * F[..., 0] + b * F[..., 1] + c), 0.0)
