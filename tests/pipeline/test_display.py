"""The display rule learnt from the decisions (:mod:`qualcode.pipeline.display`)."""

from __future__ import annotations

import numpy as np
import pytest

from qualcode.pipeline.display import DisplayRule
from qualcode.pipeline.suggest import CodeSuggester, is_shown


def rare_code_table(n: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Code 0 is every row's best (0.9, always applied); code 1 is rare and never best: 40
    rows at 0.42, 17 of them applied (calibrated: 42 %), 60 rows at 0.32, none applied."""
    proba = np.zeros((n, 2))
    Y = np.zeros((n, 2), dtype=np.int64)
    proba[:, 0], Y[:, 0] = 0.9, 1
    low = np.arange(n) < 0.4 * n
    proba[:, 1] = np.where(low, 0.42, 0.32)
    Y[np.flatnonzero(low)[: round(0.17 * n)], 1] = 1
    return proba, Y


def masks(proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    always = np.zeros(proba.shape, dtype=bool)
    always[np.arange(len(proba)), proba.argmax(axis=1)] = True
    return always, ~always & (proba >= 0.3)


def test_a_rare_code_right_at_a_low_confidence_is_shown_once_the_decisions_support_it():
    proba, Y = rare_code_table(300)
    rule = DisplayRule(pooled_rows=200.0, code_positives=20.0).fit(proba, Y, *masks(proba))
    # pooled micro-F1: code 0's 300 right suggestions outweigh code 1's, 0.5 is among the best
    assert rule.pooled_ == 0.5
    # code 1 (51 applied): its F1 is best anywhere in (0.32, 0.42], the middle 0.375, shrunk
    # towards the pooled threshold by 51 / (51 + 20)
    assert rule.thresholds_[1] == pytest.approx(0.5 + 51 / 71 * (0.375 - 0.5))
    assert rule.thresholds_[0] == pytest.approx(0.5)  # code 0 is always its row's best: nothing to learn
    shown = rule.shown(proba, *masks(proba))
    assert shown[:, 0].all() and shown[:120, 1].all() and not shown[120:, 1].any()
    # the fixed 0.5 hides all 51 right suggestions of code 1, as the rule does on 40 rows
    assert not DisplayRule().shown(proba, *masks(proba))[:, 1].any()
    few = rare_code_table(40)
    assert not DisplayRule().fit(*few, *masks(few[0])).shown(few[0], *masks(few[0]))[:, 1].any()


def test_with_no_or_few_decisions_the_rule_is_the_fixed_half():
    proba, Y = rare_code_table(40)  # below min_rows (50)
    rule = DisplayRule().fit(proba, Y, *masks(proba))
    assert rule.thresholds_.tolist() == [0.5, 0.5]
    assert DisplayRule().fit(np.zeros((0, 3)), np.zeros((0, 3)), [], []).thresholds_.tolist() == [0.5] * 3
    proba, Y = rare_code_table(300)
    Y[150:, 0] = 0  # code 0 right on half its rows: showing code 1's 42 % now lifts micro-F1 too
    pooled = DisplayRule(code_positives=None).fit(proba, Y, *masks(proba))
    assert pooled.thresholds_.tolist() == pytest.approx([0.5 + 0.6 * (0.375 - 0.5)] * 2)


def test_a_threshold_is_never_below_the_floor():
    proba, Y = rare_code_table(1000)
    proba[:, 1] = np.where(proba[:, 1] > 0.4, 0.2, 0.1)  # right ones at 0.2: below the floor
    rule = DisplayRule(floor=0.3, pooled_rows=1.0, code_positives=0.0).fit(proba, Y, *masks(proba))
    assert rule.thresholds_.min() >= 0.3


def test_the_engine_learns_its_rule_out_of_fold_deterministically():
    rng = np.random.default_rng(0)
    n, d = 120, 16
    centres = rng.normal(size=(3, d))
    Y = np.zeros((n, 3))
    Y[np.arange(n), np.arange(n) % 3] = 1
    Y[rng.random(n) < 0.15, 2] = 1  # code 2 also appears beside the others: never their best
    X = Y @ centres + rng.normal(scale=1.2, size=(n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    texts = [f"segment {i}" for i in range(n)]
    decided = Y.copy()
    decided[100:] = np.nan
    a = CodeSuggester(neighbours=5).fit(texts, decided, embeddings=X)
    b = CodeSuggester(neighbours=5).fit(texts, decided, embeddings=X)
    assert a.oof_proba_.shape == (100, 3)
    assert np.array_equal(a.show_thresholds_, b.show_thresholds_)
    assert not np.allclose(a.show_thresholds_, 0.5)  # 100 decisions: learnt
    proba = a.predict_proba(texts, embeddings=X)
    fixed = CodeSuggester(neighbours=5, display_rows=None).fit(texts, decided, embeddings=X)
    assert np.array_equal(fixed.predict_proba(texts, embeddings=X), proba)  # what is shown changes, not the numbers
    assert fixed.show_thresholds_.tolist() == [0.5] * 3
    always, eligible = a._always_eligible(proba)
    assert np.array_equal(a.shown(proba), always | (eligible & (proba >= a.show_thresholds_)))
    few = decided.copy()
    few[30:] = np.nan  # 30 decisions: the fixed rule, exactly is_shown's
    c = CodeSuggester(neighbours=5).fit(texts, few, embeddings=X)
    p = c.predict_proba(texts, embeddings=X)
    ranks = np.argsort(np.argsort(-p, axis=1, kind="stable"), axis=1)
    expected = c.stored(p) & np.vectorize(is_shown)(p, ranks)
    assert np.array_equal(c.shown(p), expected)
