"""Code suggestions: :class:`CodeSuggester`, the one engine ``qualcode code`` stores, the
app shows and ``qualcode evaluate`` measures.

Three layers, each a probability that a coder applies the code to the segment:

1. **The codebook prior** (:class:`CodebookMatcher`). Each code is described by
   *prototypes*, the embeddings of its description and of its example quotes
   (:mod:`qualcode.pipeline.prototypes`). A segment's score for a code is its highest
   cosine similarity to the code's prototypes. Four numbers say how much a score stands
   out: its distance above the code's threshold (the ``prior_quantile`` of the scores
   the code gets across the corpus, never below ``min_similarity``), its gap to the
   segment's best code, the score itself, and whether it is the segment's best code. A
   logistic curve on the four turns them into a confidence whose weights were fitted on
   the FFT comments coded against the written definitions of the FFT framework
   (version 7, training split of seed 42; with the best-code term and the definitions'
   sentences as prototypes the test split's cold-start micro-F1 rose from 0.291 to
   0.404, macro-F1 fell from 0.249 to 0.192, ECE rose from 0.027 to 0.078: the likeliest
   code is shown more often and right more often, the rare codes less). A codebook with
   another number of codes gets the intercept shifted by the change in base rate (the usual
   prior-shift correction). As a study's coders decide, the weights move towards
   the ones fitted on their decisions, by ``n / (n + recalibration_rows)`` for ``n``
   decided segments: a dozen decisions cannot overturn a calibration fitted on 1,500.
2. **Neighbour evidence.** Every decided segment is evidence about the segments like
   it: the prior is the mean of a Beta distribution of strength ``prior_strength``, and
   each of the ``neighbours`` most similar decided segments adds its decision (1 applied,
   0 not) with weight ``exp((cos − 1) / bandwidth)``. An acceptance raises the code on
   similar segments, a rejection lowers it, and a code nobody decided near a segment
   keeps its prior there: a code's suggestions do not vanish because other codes got
   examples.
3. **The classifier** (:class:`qualcode.pipeline.classify.CodeClassifier`: TF-IDF +
   embeddings, cross-validated thresholds, Platt calibration; optionally a fine-tuned
   head), once ``min_labelled`` segments are decided, blended per code by
   ``positives / (positives + prior_weight)``: a code with few coded examples leans on
   layers 1–2. A code without prototypes (a gold column the codebook does not name)
   has no prior: its rate among the decided segments stands in for layer 1, and the
   classifier alone decides it once there is one.

4. **The study's calibration** (:class:`qualcode.pipeline.recalibrate.ShownCalibrator`):
   from 50 decided segments, the blend of the codes the codebook describes goes through a
   pooled logistic map fitted on the decided segments' out-of-fold blend, kept only where
   the out-of-fold F1 of what is shown does not fall.
5. **Acknowledgements** (:class:`qualcode.pipeline.acknowledgements.AcknowledgementGate`):
   a short reply nearer generic acknowledgements than any code ("Yes.", "That's right.")
   has its confidences multiplied by how often such replies carry a code, learnt from the
   decisions (before any, a tenth in a dialogue).

The decision rule lives here too: ``qualcode code`` stores each segment's best
``top_k`` codes at ``floor`` or above (:meth:`CodeSuggester.stored`); of them the best is
shown and any other at its code's show threshold or above (:meth:`CodeSuggester.shown`),
thresholds learnt from the decided segments' out-of-fold confidences
(:class:`qualcode.pipeline.display.DisplayRule`; :data:`SHOW_THRESHOLD` for every code
before 50 decisions, the fixed rule of :func:`is_shown`). ``qualcode code`` stores that
decision with each suggestion and the app follows it, and :meth:`CodeSuggester.predict`
(what ``qualcode evaluate`` scores) is exactly what is shown. The estimators follow scikit-learn's contract: hyper-parameters in ``__init__``
(``sklearn.base.clone`` rebuilds them), one ``fit(texts, Y, *, embeddings=None)``,
learned attributes ending in ``_``, deterministic given ``random_state``. ``Y`` holds 1
(applied), 0 (not applied) or NaN (not decided) per segment and code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.base import BaseEstimator

from qualcode.pipeline.acknowledgements import AcknowledgementGate
from qualcode.pipeline.classify import CodeClassifier, as_embeddings, sigmoid
from qualcode.pipeline.display import DisplayRule
from qualcode.pipeline.recalibrate import ShownCalibrator

SHOW_THRESHOLD = 0.5  # shown from this confidence before the decisions teach a rule: more likely right than not
FLOOR = 0.3  # stored (and listed by `qualcode suggestions`) from this confidence
TOP_K = 5  # at most this many stored suggestions a segment
MIN_LABELLED = 25  # decided segments before a classifier is trained and the prior recalibrated

# Fitted on the FFT v7 training split (seed 42) against codebook_v7.csv (logistic
# regression, C=10): weights of (score − threshold), (score − best score), score, "is the
# segment's best code", intercept; 32 codes, 1.41 codes a comment.
REFERENCE_CALIBRATION = (-8.23, 9.54, 12.19, 1.03, -5.56)
REFERENCE_CODES_PER_SEGMENT = 1.41
REFERENCE_N_CODES = 32


def is_shown(confidence: float, rank: int, threshold: float = SHOW_THRESHOLD) -> bool:
    """The fixed display rule (an engine with fewer than 50 decisions, and suggestions
    stored before the engine stored its own decision): the segment's best one (``rank`` 0,
    the highest stored confidence), or any at ``threshold`` or above. The best guess is shown
    even below the threshold, with its confidence, because nearly every segment a coder
    reads carries some code, and one honest "38 %" beside the likeliest code saves a
    search through the codebook (on the FFT test split, seed 42, without fine-tuning:
    micro-F1 0.638 → 0.652 at full training, 0.096 → 0.291 from the codebook alone with
    the earlier prior; 0.404 with the present one).
    Segments that carry no code (short acknowledgements) fall below the floor, so are
    never stored, so never shown."""
    return rank == 0 or confidence >= threshold


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def _shown_f1(shown: np.ndarray, Y: np.ndarray) -> float:
    """Micro-F1 of a shown mask against 0/1 decisions."""
    tp = float((shown & (Y == 1)).sum())
    return 0.0 if tp == 0 else 2 * tp / (shown.sum() + (Y == 1).sum())


class CodebookMatcher(BaseEstimator):
    """The codebook prior alone: ``fit(texts, Y=None, *, embeddings)`` learns each code's
    threshold from the corpus (and the calibration from any decisions in ``Y``)."""

    def __init__(self, prototypes: np.ndarray | None = None, prototype_codes: np.ndarray | None = None,
                 n_codes: int | None = None, prior_quantile: float = 0.8, min_similarity: float = 0.3,
                 calibration: tuple[float, ...] = REFERENCE_CALIBRATION,
                 codes_per_segment: float = REFERENCE_CODES_PER_SEGMENT, recalibration_rows: int = 100,
                 min_rows: int = MIN_LABELLED, random_state: int | None = 0, embedder: object | None = None) -> None:
        self.prototypes = prototypes
        self.prototype_codes = prototype_codes
        self.n_codes = n_codes
        self.prior_quantile = prior_quantile
        self.min_similarity = min_similarity
        self.calibration = calibration
        self.codes_per_segment = codes_per_segment
        self.recalibration_rows = recalibration_rows
        self.min_rows = min_rows
        self.random_state = random_state
        self.embedder = embedder

    def _prototype_scores(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per (segment, code): the best cosine to the code's prototypes (−1 with none), and which."""
        scores = np.full((X.shape[0], self.n_codes_), -1.0, dtype=np.float32)
        best = np.full((X.shape[0], self.n_codes_), -1, dtype=np.int64)
        if not self.prototypes_.shape[0]:
            return scores, best
        sims = X @ self.prototypes_.T
        for k in range(self.n_codes_):
            cols = np.flatnonzero(self.prototype_codes_ == k)
            if cols.size:
                sub = sims[:, cols]
                arg = sub.argmax(axis=1)
                scores[:, k] = sub[np.arange(X.shape[0]), arg]
                best[:, k] = cols[arg]
        return scores, best

    def fit(self, texts: Sequence[str], Y: np.ndarray | None = None, *,
            embeddings: np.ndarray | None = None) -> CodebookMatcher:
        texts = list(texts)
        X = as_embeddings(texts, embeddings, self.embedder)
        d = X.shape[1] if X.ndim == 2 else 0
        self.prototypes_ = (np.zeros((0, d), dtype=np.float32) if self.prototypes is None
                            else np.asarray(self.prototypes, dtype=np.float32))
        self.prototype_codes_ = np.asarray([] if self.prototype_codes is None else self.prototype_codes,
                                           dtype=np.int64)
        if self.n_codes is not None:
            self.n_codes_ = int(self.n_codes)
        elif Y is not None:
            self.n_codes_ = int(np.asarray(Y).shape[1])
        else:
            self.n_codes_ = int(self.prototype_codes_.max() + 1) if self.prototype_codes_.size else 0
        self.has_prototypes_ = np.isin(np.arange(self.n_codes_), self.prototype_codes_)
        scores, _ = self._prototype_scores(X)
        if X.shape[0]:
            self.thresholds_ = np.maximum(np.quantile(scores, self.prior_quantile, axis=0),
                                          self.min_similarity).astype(np.float32)
        else:
            self.thresholds_ = np.full(self.n_codes_, max(self.min_similarity, 0.4), dtype=np.float32)
        rate = min(0.5, self.codes_per_segment / max(self.n_codes_, 1))
        self.shift_ = _logit(rate) - _logit(REFERENCE_CODES_PER_SEGMENT / REFERENCE_N_CODES)
        self.calibration_ = tuple(float(v) for v in self.calibration)
        self.n_calibration_rows_ = 0
        if Y is not None:
            self._calibrate(X, np.asarray(Y, dtype=np.float64))
        return self

    def _features(self, X: np.ndarray) -> np.ndarray:
        """(n_segments, n_codes, 4): score above the code's threshold, gap to the segment's
        best code, the score itself, and 1 for the segment's best code (the likeliest code
        of a segment is right far more often than its score alone says: nearly every
        segment a coder reads carries some code)."""
        scores, _ = self._prototype_scores(np.asarray(X, dtype=np.float32))
        best = scores.max(axis=1, keepdims=True) if scores.shape[1] else scores
        return np.stack([scores - self.thresholds_, scores - best, scores,
                         (scores >= best).astype(np.float32)], axis=-1).astype(np.float64)

    def _calibrate(self, X: np.ndarray, Y: np.ndarray) -> None:
        """Move the calibration weights towards those fitted on the decided rows, by
        ``n / (n + recalibration_rows)``; unchanged below ``min_rows`` decided rows or 3
        applied codes (a logistic fit on fewer says nothing)."""
        from sklearn.linear_model import LogisticRegression

        rows = ~np.isnan(Y).all(axis=1)
        sub = Y[rows][:, self.has_prototypes_]
        known = ~np.isnan(sub)
        n = int(rows.sum())
        if n < self.min_rows or sub[known].sum() < 3 or sub[known].min() == 1:
            return
        features = self._features(X[rows])[:, self.has_prototypes_][known]
        lr = LogisticRegression(C=10.0, max_iter=1000, random_state=self.random_state).fit(
            features, sub[known].astype(int))
        fitted = np.append(lr.coef_[0], lr.intercept_[0])
        reference = np.array(self.calibration_)
        reference[-1] += self.shift_
        share = n / (n + self.recalibration_rows)
        self.calibration_ = tuple(float(v) for v in share * fitted + (1 - share) * reference)
        self.shift_ = 0.0  # the base rate is in the intercept now
        self.n_calibration_rows_ = n

    def predict_proba(self, texts: Sequence[str], *, embeddings: np.ndarray | None = None) -> np.ndarray:
        """(n_segments, n_codes) confidences; 0 for a code with no prototype."""
        X = as_embeddings(list(texts), embeddings, self.embedder)
        weights = np.asarray(self.calibration_, dtype=np.float64)
        z = self._features(X) @ weights[:-1] + weights[-1] + self.shift_
        return np.where(self.has_prototypes_, sigmoid(z), 0.0)

    def nearest_prototype(self, embeddings: np.ndarray) -> np.ndarray:
        """Per (segment, code), the index of the nearest prototype (−1 with none): the reason."""
        return self._prototype_scores(np.asarray(embeddings, dtype=np.float32))[1]


