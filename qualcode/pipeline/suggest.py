"""Code suggestions: :class:`CodebookMatcher`, a scikit-learn style estimator.

``fit(X, Y, prototypes=…, prototype_codes=…)`` then ``predict_proba(X)``.

* Cold start: each code is described by *prototypes*, the embeddings of its
  definition (with include rules) and of its example quotes. A segment's score for a
  code is its highest cosine similarity to the code's prototypes. Scores become
  confidences through a logistic curve centred on a per-code threshold: the
  ``prior_quantile`` of the scores the code gets across the corpus, and never below
  ``min_similarity``, so each code is suggested for the segments that stand out for it;
  that is multiplied by a second curve on the gap to the segment's best code (within
  ``margin`` counts as near the top), so that a segment close to every code is not
  suggested every code.
* Learning: where coders have decided a code on both some segments (applied) and some
  others (rejected or applied other codes), a logistic regression on the embeddings is
  blended with the prior, weighted ``n / (n + prior_weight)`` by the number ``n`` of
  decided segments, so that a code with few examples leans on its definition.

Learned attributes end in ``_``; everything is deterministic given ``random_state``.
``Y`` holds 1 (applied), 0 (not applied) or NaN (not decided) per segment and code.
"""

from __future__ import annotations

import numpy as np


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


class CodebookMatcher:
    def __init__(self, prior_quantile: float = 0.8, min_similarity: float = 0.3,
                 temperature: float = 0.04, margin: float = 0.05, prior_weight: float = 10.0,
                 C: float = 1.0, random_state: int | None = 0) -> None:
        self.prior_quantile = prior_quantile
        self.margin = margin
        self.min_similarity = min_similarity
        self.temperature = temperature
        self.prior_weight = prior_weight
        self.C = C
        self.random_state = random_state

    # -- the prior from the codebook
    def _prototype_scores(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sims = X @ self.prototypes_.T  # (n, m)
        scores = np.full((X.shape[0], self.n_codes_), -1.0, dtype=np.float32)
        best = np.zeros((X.shape[0], self.n_codes_), dtype=np.int64)
        for k in range(self.n_codes_):
            cols = np.flatnonzero(self.prototype_codes_ == k)
            if cols.size:
                sub = sims[:, cols]
                arg = sub.argmax(axis=1)
                scores[:, k] = sub[np.arange(X.shape[0]), arg]
                best[:, k] = cols[arg]
        return scores, best

    def fit(self, X: np.ndarray, Y: np.ndarray | None = None, *, prototypes: np.ndarray,
            prototype_codes: np.ndarray, n_codes: int | None = None) -> CodebookMatcher:
        X = np.asarray(X, dtype=np.float32)
        self.prototypes_ = np.asarray(prototypes, dtype=np.float32)
        self.prototype_codes_ = np.asarray(prototype_codes, dtype=np.int64)
        self.n_codes_ = int(n_codes if n_codes is not None else self.prototype_codes_.max() + 1)
        scores, _ = self._prototype_scores(X) if X.shape[0] else (np.zeros((0, self.n_codes_)), None)
        if X.shape[0]:
            self.thresholds_ = np.maximum(np.quantile(scores, self.prior_quantile, axis=0),
                                          self.min_similarity).astype(np.float32)
        else:
            self.thresholds_ = np.full(self.n_codes_, max(self.min_similarity, 0.4), dtype=np.float32)
        self.classifiers_: list[object | None] = [None] * self.n_codes_
        self.n_decided_ = np.zeros(self.n_codes_, dtype=np.int64)
        self.positive_index_: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * self.n_codes_
        self.X_fit_ = X
        if Y is not None and X.shape[0]:
            Y = np.asarray(Y, dtype=np.float64)
            if Y.shape != (X.shape[0], self.n_codes_):
                raise ValueError(f"Y must have shape {(X.shape[0], self.n_codes_)}, got {Y.shape}")
            from sklearn.linear_model import LogisticRegression

            for k in range(self.n_codes_):
                known = ~np.isnan(Y[:, k])
                y = Y[known, k]
                self.n_decided_[k] = int(known.sum())
                self.positive_index_[k] = np.flatnonzero(known & (Y[:, k] == 1))
                if y.size and 0 < y.sum() < y.size:
                    clf = LogisticRegression(C=self.C, class_weight="balanced", max_iter=1000,
                                             random_state=self.random_state)
                    clf.fit(X[known], y.astype(int))
                    self.classifiers_[k] = clf
        return self

    def prior_proba(self, X: np.ndarray) -> np.ndarray:
        scores, _ = self._prototype_scores(np.asarray(X, dtype=np.float32))
        near_top = _sigmoid((scores - scores.max(axis=1, keepdims=True) + self.margin) / self.temperature)
        return _sigmoid((scores - self.thresholds_) / self.temperature) * near_top

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(n_segments, n_codes) confidences in [0, 1]."""
        X = np.asarray(X, dtype=np.float32)
        proba = self.prior_proba(X)
        for k, clf in enumerate(self.classifiers_):
            if clf is None:
                continue
            w = self.n_decided_[k] / (self.n_decided_[k] + self.prior_weight)
            proba[:, k] = w * clf.predict_proba(X)[:, 1] + (1 - w) * proba[:, k]
        return proba

    def explain(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Why: per (segment, code), the nearest prototype index, and the nearest coded
        segment (row of the fitted X) where the code has applied examples, else -1."""
        X = np.asarray(X, dtype=np.float32)
        _, best = self._prototype_scores(X)
        nearest = np.full(best.shape, -1, dtype=np.int64)
        for k, idx in enumerate(self.positive_index_):
            if idx.size:
                nearest[:, k] = idx[(X @ self.X_fit_[idx].T).argmax(axis=1)]
        return best, nearest
