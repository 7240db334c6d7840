"""CodeClassifier: estimator contract, thresholds, calibration; theme discovery."""

from __future__ import annotations

import numpy as np
import pytest

from qualcode.pipeline.classify import CodeClassifier, PlattCalibrator, decode
from qualcode.pipeline.embed import HashingEmbedder

WORDS = {0: ["phone", "engaged", "ring", "call", "line"], 1: ["money", "budget", "cost", "funding", "cuts"],
         2: ["kind", "caring", "friendly", "lovely", "staff"]}


def corpus(n: int = 90, seed: int = 0):
    rng = np.random.default_rng(seed)
    texts, Y = [], np.zeros((n, 3), dtype=np.int64)
    for i in range(n):
        codes = {i % 3} | ({(i + 1) % 3} if rng.random() < 0.2 else set())
        words = [w for c in codes for w in rng.choice(WORDS[c], 3)] + list(rng.choice(["the", "a", "it", "was"], 3))
        texts.append(" ".join(rng.permutation(words)))
        Y[i, list(codes)] = 1
    return texts, Y, HashingEmbedder(64).encode(texts)


def test_fit_predict_shapes_and_accuracy():
    texts, Y, E = corpus()
    m = CodeClassifier(random_state=0).fit(texts[:60], Y[:60], embeddings=E[:60])
    proba = m.predict_proba(texts[60:], embeddings=E[60:])
    assert proba.shape == (30, 3) and ((proba >= 0) & (proba <= 1)).all()
    pred = m.predict(texts[60:], embeddings=E[60:])
    assert pred.shape == (30, 3) and set(np.unique(pred)) <= {0, 1}
    assert (pred == Y[60:]).mean() > 0.9
    assert m.thresholds_.shape == (3,) and m.at_least_one_  # every training row has a code


def test_estimator_contract_clone_and_params():
    from sklearn.base import clone

    texts, Y, E = corpus()
    m = CodeClassifier(C=0.2, folds=3, random_state=4)
    copy = clone(m)
    assert copy is not m and copy.get_params() == m.get_params() and not hasattr(copy, "models_")
    np.testing.assert_array_equal(m.fit(texts, Y, embeddings=E).predict_proba(texts, embeddings=E),
                                  copy.fit(texts, Y, embeddings=E).predict_proba(texts, embeddings=E))
    made = CodeClassifier(embedder=HashingEmbedder(64)).fit(texts, Y)  # embeddings made by the embedder
    np.testing.assert_allclose(made.predict_proba(texts), CodeClassifier().fit(texts, Y, embeddings=E)
                               .predict_proba(texts, embeddings=E))
    with pytest.raises(ValueError, match="embeddings are needed"):
        CodeClassifier().fit(texts, Y)
    with pytest.raises(ValueError, match="one row per text"):
        CodeClassifier().fit(texts, Y[:10], embeddings=E)


def test_deterministic_with_a_seed():
    texts, Y, E = corpus()
    a = CodeClassifier(random_state=3).fit(texts, Y, embeddings=E).predict_proba(texts, embeddings=E)
    b = CodeClassifier(random_state=3).fit(texts, Y, embeddings=E).predict_proba(texts, embeddings=E)
    np.testing.assert_array_equal(a, b)


def test_code_with_a_single_example_and_a_code_never_seen():
    texts, Y, E = corpus(40)
    Y = Y.copy()
    Y[:, 2] = 0
    Y[5, 2] = 1  # one example
    Y2 = np.hstack([Y, np.zeros((40, 1), dtype=np.int64)])  # a fourth code nobody applied
    m = CodeClassifier().fit(texts, Y2, embeddings=E)
    assert np.isinf(m.thresholds_[3]) and (m.predict_proba(texts, embeddings=E)[:, 3] == 0).all()
    assert m.predict(texts, embeddings=E)[:, 3].sum() == 0
    assert np.isfinite(m.thresholds_[2])


def test_decode_at_least_one_never_forces_an_unseen_code():
    margin = np.array([[-1.0, -0.5, -np.inf], [0.2, -1.0, -np.inf], [-np.inf, -np.inf, -np.inf]])
    assert decode(margin, True).tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 0]]
    assert decode(margin, False).tolist() == [[0, 0, 0], [1, 0, 0], [0, 0, 0]]


def test_platt_calibration_on_synthetic_scores():
    # scores whose true probability of a positive is sigmoid(2s - 1): after calibration,
    # among predictions near 0.8 about 80 % are positive
    rng = np.random.default_rng(0)
    s = rng.normal(0, 1.5, 20000)
    y = (rng.random(20000) < 1 / (1 + np.exp(-(2 * s - 1)))).astype(int)
    cal = PlattCalibrator().fit(s[:, None], y[:, None])
    a, b = cal.params_[0]
    assert a == pytest.approx(2.0, abs=0.1) and b == pytest.approx(-1.0, abs=0.1)
    p = cal.transform(s[:, None])[:, 0]
    near = (p > 0.75) & (p < 0.85)
    assert y[near].mean() == pytest.approx(0.8, abs=0.03)


def test_discover_finds_the_three_topics_with_keywords():
    from qualcode.pipeline.discover import discover_themes

    rng = np.random.default_rng(5)
    topic = np.arange(60) % 3
    texts = [" ".join(rng.choice(WORDS[t], 4)) + " the patient said" for t in topic]
    E = HashingEmbedder(256).encode(texts)
    clusters = discover_themes(E, texts, n_clusters=3)
    assert sum(c.size for c in clusters) == 60
    for c in clusters:
        assert np.bincount(topic[list(c.members)], minlength=3).max() / c.size > 0.9  # pure clusters
        assert len(c.exemplars) == 3 and set(c.exemplars) <= set(c.members)
        assert set(c.keywords[:3]) <= set(WORDS[int(np.bincount(topic[list(c.members)]).argmax())])
