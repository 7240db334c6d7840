"""The study's calibration of the shown confidence: a confidence of p right about p of the time."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from qualcode.pipeline.calibration import reliability
from qualcode.pipeline.recalibrate import IDENTITY, ShownCalibrator


def overconfident(seed: int, n: int = 4000, codes: int = 4):
    """Confidences sigmoid(2z) for codes that are truly applied with chance sigmoid(z)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(-1.0, 1.5, (n, codes))
    Y = (rng.random((n, codes)) < 1 / (1 + np.exp(-z))).astype(np.int64)
    return 1 / (1 + np.exp(-2 * z)), Y


def test_a_calibrated_confidence_of_p_is_right_about_p_of_the_time():
    proba, Y = overconfident(0)
    test_proba, test_Y = overconfident(1)
    _, before = reliability(test_proba, test_Y, floor=0.0, shown_from=0.0)
    cal = ShownCalibrator(shrinkage_rows=0.001).fit(proba, Y)
    a, b, c = cal.weights_
    assert a == pytest.approx(0.5, abs=0.05)  # undoes the doubled logit
    table, after = reliability(cal.transform(test_proba), test_Y, floor=0.0, shown_from=0.0)
    assert before > 0.08 and after < 0.03
    for band in table:
        if band["n"] >= 200:
            assert band["accepted"] == pytest.approx(band["confidence"], abs=0.05)


def test_few_decisions_leave_the_confidence_as_it_is_and_more_move_it_by_their_share():
    proba, Y = overconfident(0, n=40)
    cal = ShownCalibrator().fit(proba, Y)
    assert cal.weights_ == IDENTITY and np.array_equal(cal.transform(proba), proba)
    proba, Y = overconfident(0, n=200)
    full = ShownCalibrator(shrinkage_rows=1e-9).fit(proba, Y).weights_
    half = ShownCalibrator(shrinkage_rows=200).fit(proba, Y).weights_
    assert half == pytest.approx(tuple(0.5 * f + 0.5 * i for f, i in zip(full, IDENTITY, strict=True)))


def test_a_code_never_suggested_stays_at_zero_and_the_calibrator_clones():
    proba, Y = overconfident(0, n=500)
    proba[:, 0] = 0.0
    cal = ShownCalibrator(shrinkage_rows=10).fit(proba, Y, columns=np.array([1, 2, 3]))
    assert (cal.transform(proba)[:, 0] == 0).all()
    assert clone(cal).get_params() == cal.get_params() and not hasattr(clone(cal), "weights_")
