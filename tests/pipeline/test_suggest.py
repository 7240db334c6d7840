from __future__ import annotations

import numpy as np
import pytest

from qualcode.pipeline.embed import HashingEmbedder
from qualcode.pipeline.suggest import REFERENCE_CALIBRATION, CodebookMatcher, CodeSuggester


def blobs(seed: int = 0, n: int = 60, d: int = 16):
    rng = np.random.default_rng(seed)
    centres = np.eye(d)[:3]
    labels = rng.integers(0, 3, n)
    X = centres[labels] + 0.25 * rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype(np.float32), labels, centres.astype(np.float32)


def test_cold_start_shapes_and_ranking():
    X, labels, centres = blobs()
    m = CodebookMatcher(random_state=0).fit(X, prototypes=centres, prototype_codes=np.arange(3))
    proba = m.predict_proba(X)
    assert proba.shape == (60, 3) and ((proba >= 0) & (proba <= 1)).all()
    assert (proba.argmax(axis=1) == labels).mean() > 0.9
    assert m.thresholds_.shape == (3,) and all(c is None for c in m.classifiers_)


def test_learning_improves_over_prior_and_is_deterministic():
    X, labels, _ = blobs(1)
    bad_prototypes = np.roll(np.eye(16)[:3], 5, axis=1).astype(np.float32)  # definitions that miss
    Y = np.full((60, 3), np.nan)
    Y[:40] = np.eye(3)[labels[:40]]
    fit = lambda: CodebookMatcher(prior_weight=2, random_state=0).fit(  # noqa: E731
        X, Y, prototypes=bad_prototypes, prototype_codes=np.arange(3))
    a, b = fit(), fit()
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert (a.predict_proba(X[40:]).argmax(1) == labels[40:]).mean() > 0.9
    best, nearest = a.explain(X[40:])
    assert (labels[nearest[np.arange(20), labels[40:]]] == labels[40:]).all()


def test_code_with_a_single_example_keeps_its_prior():
    X, labels, centres = blobs(2)
    Y = np.full((60, 3), np.nan)
    Y[0] = np.eye(3)[labels[0]]  # one decided segment: one positive, negatives for the others
    m = CodebookMatcher().fit(X, Y, prototypes=centres, prototype_codes=np.arange(3))
    assert all(c is None for c in m.classifiers_)  # no code has both classes
    assert m.n_decided_.tolist() == [1, 1, 1]
    assert (m.predict_proba(X).argmax(1) == labels).mean() > 0.9


def suggester_data(seed: int = 0):
    from tests.pipeline.test_classify import WORDS, corpus

    texts, Y, E = corpus(90, seed)
    # prototypes: each code's words as its "definition"
    proto = HashingEmbedder(64).encode([" ".join(WORDS[k]) for k in range(3)])
    return texts, Y, E, proto


def test_suggester_cold_start_is_the_codebook_prior():
    texts, Y, E, proto = suggester_data()
    none = np.full(Y.shape, np.nan)
    s = CodeSuggester().fit(texts, none, E, prototypes=proto, prototype_codes=np.arange(3))
    assert s.classifier_ is None and s.positives_.tolist() == [0, 0, 0] and not s.fine_tuned_
    proba = s.predict_proba(texts, E)
    assert proba.shape == (90, 3) and ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_array_equal(proba, s.prior_.prior_proba(E))
    assert (proba.argmax(1) == Y.argmax(1)).mean() > 0.6  # definitions alone point the right way
    best, nearest = s.explain(E)
    assert best.shape == nearest.shape == (90, 3) and (nearest == -1).all()


