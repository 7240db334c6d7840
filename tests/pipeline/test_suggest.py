from __future__ import annotations

import numpy as np

from qualcode.pipeline.suggest import CodebookMatcher


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
