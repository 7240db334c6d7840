"""Code suggestions: :class:`CodebookMatcher`, a scikit-learn style estimator.

``fit(X, Y, prototypes=…, prototype_codes=…)`` then ``predict_proba(X)``.

* Cold start: each code is described by *prototypes*, the embeddings of its
  definition (with include rules) and of its example quotes. A segment's score for a
  code is its highest cosine similarity to the code's prototypes. Two numbers say how
  much a score stands out: its distance above the code's threshold (the
  ``prior_quantile`` of the scores the code gets across the corpus, never below
  ``min_similarity``) and its gap to the segment's best code. A logistic curve on the two
  turns them into a confidence, *calibrated*: its three weights were fitted on the FFT
  comments coded against the written definitions of the FFT framework (version 7, the
  training split of seed 42); on the test split a confidence of 0.56 was right 57 % of
  the time, 0.38 → 40 %, 0.21 → 22 % (the uncalibrated curve used before: 0.75 → 53 %).
  A codebook with another number of codes gets the intercept shifted by the change in
  the base rate (``codes_per_segment / n_codes``), the usual prior-shift correction.
  Definitions alone rarely justify a confidence above 0.6, and the confidence says so.
* Recalibration: :meth:`calibrate` refits the three weights on the study's own decided
  segments (:class:`CodeSuggester` does so from ``min_labelled`` decisions), so the
  prior's confidence follows what this study's coders accept.
* Learning: where coders have decided a code on both some segments (applied) and some
  others (rejected or applied other codes), a logistic regression on the embeddings is
  blended with the prior, weighted ``n / (n + prior_weight)`` by the number ``n`` of
  decided segments, so that a code with few examples leans on its definition.

Learned attributes end in ``_``; everything is deterministic given ``random_state``.
``Y`` holds 1 (applied), 0 (not applied) or NaN (not decided) per segment and code.
"""

from __future__ import annotations

import numpy as np

from qualcode.pipeline.classify import CodeClassifier, sigmoid


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


# Fitted on the FFT v7 training split (seed 42) against codebook_v7.csv: weights of
# (score − threshold) and (score − best score), intercept; 32 codes, 1.41 codes a comment.
REFERENCE_CALIBRATION = (5.66, 13.91, -0.82)
REFERENCE_CODES_PER_SEGMENT = 1.41
REFERENCE_N_CODES = 32