def test_suggester_learns_from_decisions_deterministically():
    texts, Y, E, proto = suggester_data(1)
    wrong = np.roll(proto, 1, axis=0)  # definitions that point at the wrong codes
    decided = np.full(Y.shape, np.nan)
    decided[:60] = Y[:60]
    fit = lambda: CodeSuggester(random_state=2).fit(texts, decided, E, prototypes=wrong,  # noqa: E731
                                                    prototype_codes=np.arange(3))
    a, b = fit(), fit()
    np.testing.assert_array_equal(a.predict_proba(texts, E), b.predict_proba(texts, E))
    assert a.positives_.tolist() == Y[:60].sum(0).tolist()
    prior_right = (a.prior_._prototype_scores(E[60:])[0].argmax(1) == Y[60:].argmax(1)).mean()
    learnt_right = (a.predict_proba(texts[60:], E[60:]).argmax(1) == Y[60:].argmax(1)).mean()
    assert learnt_right >= 0.85 and prior_right < 0.3
    _, nearest = a.explain(E[60:])
    for i, k in enumerate(Y[60:].argmax(1)):  # the reason is a decided segment coded with k
        assert nearest[i, k] < 60 and Y[nearest[i, k], k] == 1


def test_suggester_code_with_one_example_leans_on_its_definition():
    texts, Y, E, proto = suggester_data(2)
    decided = np.full(Y.shape, np.nan)
    decided[:30] = Y[:30]
    decided[:30, 2] = 0
    decided[1, 2] = 1  # code 2: a single coded example
    s = CodeSuggester(prior_weight=5.0).fit(texts, decided, E, prototypes=proto, prototype_codes=np.arange(3))
    assert s.positives_[2] == 1
    learnt = s.classifier_.predict_proba(texts, E)[:, 2]
    prior = s.prior_.prior_proba(E)[:, 2]
    # weight 1 / (1 + 5): five parts definition, one part the single example
    np.testing.assert_allclose(s.predict_proba(texts, E)[:, 2], learnt / 6 + prior * 5 / 6)
    # too few decisions (< min_labelled): nothing is learnt
    few = np.full(Y.shape, np.nan)
    few[:5] = Y[:5]
    assert CodeSuggester().fit(texts, few, E, prototypes=proto, prototype_codes=np.arange(3)).classifier_ is None


def test_prior_calibration_follows_decisions_on_synthetic_data():
    rng = np.random.default_rng(4)
    X, _, centres = blobs(5, n=3000)
    m = CodebookMatcher().fit(X, prototypes=centres, prototype_codes=np.arange(3))
    above, gap = m._prior_features(X)
    truth = 1 / (1 + np.exp(-(10.0 * above + 4.0 * gap + 2.0)))  # how often coders accept
    Y = (rng.random(truth.shape) < truth).astype(float)
    before = m.prior_proba(X)
    m.calibrate(X, Y)
    assert m.calibration_ == pytest.approx((10.0, 4.0, 2.0), rel=0.25) and m.shift_ == 0.0
    p = m.prior_proba(X)
    for lo, hi in ((0.1, 0.4), (0.4, 0.7), (0.7, 0.9), (0.9, 1.0)):  # a confidence of 0.8 is right ~80 %
        near = (p > lo) & (p <= hi)
        assert near.sum() > 100 and Y[near].mean() == pytest.approx(p[near].mean(), abs=0.05)
    assert not np.allclose(before, p)
    # too few decided rows: the reference calibration stays
    fresh = CodebookMatcher().fit(X, prototypes=centres, prototype_codes=np.arange(3))
    few = np.full(Y.shape, np.nan)
    few[:5] = Y[:5]
    assert fresh.calibrate(X, few).calibration_ == pytest.approx(REFERENCE_CALIBRATION)


def test_prior_shift_for_the_number_of_codes():
    X, _, centres = blobs(6)
    three = CodebookMatcher().fit(X, prototypes=centres, prototype_codes=np.arange(3))
    assert three.shift_ > 0  # 3 codes: each is far more likely than one of the reference's 32
    many = CodebookMatcher().fit(X, prototypes=np.vstack([centres] * 22), prototype_codes=np.arange(66))
    assert many.shift_ < 0
    assert CodebookMatcher().fit(X, prototypes=np.vstack([centres] * 11)[:32],
                                 prototype_codes=np.arange(32)).shift_ == pytest.approx(0.0)
