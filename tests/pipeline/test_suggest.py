from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from qualcode.pipeline.embed import HashingEmbedder
from qualcode.pipeline.suggest import (
    REFERENCE_CALIBRATION,
    SHOW_THRESHOLD,
    CodebookMatcher,
    CodeSuggester,
    is_shown,
)


def blobs(seed: int = 0, n: int = 60, d: int = 16):
    rng = np.random.default_rng(seed)
    centres = np.eye(d)[:3]
    labels = rng.integers(0, 3, n)
    X = centres[labels] + 0.25 * rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype(np.float32), labels, centres.astype(np.float32)


def matcher(centres, **kw):
    return CodebookMatcher(centres, np.arange(len(centres)), **kw)


def test_cold_start_shapes_and_ranking():
    X, labels, centres = blobs()
    m = matcher(centres).fit([""] * 60, embeddings=X)
    proba = m.predict_proba([""] * 60, embeddings=X)
    assert proba.shape == (60, 3) and ((proba >= 0) & (proba <= 1)).all()
    assert (proba.argmax(axis=1) == labels).mean() > 0.9
    assert m.thresholds_.shape == (3,)
    assert (m.nearest_prototype(X) == np.arange(3)).all()


def test_code_without_prototype_is_never_suggested():
    X, _, centres = blobs()
    m = CodebookMatcher(centres[:2], np.arange(2), n_codes=3).fit([""] * 60, embeddings=X)
    proba = m.predict_proba([""] * 60, embeddings=X)
    assert proba.shape == (60, 3) and (proba[:, 2] == 0).all() and proba[:, :2].max() > 0.5
    assert (m.nearest_prototype(X)[:, 2] == -1).all()


def suggester_data(seed: int = 0, n: int = 90):
    from tests.pipeline.test_classify import WORDS, corpus

    texts, Y, E = corpus(n, seed)
    # prototypes: each code's words as its "definition"
    proto = HashingEmbedder(64).encode([" ".join(WORDS[k]) for k in range(3)])
    return texts, Y, E, proto


def suggester(proto, **kw):
    return CodeSuggester(proto, np.arange(3), **kw)


def test_estimator_contract_clone_params_and_embedder():
    texts, Y, E, proto = suggester_data()
    s = suggester(proto, prior_weight=3.0, random_state=5)
    copy = clone(s)
    assert copy.get_params()["prior_weight"] == 3.0 and not hasattr(copy, "prior_")
    np.testing.assert_array_equal(copy.prototypes, proto)
    decided = np.full(Y.shape, np.nan)
    decided[:40] = Y[:40]
    a = s.fit(texts, decided, embeddings=E).predict_proba(texts, embeddings=E)
    b = copy.fit(texts, decided, embeddings=E).predict_proba(texts, embeddings=E)
    np.testing.assert_array_equal(a, b)  # deterministic with a seed, and clone is a fresh equal estimator
    made = suggester(proto, prior_weight=3.0, random_state=5, embedder=HashingEmbedder(64)).fit(texts, decided)
    np.testing.assert_allclose(made.predict_proba(texts), a)
    with pytest.raises(ValueError, match="one row per text"):
        suggester(proto).fit(texts, decided[:10], embeddings=E)


def test_zero_labels_is_the_codebook_prior():
    texts, Y, E, proto = suggester_data()
    none = np.full(Y.shape, np.nan)
    s = suggester(proto).fit(texts, none, embeddings=E)
    assert s.classifier_ is None and s.positives_.tolist() == [0, 0, 0] and not s.fine_tuned_
    proba = s.predict_proba(texts, embeddings=E)
    assert proba.shape == (90, 3) and ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_array_equal(proba, s.prior_.predict_proba(texts, embeddings=E))
    assert (proba.argmax(1) == Y.argmax(1)).mean() > 0.6  # definitions alone point the right way
    best, nearest = s.explain(E)
    assert best.shape == nearest.shape == (90, 3) and (nearest == -1).all()