class CodebookMatcher:
    def __init__(self, prior_quantile: float = 0.8, min_similarity: float = 0.3,
                 calibration: tuple[float, float, float] = REFERENCE_CALIBRATION,
                 codes_per_segment: float = REFERENCE_CODES_PER_SEGMENT, prior_weight: float = 10.0,
                 C: float = 1.0, random_state: int | None = 0) -> None:
        self.prior_quantile = prior_quantile
        self.min_similarity = min_similarity
        self.calibration = calibration
        self.codes_per_segment = codes_per_segment
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
        self.calibration_ = tuple(float(v) for v in self.calibration)
        self.shift_ = self._shift()
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
            self.calibrate(X, Y)
        return self

    def _prior_features(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scores, _ = self._prototype_scores(np.asarray(X, dtype=np.float32))
        return scores - self.thresholds_, scores - scores.max(axis=1, keepdims=True)

    def _shift(self) -> float:
        """Prior-shift correction of the intercept for this codebook's number of codes."""
        rate = min(0.5, self.codes_per_segment / max(self.n_codes_, 1))
        return _logit(rate) - _logit(REFERENCE_CODES_PER_SEGMENT / REFERENCE_N_CODES)

    def prior_proba(self, X: np.ndarray) -> np.ndarray:
        above, gap = self._prior_features(X)
        w_above, w_gap, bias = self.calibration_
        return sigmoid(w_above * above + w_gap * gap + bias + self.shift_)

    def calibrate(self, X: np.ndarray, Y: np.ndarray, min_rows: int = 10) -> CodebookMatcher:
        """Refit the prior's three calibration weights on decided segments (``Y``: 1, 0 or
        NaN per code); kept as they were with fewer than ``min_rows`` decided rows or
        fewer than 3 applied codes."""
        from sklearn.linear_model import LogisticRegression

        Y = np.asarray(Y, dtype=np.float64)
        rows = ~np.isnan(Y).all(axis=1)
        known = ~np.isnan(Y[rows])
        if rows.sum() < min_rows or Y[rows][known].sum() < 3 or Y[rows][known].min() == 1:
            return self
        above, gap = self._prior_features(np.asarray(X, dtype=np.float32)[rows])
        features = np.stack([above[known], gap[known]], axis=1)
        lr = LogisticRegression(C=10.0, random_state=self.random_state).fit(features, Y[rows][known].astype(int))
        self.calibration_ = (float(lr.coef_[0, 0]), float(lr.coef_[0, 1]), float(lr.intercept_[0]))
        self.shift_ = 0.0  # the study's own base rate is in the intercept now
        return self

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


class CodeSuggester:
    """The suggestion engine a study uses: the codebook prior, then learning from coders.

    ``fit(texts, Y, embeddings, prototypes=…, prototype_codes=…)`` then
    ``predict_proba(texts, embeddings)``. ``Y`` holds 1 (applied), 0 (not applied) or NaN
    (nobody decided) per segment and code; rows with any decision are the training rows.

    * Cold start (fewer than ``min_labelled`` decided rows, or none positive): the
      :class:`CodebookMatcher` prior from definitions, include rules and examples.
    * Learning: a :class:`qualcode.pipeline.classify.CodeClassifier` on the decided rows
      (TF-IDF + embeddings, CV thresholds, Platt calibration; fine-tuning of the embedding
      model with ``fine_tune`` and at least ``fine_tune_min`` rows), blended with the prior
      per code by ``positives / (positives + prior_weight)``, so that a code with few coded
      examples still leans on its definition.
    * Why: :meth:`explain` gives the nearest prototype (definition or example) and the most
      similar coded segment for each suggestion.
    """

    def __init__(self, prior_weight: float = 5.0, min_labelled: int = 10, fine_tune: str | None = None,
                 fine_tune_min: int = 200, random_state: int = 0, progress=None,  # noqa: ANN001
                 fine_tune_cache: str | None = None) -> None:
        self.prior_weight = prior_weight
        self.fine_tune_cache = fine_tune_cache
        self.min_labelled = min_labelled
        self.fine_tune = fine_tune
        self.fine_tune_min = fine_tune_min
        self.random_state = random_state
        self.progress = progress

    def fit(self, texts, Y: np.ndarray, embeddings: np.ndarray, *, prototypes: np.ndarray,  # noqa: ANN001
            prototype_codes: np.ndarray) -> CodeSuggester:
        texts = list(texts)
        X = np.asarray(embeddings, dtype=np.float32)
        Y = np.asarray(Y, dtype=np.float64)
        if Y.shape[0] != X.shape[0] or len(texts) != X.shape[0]:
            raise ValueError("texts, Y and embeddings must have the same number of rows")
        self.prior_ = CodebookMatcher(random_state=self.random_state).fit(
            X, prototypes=prototypes, prototype_codes=prototype_codes, n_codes=Y.shape[1])
        self.decided_ = np.flatnonzero(~np.isnan(Y).all(axis=1))
        Yd = np.nan_to_num(Y[self.decided_]).astype(np.int64)
        self.positives_ = Yd.sum(axis=0).astype(np.int64)
        self.classifier_ = None
        self.prior_.calibrate(X, Y, self.min_labelled)  # the prior follows this study's coders
        if self.decided_.size >= self.min_labelled and self.positives_.sum() > 0:
            self.classifier_ = CodeClassifier(folds=min(5, self.decided_.size), random_state=self.random_state,
                                              fine_tune=self.fine_tune, fine_tune_min=self.fine_tune_min,
                                              progress=self.progress, fine_tune_cache=self.fine_tune_cache)
            self.classifier_.fit([texts[i] for i in self.decided_], Yd, X[self.decided_])
        else:
            self.positives_ = np.zeros_like(self.positives_)  # nothing learnt: the prior alone
        self.X_decided_ = X[self.decided_]
        self.Y_decided_ = Yd
        return self

    @property
    def fine_tuned_(self) -> bool:
        return self.classifier_ is not None and self.classifier_.head_ is not None

    @property
    def fine_tune_reused_(self) -> bool:
        """The fine-tuned model came from the cache (the same decisions as last time)."""
        return self.fine_tuned_ and self.classifier_.head_.cached_

    def predict_proba(self, texts, embeddings: np.ndarray, progress=None) -> np.ndarray:  # noqa: ANN001
        """(n_segments, n_codes) confidences in [0, 1]; ``progress(done, total)`` follows the
        fine-tuned model over the texts (the one slow step), if there is one."""
        X = np.asarray(embeddings, dtype=np.float32)
        proba = self.prior_.prior_proba(X)
        if self.classifier_ is not None:
            weight = self.positives_ / (self.positives_ + self.prior_weight)
            proba = weight * self.classifier_.predict_proba(list(texts), X, progress) + (1 - weight) * proba
        return proba

    def explain(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per (segment, code): the nearest prototype index, and the most similar decided
        row (an index into the fitted rows) coded with the code, else -1."""
        X = np.asarray(embeddings, dtype=np.float32)
        best, _ = self.prior_.explain(X)
        nearest = np.full(best.shape, -1, dtype=np.int64)
        for k in np.flatnonzero(self.positives_):
            examples = np.flatnonzero(self.Y_decided_[:, k] == 1)
            nearest[:, k] = self.decided_[examples[(X @ self.X_decided_[examples].T).argmax(axis=1)]]
        return best, nearest