class CodeSuggester(BaseEstimator):
    """The suggestion engine (see the module docstring): prior, neighbours, classifier."""

    def __init__(self, prototypes: np.ndarray | None = None, prototype_codes: np.ndarray | None = None,
                 prior_weight: float = 5.0, prior_strength: float = 2.0, neighbours: int = 10,
                 bandwidth: float = 0.1, min_labelled: int = MIN_LABELLED, floor: float = FLOOR, top_k: int = TOP_K,
                 show_threshold: float = SHOW_THRESHOLD, fine_tune: str | None = None, fine_tune_min: int = 200,
                 fine_tune_cache: str | None = None, progress: Callable[[int, int], None] | None = None,
                 random_state: int = 0, embedder: object | None = None,
                 acknowledgements: np.ndarray | None = None, dialogue: bool = False,
                 calibration_rows: float | None = 200.0, display_rows: float | None = 200.0,
                 display_positives: float | None = 50.0) -> None:
        self.calibration_rows = calibration_rows
        self.display_rows = display_rows
        self.display_positives = display_positives
        self.prototypes = prototypes
        self.acknowledgements = acknowledgements
        self.dialogue = dialogue
        self.prototype_codes = prototype_codes
        self.prior_weight = prior_weight
        self.prior_strength = prior_strength
        self.neighbours = neighbours
        self.bandwidth = bandwidth
        self.min_labelled = min_labelled
        self.floor = floor
        self.top_k = top_k
        self.show_threshold = show_threshold
        self.fine_tune = fine_tune
        self.fine_tune_min = fine_tune_min
        self.fine_tune_cache = fine_tune_cache
        self.progress = progress
        self.random_state = random_state
        self.embedder = embedder

    def fit(self, texts: Sequence[str], Y: np.ndarray, *, embeddings: np.ndarray | None = None) -> CodeSuggester:
        """``texts``: every segment of the corpus (the undecided ones set the prior's
        thresholds); ``Y``: 1 / 0 / NaN per segment and code, NaN rows undecided."""
        texts = list(texts)
        X = as_embeddings(texts, embeddings, self.embedder)
        Y = np.asarray(Y, dtype=np.float64)
        if Y.ndim != 2 or Y.shape[0] != X.shape[0]:
            raise ValueError(f"Y must have one row per text ({X.shape[0]}), got shape {Y.shape}")
        self.n_codes_ = Y.shape[1]
        self.prior_ = CodebookMatcher(self.prototypes, self.prototype_codes, n_codes=self.n_codes_,
                                      random_state=self.random_state).fit(texts, Y, embeddings=X)
        self.gate_ = AcknowledgementGate(self.acknowledgements, self.dialogue).fit(
            texts, Y, embeddings=X, code_similarity=self._code_similarity(X))
        self.decided_ = np.flatnonzero(~np.isnan(Y).all(axis=1))
        Yd = np.nan_to_num(Y[self.decided_]).astype(np.int64)
        self.X_decided_ = X[self.decided_]
        self.Y_decided_ = Yd
        self.positives_ = Yd.sum(axis=0).astype(np.int64)
        self.classifier_ = None
        if self.decided_.size >= self.min_labelled and self.positives_.sum() > 0:
            self.classifier_ = CodeClassifier(folds=min(5, self.decided_.size), random_state=self.random_state,
                                              fine_tune=self.fine_tune, fine_tune_min=self.fine_tune_min,
                                              progress=self.progress, fine_tune_cache=self.fine_tune_cache)
            self.classifier_.fit([texts[i] for i in self.decided_], Yd, embeddings=self.X_decided_)
        self._fit_calibration(texts)
        self._fit_display(texts)
        return self

    def _code_similarity(self, X: np.ndarray) -> np.ndarray | None:
        """Per segment, its highest cosine to any code prototype (None without prototypes)."""
        if not self.prior_.prototypes_.shape[0]:
            return None
        return self.prior_._prototype_scores(X)[0].max(axis=1)

    @property
    def fine_tuned_(self) -> bool:
        return self.classifier_ is not None and self.classifier_.head_ is not None

    @property
    def fine_tune_reused_(self) -> bool:
        """The fine-tuned model came from the cache (the same decisions as last time)."""
        return self.fine_tuned_ and self.classifier_.head_.cached_

    def neighbour_proba(self, prior: np.ndarray, X: np.ndarray, *, leave_out: np.ndarray | None = None) -> np.ndarray:
        """Layer 2: the prior updated by the decisions on the most similar decided segments;
        ``leave_out[i]`` (an index into the decided rows) is not a neighbour of row ``i``
        (out-of-fold confidences of the decided rows themselves)."""
        if not self.decided_.size or (leave_out is not None and self.decided_.size < 2):
            return prior
        k = min(self.neighbours, self.decided_.size - (leave_out is not None))
        out = np.empty_like(prior)
        for start in range(0, X.shape[0], 4096):
            sims = X[start:start + 4096] @ self.X_decided_.T
            if leave_out is not None:
                part = leave_out[start:start + 4096]
                sims[np.arange(part.size), part] = -np.inf
            near = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            w = np.exp((np.take_along_axis(sims, near, axis=1) - 1.0) / self.bandwidth)  # (n, k)
            applied = np.einsum("nk,nkc->nc", w, self.Y_decided_[near].astype(np.float64))
            p0 = prior[start:start + 4096]
            out[start:start + 4096] = (self.prior_strength * p0 + applied) / (self.prior_strength + w.sum(axis=1,
                                                                                                       keepdims=True))
        return out

    def _blend(self, texts: list[str], X: np.ndarray, learnt: np.ndarray | None,
               leave_out: np.ndarray | None = None) -> np.ndarray:
        """Layers 1–3 blended (before the study's calibration and the acknowledgement gate)."""
        prior = self.prior_.predict_proba(texts, embeddings=X)
        blind = ~self.prior_.has_prototypes_  # a code the codebook does not describe: its rate so far
        prior[:, blind] = self.positives_[blind] / max(self.decided_.size, 1)
        proba = self.neighbour_proba(prior, X, leave_out=leave_out)
        if learnt is not None:
            weight = np.where(blind, 1.0, self.positives_ / (self.positives_ + self.prior_weight))
            proba = weight * learnt + (1 - weight) * proba
        return proba

    def _fit_calibration(self, texts: list[str]) -> None:
        """Layer 4, :class:`qualcode.pipeline.recalibrate.ShownCalibrator`, on the decided rows'
        out-of-fold blend: the classifier's cross-validated scores (Platt-scaled; a fine-tuned
        head has none, so the SVMs stand in for it), each row's neighbours without itself.
        Only the codes the codebook describes are blended, so only they are recalibrated: a
        code without prototypes is the Platt-scaled classifier alone, already calibrated by
        cross-validation (on the FFT comments without a codebook, recalibrating it anyway
        lowered micro-F1 at 100 decisions from 0.491 to 0.462, at 200 from 0.544 to 0.505)."""
        self.calibrator_ = ShownCalibrator(self.calibration_rows)
        self.calibration_kept_ = False
        self.oof_blend_ = self._oof_blend(texts)
        blended = np.flatnonzero(self.prior_.has_prototypes_)
        if self.calibration_rows is None or self.decided_.size < self.calibrator_.min_rows or not blended.size:
            return
        oof = self.oof_blend_
        self.calibrator_.fit(oof, self.Y_decided_, blended)
        # kept only where it does not cost what a coder is shown (micro-F1 of the fixed 0.5
        # rule, out of fold): on the FFT comments it lifts a 200-decision engine (more shown,
        # more found) but lowers a 1,747-decision one, whose Platt-scaled classifier already leads
        fixed = self.show_threshold
        self.calibration_kept_ = bool(_shown_f1(self.shown(self._calibrated(oof), fixed), self.Y_decided_) >=
                                      _shown_f1(self.shown(oof, fixed), self.Y_decided_))
        if not self.calibration_kept_:
            self.calibrator_ = ShownCalibrator(self.calibration_rows)

    def _oof_blend(self, texts: list[str]) -> np.ndarray | None:
        """The decided rows' blend as an engine meets a segment it was not trained on: the
        classifier's cross-validated scores (Platt-scaled; a fine-tuned head has none, so
        the SVMs stand in for it), each row's neighbours without itself. None below 2 rows."""
        if self.decided_.size < 2:
            return None
        learnt = None
        if self.classifier_ is not None:
            c = self.classifier_
            learnt = np.where(np.isinf(c.thresholds_), 0.0, c.calibrator_.transform(
                np.where(np.isinf(c.thresholds_), -40, c.oof_margin_)))
        return self._blend([texts[i] for i in self.decided_], self.X_decided_, learnt,
                           leave_out=np.arange(self.decided_.size))

    def _fit_display(self, texts: list[str]) -> None:
        """The display rule (:class:`qualcode.pipeline.display.DisplayRule`) learnt on the
        decided rows' out-of-fold confidences, exactly as :meth:`predict_proba` would give
        them (the study's calibration, the acknowledgement gate); the fixed
        ``show_threshold`` with ``display_rows=None`` or too few decisions."""
        self.display_ = DisplayRule(self.show_threshold, self.floor, pooled_rows=self.display_rows or 0.0,
                                    code_positives=self.display_positives)
        self.oof_proba_ = None
        if self.display_rows is None or self.oof_blend_ is None:
            self.display_.fit(np.zeros((0, self.n_codes_)), np.zeros((0, self.n_codes_)), [], [])
            return
        oof = self._calibrated(self.oof_blend_) if self.calibration_kept_ else self.oof_blend_
        Xd = self.X_decided_
        decided_texts = [texts[i] for i in self.decided_]
        oof = oof * self.gate_.factor(decided_texts, embeddings=Xd, code_similarity=self._code_similarity(Xd))[:, None]
        self.oof_proba_ = oof
        self.display_.fit(oof, self.Y_decided_, *self._always_eligible(oof))

    def _calibrated(self, proba: np.ndarray) -> np.ndarray:
        """The codebook's (blended) codes through the study's calibration, the others as they are."""
        out = np.array(proba, dtype=np.float64)
        blended = self.prior_.has_prototypes_
        out[:, blended] = self.calibrator_.transform(out)[:, blended]
        return out

    def predict_proba(self, texts: Sequence[str], *, embeddings: np.ndarray | None = None,
                      progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """(n_segments, n_codes) confidences in [0, 1]; ``progress(done, total)`` follows the
        fine-tuned model over the texts (the one slow step), if there is one."""
        texts = list(texts)
        X = as_embeddings(texts, embeddings, self.embedder)
        learnt = None
        if self.classifier_ is not None:
            learnt = self.classifier_.predict_proba(texts, embeddings=X, progress=progress)
        proba = self._blend(texts, X, learnt)
        if self.calibration_kept_:
            proba = self._calibrated(proba)
        return proba * self.gate_.factor(texts, embeddings=X, code_similarity=self._code_similarity(X))[:, None]

    # -- the decision rule: what is stored, what is shown
    def stored(self, proba: np.ndarray) -> np.ndarray:
        """Boolean mask of what ``qualcode code`` stores: each segment's best ``top_k`` codes
        at ``floor`` or above."""
        proba = np.asarray(proba)
        mask = np.zeros(proba.shape, dtype=bool)
        if proba.size:
            top = np.argsort(-proba, axis=1, kind="stable")[:, : self.top_k]
            np.put_along_axis(mask, top, True, axis=1)
        return mask & (proba >= self.floor)

    def _always_eligible(self, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Of the stored suggestions: each segment's best (always shown), and the others."""
        proba = np.asarray(proba)
        best = np.zeros(proba.shape, dtype=bool)
        if proba.size:
            best[np.arange(proba.shape[0]), proba.argmax(axis=1)] = True
        stored = self.stored(proba)
        return stored & best, stored & ~best

    @property
    def show_thresholds_(self) -> np.ndarray:
        """Per code, the confidence from which a stored suggestion that is not its segment's
        best is shown (learnt, see :meth:`_fit_display`)."""
        display = getattr(self, "display_", None)
        if display is None:
            return np.full(getattr(self, "n_codes_", 0), float(self.show_threshold))
        return display.thresholds_

    def shown(self, proba: np.ndarray, threshold: float | None = None) -> np.ndarray:
        """Boolean mask of what the app shows: of the stored suggestions, each segment's
        best one, and every other at its code's learnt show threshold or above
        (:attr:`show_thresholds_`; with ``threshold``, that one for every code: the fixed
        rule of :func:`is_shown`). ``qualcode code`` stores this mask, so the app shows
        exactly what was measured."""
        always, eligible = self._always_eligible(proba)
        if threshold is None:  # an engine not fitted yet: the fixed rule
            threshold = self.show_thresholds_ if hasattr(self, "display_") else self.show_threshold
        return always | (eligible & (np.asarray(proba) >= threshold))

    def predict(self, texts: Sequence[str], *, embeddings: np.ndarray | None = None) -> np.ndarray:
        """0/1 per segment and code: exactly the suggestions a coder is shown."""
        return self.shown(self.predict_proba(texts, embeddings=embeddings)).astype(np.int64)

    def explain(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per (segment, code): the nearest prototype index (−1 with none), and the most
        similar decided row (an index into the fitted rows) coded with the code, else −1."""
        X = np.asarray(embeddings, dtype=np.float32)
        best = self.prior_.nearest_prototype(X)
        nearest = np.full(best.shape, -1, dtype=np.int64)
        for k in np.flatnonzero(self.positives_):
            examples = np.flatnonzero(self.Y_decided_[:, k] == 1)
            nearest[:, k] = self.decided_[examples[(X @ self.X_decided_[examples].T).argmax(axis=1)]]
        return best, nearest