def test_learns_from_decisions_deterministically():
    texts, Y, E, proto = suggester_data(1)
    wrong = np.roll(proto, 1, axis=0)  # definitions that point at the wrong codes
    decided = np.full(Y.shape, np.nan)
    decided[:60] = Y[:60]
    a = suggester(wrong, random_state=2).fit(texts, decided, embeddings=E)
    assert a.positives_.tolist() == Y[:60].sum(0).tolist()
    prior_right = (a.prior_.predict_proba(texts[60:], embeddings=E[60:]).argmax(1) == Y[60:].argmax(1)).mean()
    learnt_right = (a.predict_proba(texts[60:], embeddings=E[60:]).argmax(1) == Y[60:].argmax(1)).mean()
    assert learnt_right >= 0.85 and prior_right < 0.3
    _, nearest = a.explain(E[60:])
    for i, k in enumerate(Y[60:].argmax(1)):  # the reason is a decided segment coded with k
        assert nearest[i, k] < 60 and Y[nearest[i, k], k] == 1


def test_code_with_one_example_leans_on_its_definition():
    texts, Y, E, proto = suggester_data(2)
    decided = np.full(Y.shape, np.nan)
    decided[:30] = Y[:30]
    decided[:30, 2] = 0
    decided[1, 2] = 1  # code 2: a single coded example
    s = suggester(proto, prior_weight=5.0).fit(texts, decided, embeddings=E)
    assert s.positives_[2] == 1
    learnt = s.classifier_.predict_proba(texts, embeddings=E)[:, 2]
    local = s.neighbour_proba(s.prior_.predict_proba(texts, embeddings=E), E)[:, 2]
    # weight 1 / (1 + 5): five parts definition (and neighbours), one part the single example
    np.testing.assert_allclose(s.predict_proba(texts, embeddings=E)[:, 2], learnt / 6 + local * 5 / 6)
    few = np.full(Y.shape, np.nan)
    few[:5] = Y[:5]
    assert suggester(proto).fit(texts, few, embeddings=E).classifier_ is None  # < min_labelled


def test_acceptance_raises_and_rejection_lowers_similar_segments():
    texts, Y, E, proto = suggester_data(3)
    twin = 45  # a segment, and an exact copy of it at the end
    texts, E = texts + [texts[twin]], np.vstack([E, E[twin]])
    none = np.full((91, 3), np.nan)
    base = suggester(proto).fit(texts, none, embeddings=E).predict_proba(texts, embeddings=E)[90]
    for value, sign in ((1.0, 1), (0.0, -1)):
        one = none.copy()
        one[twin] = 1.0 - value
        one[twin, 0] = value  # the coder applied (or rejected) code 0 on the twin
        after = suggester(proto).fit(texts, one, embeddings=E).predict_proba(texts, embeddings=E)[90]
        assert sign * (after[0] - base[0]) > 0.05
        # one identical decided segment: a Beta prior of strength 2 plus one observation
        assert after[0] == pytest.approx((2 * base[0] + value) / 3, abs=1e-5)
        far = [i for i in range(90) if float(E[i] @ E[twin]) < 0.2]
        unchanged = suggester(proto).fit(texts, one, embeddings=E).predict_proba(texts, embeddings=E)
        before = suggester(proto).fit(texts, none, embeddings=E).predict_proba(texts, embeddings=E)
        np.testing.assert_allclose(unchanged[far], before[far], atol=1e-3)  # dissimilar segments: as before


def test_a_codes_suggestions_do_not_vanish_when_other_codes_get_examples():
    texts, Y, E, proto = suggester_data(4, n=150)
    none = np.full(Y.shape, np.nan)
    cold = suggester(proto).fit(texts, none, embeddings=E)
    shown_before = cold.shown(cold.predict_proba(texts, embeddings=E))[:, 2]
    decided = np.full(Y.shape, np.nan)
    only_others = np.flatnonzero(Y[:, 2] == 0)[:30]  # thirty segments coded, none with code 2
    decided[only_others] = Y[only_others]
    s = suggester(proto).fit(texts, decided, embeddings=E)
    shown_after = s.shown(s.predict_proba(texts, embeddings=E))[:, 2]
    code_2 = Y[:, 2] == 1
    assert shown_before[code_2].sum() > 10
    assert shown_after[code_2].sum() >= shown_before[code_2].sum()


def test_decision_rule_floor_top_k_and_display_threshold():
    s = CodeSuggester(floor=0.3, top_k=2)
    proba = np.array([[0.9, 0.6, 0.55, 0.1], [0.45, 0.31, 0.2, 0.29], [0.1, 0.2, 0.0, 0.0]])
    assert s.stored(proba).tolist() == [[True, True, False, False], [True, True, False, False],
                                        [False, False, False, False]]
    # the best stored code of a segment, and any other from the display threshold
    assert s.shown(proba).tolist() == [[True, True, False, False], [True, False, False, False], [False] * 4]
    assert CodeSuggester().show_threshold == SHOW_THRESHOLD == 0.5
    assert [is_shown(c, r) for c, r in ((0.31, 0), (0.49, 1), (0.5, 1), (0.9, 3))] == [True, False, True, True]


