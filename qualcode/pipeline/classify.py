"""Supervised code suggestions: :class:`CodeClassifier`, one linear model per code.

Features: word (1–2-gram) and character (2–5-gram, within words) TF-IDF of the text,
plus the sentence embedding (float32, L2-normalised). Per code, a linear SVM with
balanced class weights. Five-fold cross-validation *on the training data only* gives
out-of-fold scores, from which each code gets

* a threshold that maximises its F1 in cross-validation, shrunk towards the SVM's own
  zero margin by ``positives / (positives + threshold_shrinkage)``: with few coded
  examples the tuned threshold is mostly noise (measured on the FFT data: 200 labels,
  micro-F1 0.29 unshrunk vs 0.53 shrunk; all 1,747: 0.625 vs 0.639). A code never
  seen positive gets no threshold and is never predicted; and
* a Platt calibration (``sigmoid(a·score + b)``), so that a confidence of 0.8 means
  about 80 % of such suggestions were right in cross-validation.

With ``fine_tune`` (a sentence-transformers model name or path) and at least
``fine_tune_min`` training units, a :class:`qualcode.pipeline.finetune.FineTunedHead` is
also trained and the two are averaged as probabilities: the SVMs' Platt probability and
the head's, half each. The head has no out-of-fold scores (that would take five
fine-tunings), so a code is predicted where the mean passes the mean of the two models'
own decision points (the SVMs' probability at their cross-validated threshold, the
head's 0.5). This rule was chosen on inner validation splits of the FFT training rows
(three fine-tunings; micro / macro F1 0.706 / 0.602, 0.697 / 0.593, 0.698 / 0.545)
over the average of the two logits (0.701 / 0.562, 0.691 / 0.555, 0.697 / 0.533);
averaged probabilities against a flat 0.5 (0.709 / 0.548, 0.699 / 0.522, 0.688 / 0.488)
or the head's probability corrected for its positive-class weight (macro 0.46–0.51)
lost rare codes. ``qualcode evaluate`` on the FFT test split: see
:mod:`qualcode.pipeline.finetune`.

When every (or nearly every, ≥ 95 %) training unit has at least one code, a unit with
no code over threshold gets its best code anyway ("at least one"); this is learnt
from the training labels, not assumed. Learned attributes end in ``_``; results are
deterministic for a given ``random_state``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.base import BaseEstimator, clone


def as_embeddings(texts: Sequence[str], embeddings: np.ndarray | None, embedder: object | None) -> np.ndarray:
    """The texts' embeddings as float32: given, or made by ``embedder``; one row per text."""
    if embeddings is not None:
        X = np.asarray(embeddings, dtype=np.float32)
    elif embedder is not None:
        X = np.asarray(embedder.encode(list(texts)), dtype=np.float32)
    else:
        raise ValueError("embeddings are needed (or an embedder to make them)")
    if X.shape[0] != len(texts):
        raise ValueError(f"{len(texts)} texts but {X.shape[0]} embeddings")
    return X


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function, clipped so that no score overflows."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def _platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Fit sigmoid(a·s + b) to labels by Newton's method with Platt's target smoothing."""
    n_pos, n_neg = float(y.sum()), float(len(y) - y.sum())
    if n_pos == 0 or n_neg == 0:
        return 0.0, float(np.log((n_pos + 1) / (n_neg + 1)))
    t = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    a, b = 1.0, float(np.log((n_pos + 1) / (n_neg + 1)))
    for _ in range(100):
        p = sigmoid(a * scores + b)
        g = np.array([((p - t) * scores).sum(), (p - t).sum()])
        w = p * (1 - p) + 1e-9
        H = np.array([[(w * scores * scores).sum() + 1e-6, (w * scores).sum()],
                      [(w * scores).sum(), w.sum() + 1e-6]])
        step = np.linalg.solve(H, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-8:
            break
    return float(a), float(b)


class PlattCalibrator:
    """Per-column Platt scaling: ``fit(scores, Y)`` then ``transform(scores)`` → probabilities."""

    def fit(self, scores: np.ndarray, Y: np.ndarray) -> PlattCalibrator:
        self.params_ = np.array([_platt(scores[:, k], Y[:, k]) for k in range(Y.shape[1])])
        return self

    def transform(self, scores: np.ndarray) -> np.ndarray:
        z = scores * self.params_[:, 0] + self.params_[:, 1]
        return sigmoid(z)


class CodeClassifier(BaseEstimator):
    def __init__(self, C: float = 0.5, folds: int = 5, text_features: bool = True,
                 embedding_weight: float = 1.0, at_least_one: str | bool = "auto",
                 threshold_shrinkage: float = 10.0, random_state: int = 0, fine_tune: str | None = None,
                 fine_tune_min: int = 200, progress: Callable[[int, int], None] | None = None,
                 fine_tune_cache: str | None = None, embedder: object | None = None) -> None:
        self.C = C
        self.embedder = embedder
        self.fine_tune_cache = fine_tune_cache
        self.fine_tune = fine_tune
        self.fine_tune_min = fine_tune_min
        self.progress = progress
        self.threshold_shrinkage = threshold_shrinkage
        self.folds = folds
        self.text_features = text_features
        self.embedding_weight = embedding_weight
        self.at_least_one = at_least_one
        self.random_state = random_state

    # -- features
    def _fit_features(self, texts: Sequence[str], embeddings: np.ndarray):  # noqa: ANN202
        from scipy.sparse import csr_matrix, hstack
        from sklearn.feature_extraction.text import TfidfVectorizer

        parts = []
        vectorizers = []
        if self.text_features:
            min_df = 2 if len(texts) >= 50 else 1
            vectorizers = [TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, sublinear_tf=True),
                           TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=min_df, sublinear_tf=True)]
            for v in vectorizers:
                try:
                    parts.append(v.fit_transform(texts))
                except ValueError:  # no term survives (e.g. empty texts): leave this view out
                    parts.append(None)
        parts = [p for p in parts if p is not None]
        self._vectorizers = [v for v in vectorizers if hasattr(v, "vocabulary_")]
        parts.append(csr_matrix(np.asarray(embeddings, dtype=np.float32) * self.embedding_weight))
        return hstack(parts).tocsr()

    def _features(self, texts: Sequence[str], embeddings: np.ndarray):  # noqa: ANN202
        from scipy.sparse import csr_matrix, hstack

        parts = [v.transform(texts) for v in self._vectorizers]
        parts.append(csr_matrix(np.asarray(embeddings, dtype=np.float32) * self.embedding_weight))
        return hstack(parts).tocsr()

    @staticmethod
    def _train(X, Y: np.ndarray, C: float, random_state: int = 0) -> list:  # noqa: ANN001
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.svm import LinearSVC

        models = []
        with warnings.catch_warnings():
            # liblinear stopping at max_iter on a few codes changes nothing measurable; a
            # coder cannot act on the warning, so it is not shown
            warnings.simplefilter("ignore", ConvergenceWarning)
            for k in range(Y.shape[1]):
                y = Y[:, k]
                if y.min() == y.max():
                    models.append(float(1.0 if y[0] else -1.0))  # constant: always / never
                else:
                    models.append(LinearSVC(C=C, class_weight="balanced", random_state=random_state).fit(X, y))
        return models

    @staticmethod
    def _scores(models: list, X) -> np.ndarray:  # noqa: ANN001
        out = np.zeros((X.shape[0], len(models)))
        for k, m in enumerate(models):
            out[:, k] = m.decision_function(X) if not isinstance(m, float) else m
        return out

    # -- estimator API
    def fit(self, texts: Sequence[str], Y: np.ndarray, *, embeddings: np.ndarray | None = None) -> CodeClassifier:
        from sklearn.model_selection import KFold

        texts = list(texts)
        embeddings = as_embeddings(texts, embeddings, self.embedder)
        Y = np.asarray(Y, dtype=np.int64)
        if Y.ndim != 2 or Y.shape[0] != len(texts):
            raise ValueError(f"Y must have one row per text ({len(texts)}), got shape {Y.shape}")
        n, k = Y.shape
        self.n_codes_ = k
        oof = np.zeros((n, k))
        folds = min(self.folds, n)
        if folds >= 2:
            splitter = KFold(folds, shuffle=True, random_state=self.random_state)
            for a, b in splitter.split(np.arange(n)):
                sub = clone(self)  # the same settings, nothing learnt
                Xa = sub._fit_features([texts[i] for i in a], embeddings[a])
                models = self._train(Xa, Y[a], self.C, self.random_state)
                oof[b] = self._scores(models, sub._features([texts[i] for i in b], embeddings[b]))
        self.thresholds_ = np.zeros(k)
        for j in range(k):
            if Y[:, j].sum() == 0:
                self.thresholds_[j] = np.inf
                continue
            if folds < 2:
                continue
            candidates = np.unique(np.quantile(oof[:, j], np.linspace(0.3, 0.999, 120)))
            f1 = [_f1(Y[:, j], oof[:, j] >= t) for t in candidates]
            positives = Y[:, j].sum()
            self.thresholds_[j] = candidates[int(np.argmax(f1))] * positives / (positives + self.threshold_shrinkage)
        self.oof_margin_ = oof - np.where(np.isinf(self.thresholds_), 0, self.thresholds_)
        self.calibrator_ = PlattCalibrator().fit(self.oof_margin_, Y)
        if self.at_least_one == "auto":
            self.at_least_one_ = bool(n and (Y.sum(axis=1) >= 1).mean() >= 0.95)
        else:
            self.at_least_one_ = bool(self.at_least_one)
        X = self._fit_features(texts, embeddings)
        self.models_ = self._train(X, Y, self.C, self.random_state)
        self.positives_ = Y.sum(axis=0)
        self.head_ = None
        if self.fine_tune and n >= self.fine_tune_min and Y.sum() > 0:
            from qualcode.pipeline.finetune import FineTunedHead

            self.head_ = FineTunedHead(self.fine_tune, random_state=self.random_state,
                                       cache_dir=self.fine_tune_cache).fit(texts, Y, self.progress)
        return self

    def _svm_margin(self, texts: list[str], embeddings: np.ndarray) -> np.ndarray:
        """The SVMs' score minus each code's threshold (−inf for a code never seen positive)."""
        return self._scores(self.models_, self._features(texts, embeddings)) - self.thresholds_

    def _blend(self, texts: list[str], margin: np.ndarray,
               progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The mean of the SVMs' calibrated probability and the fine-tuned head's, and the
        point where the mean decides: the mean of the two models' own decision points (the
        SVMs' ``sigmoid(b)`` at their cross-validated threshold, the head's 0.5)."""
        a, b = self.calibrator_.params_[:, 0], self.calibrator_.params_[:, 1]
        head = sigmoid(self.head_.decision_function(texts, progress=progress))
        return 0.5 * (sigmoid(a * margin + b) + head), 0.5 * (sigmoid(b) + 0.5)

    def decision_function(self, texts: Sequence[str], *, embeddings: np.ndarray | None = None) -> np.ndarray:
        """≥ 0 where the code is predicted (the SVMs' score minus threshold, or with a
        fine-tuned head the averaged probability minus its decision point); −inf for a
        code never seen positive."""
        texts = list(texts)
        margin = self._svm_margin(texts, as_embeddings(texts, embeddings, self.embedder))
        if self.head_ is not None:
            never = np.isinf(margin)
            proba, point = self._blend(texts, np.where(never, 0, margin))
            margin = np.where(never, margin, proba - point)
        return margin

    def predict_proba(self, texts: Sequence[str], *, embeddings: np.ndarray | None = None,
                      progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Calibrated confidences; ``progress`` follows the fine-tuned model over the texts."""
        texts = list(texts)
        embeddings = as_embeddings(texts, embeddings, self.embedder)
        margin = np.where(np.isinf(self.thresholds_), -40, self._svm_margin(texts, embeddings))
        if self.head_ is not None:
            proba, _ = self._blend(texts, margin, progress)
        else:
            proba = self.calibrator_.transform(margin)
        return np.where(np.isinf(self.thresholds_), 0.0, proba)

    def predict(self, texts: Sequence[str], *, embeddings: np.ndarray | None = None) -> np.ndarray:
        return decode(self.decision_function(texts, embeddings=embeddings), self.at_least_one_)


def decode(margin: np.ndarray, at_least_one: bool) -> np.ndarray:
    """0/1 predictions from margins; with ``at_least_one``, the best code where none passes."""
    pred = (margin >= 0).astype(np.int64)
    if at_least_one and margin.shape[1]:
        possible = np.isfinite(margin).any(axis=1)  # a code never seen positive is never forced
        empty = (pred.sum(axis=1) == 0) & possible
        pred[empty, np.argmax(np.where(np.isfinite(margin), margin, -np.inf)[empty], axis=1)] = 1
    return pred


def _f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = float((y & pred).sum())
    fp = float(((1 - y) & pred).sum())
    fn = float((y & (1 - pred)).sum())
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)
