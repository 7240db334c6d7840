"""The simulated coder of bench/learning_curve.py, on small data."""

from __future__ import annotations

import numpy as np
import pytest

from qualcode.pipeline.embed import HashingEmbedder
from qualcode.pipeline.learning_curve import format_curve, learning_curve
from qualcode.pipeline.suggest import CodeSuggester
from tests.pipeline.test_classify import WORDS, corpus


def test_learning_never_falls_below_the_cold_start_on_small_data():
    texts, Y, E = corpus(200, seed=3)
    proto = HashingEmbedder(64).encode([" ".join(WORDS[k][:2]) for k in range(3)])  # thin definitions
    engine = CodeSuggester(proto, np.arange(3))
    train, test = np.arange(150), np.arange(150, 200)
    rows = learning_curve(engine, texts, E, Y, train, test, steps=(0, 10, 25, 50, 100), seed=1)
    assert [r["decisions"] for r in rows] == [0, 10, 25, 50, 100]
    cold = rows[0]
    assert cold["accepted"] == cold["rejected"] == 0 and cold["shown"] > 0
    for r in rows[1:]:
        assert r["precision"] >= cold["precision"] and r["recall"] >= cold["recall"]
    assert rows[-1]["recall"] > cold["recall"] and rows[-1]["precision"] > cold["precision"]
    # what the coder accepted and rejected while coding 100 segments: every shown suggestion is one or the other
    assert 0 < rows[-1]["accepted"] and rows[-1]["accepted"] + rows[-1]["rejected"] >= 90
    table = format_curve(rows)
    assert table.splitlines()[0].split()[:4] == ["decisions", "shown", "precision", "recall"]
    assert "BELOW" not in table and len(table.splitlines()) == 6


def test_steps_beyond_the_training_rows_are_left_out_and_bad_steps_refused():
    texts, Y, E = corpus(60, seed=4)
    engine = CodeSuggester()
    rows = learning_curve(engine, texts, E, Y, np.arange(40), np.arange(40, 60), steps=(0, 10, 25, 50))
    assert [r["decisions"] for r in rows] == [0, 10, 25]
    with pytest.raises(ValueError):
        learning_curve(engine, texts, E, Y, np.arange(40), np.arange(40, 60), steps=(10, 0))