def test_prior_calibration_follows_decisions_on_synthetic_data():
    rng = np.random.default_rng(4)
    X, _, centres = blobs(5, n=3000)
    m = matcher(centres).fit([""] * 3000, embeddings=X)
    features = m._features(X)  # above the threshold, gap to the best, score, is the best
    assert features.shape == (3000, 3, 4) and (features[..., 3].sum(axis=1) >= 1).all()
    above, gap = features[..., 0], features[..., 1]
    truth = 1 / (1 + np.exp(-(10.0 * above + 4.0 * gap + 2.0)))  # how often coders accept
    Y = (rng.random(truth.shape) < truth).astype(float)
    before = m.predict_proba([""] * 3000, embeddings=X)
    m = matcher(centres).fit([""] * 3000, Y, embeddings=X)
    # 3,000 decided rows against 100 for the reference: 97 % the study's own calibration
    # (the score and its height above a per-code threshold are nearly collinear, so the
    # confidences are checked, not each weight)
    assert len(m.calibration_) == 5 and m.shift_ == 0.0
    assert np.abs(m.predict_proba([""] * 3000, embeddings=X) - truth).mean() < 0.03
    p = m.predict_proba([""] * 3000, embeddings=X)
    for lo, hi in ((0.1, 0.4), (0.4, 0.7), (0.7, 0.9), (0.9, 1.0)):  # a confidence of 0.8 is right ~80 %
        near = (p > lo) & (p <= hi)
        n, mean = near.sum(), p[near].mean()
        tolerance = max(0.05, 2.5 * np.sqrt(mean * (1 - mean) / n))  # 2.5 standard errors of a share of n
        assert n > 100 and Y[near].mean() == pytest.approx(mean, abs=tolerance)
    assert not np.allclose(before, p)
    few = np.full(Y.shape, np.nan)
    few[:5] = Y[:5]
    assert matcher(centres).fit([""] * 3000, few, embeddings=X).calibration_ == pytest.approx(REFERENCE_CALIBRATION)
    some = np.full(Y.shape, np.nan)
    some[:100] = Y[:100]  # 100 rows: half-way from the reference to the study's own weights
    half = matcher(centres).fit([""] * 3000, some, embeddings=X).calibration_
    assert REFERENCE_CALIBRATION[1] > half[1] > 4.0


def test_prior_shift_for_the_number_of_codes():
    X, _, centres = blobs(6)
    assert matcher(centres).fit([""] * 60, embeddings=X).shift_ > 0  # 3 codes: each far likelier than 1 of 32
    assert CodebookMatcher(np.vstack([centres] * 22), np.arange(66)).fit([""] * 60, embeddings=X).shift_ < 0
    assert CodebookMatcher(np.vstack([centres] * 11)[:32], np.arange(32)).fit(
        [""] * 60, embeddings=X).shift_ == pytest.approx(0.0)


def test_the_studys_calibration_touches_only_codes_the_codebook_describes():
    """Without prototypes there is no blend to recalibrate (the Platt-scaled classifier
    alone); with them, after 50 decisions the calibrator is fitted and either kept or
    dropped by the out-of-fold F1 of the shown rule, never half-applied."""
    X, labels, centres = blobs(n=120)
    texts = [f"segment {i}" for i in range(120)]
    Y = np.eye(3)[labels]
    Y[100:] = np.nan
    blind = CodeSuggester().fit(texts, Y, embeddings=X)
    assert not blind.calibration_kept_
    engine = CodeSuggester(centres, np.arange(3)).fit(texts, Y, embeddings=X)
    assert engine.decided_.size == 100 and isinstance(engine.calibration_kept_, bool)
    proba = engine.predict_proba(texts, embeddings=X)
    assert proba.shape == (120, 3) and ((proba >= 0) & (proba <= 1)).all()
    assert (proba[100:].argmax(axis=1) == labels[100:]).mean() > 0.9
    off = clone(engine).set_params(calibration_rows=None).fit(texts, Y, embeddings=X)
    assert not off.calibration_kept_
    if not engine.calibration_kept_:
        assert np.allclose(proba, off.predict_proba(texts, embeddings=X))
