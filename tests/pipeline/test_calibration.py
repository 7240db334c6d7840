"""Reliability table and ECE on synthetic confidences with known outcomes."""

from __future__ import annotations

import numpy as np
import pytest

from qualcode.pipeline.calibration import reliability


def test_perfectly_calibrated_confidences_have_an_ece_near_zero():
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.3, 1.0, 50_000)
    correct = (rng.random(conf.size) < conf).astype(int)  # right as often as they claim
    table, ece = reliability(conf, correct)
    assert ece < 0.01
    assert [b["low"] for b in table] == [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    for band in table:
        assert band["accepted"] == pytest.approx(band["confidence"], abs=0.02)
    assert [b["shown"] for b in table] == [False, False, True, True, True, True, True]


def test_overconfident_suggestions_give_the_gap_and_hidden_bands_do_not_count():
    conf = np.array([0.35, 0.35, 0.85, 0.85, 0.85, 0.85, 0.95, 0.95])
    correct = np.array([1, 1, 1, 0, 1, 0, 1, 1])  # 0.85 right half the time, 0.95 always
    table, ece = reliability(conf, correct)
    # shown bands: 4 at 0.85 with 50 % accepted (gap 0.35), 2 at 0.95 with 100 % (gap 0.05)
    assert ece == pytest.approx((4 * 0.35 + 2 * 0.05) / 6)
    band = {b["low"]: b for b in table}
    assert band[0.3]["n"] == 2 and band[0.3]["accepted"] == 1.0 and not band[0.3]["shown"]
    assert band[0.5]["n"] == 0 and band[0.5]["confidence"] is None
    assert band[0.9]["n"] == 2  # the last band holds 1.0 too
    assert reliability(np.array([1.0]), np.array([1]))[0][-1]["n"] == 1
    with pytest.raises(ValueError):
        reliability(np.array([0.5, 0.6]), np.array([1]))
