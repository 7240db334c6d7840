"""Active selection: uncertainty over codes, typicality, diversity, and the same picks
whatever the number of cores."""

from __future__ import annotations

import numpy as np

from qualcode.pipeline import active
from qualcode.pipeline.active import select_next


def test_select_next_prefers_uncertain_and_different_segments():
    E = np.eye(6, dtype=np.float32)[[0, 0, 1, 2, 3, 4]]  # rows 0 and 1 are identical
    proba = np.array([[0.5], [0.5], [0.45], [0.9], [0.99], [0.6]])
    picks = select_next(E, np.arange(6), np.array([], dtype=np.int64), 3, proba)
    assert picks[0] == 0 and 1 not in picks  # the near-copy of a pick is skipped
    assert picks == [0, 2, 5]
    first = select_next(E, np.arange(6), np.array([], dtype=np.int64), 2, None)
    assert first[0] == 0 and first[1] != 1  # nothing learnt: representative, then different


def test_select_next_sums_uncertainty_over_codes_among_typical_segments():
    rng = np.random.default_rng(0)
    centre = np.eye(8, dtype=np.float32)[0]
    typical = centre + 0.3 * rng.normal(size=(10, 8)).astype(np.float32)  # a dense cloud of ten
    typical[[4, 7]] = centre + 0.01 * rng.normal(size=(2, 8)).astype(np.float32)  # at its centre
    outliers = np.eye(8, dtype=np.float32)[[3, 5]]  # two odd segments, far from everything
    E = np.vstack([typical, outliers])
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    proba = np.full((12, 3), 0.02)
    proba[10] = [0.5, 0.02, 0.02]  # the single most uncertain code is an outlier's
    proba[11] = [0.5, 0.5, 0.5]
    proba[4] = [0.3, 0.3, 0.02]  # unsure about two codes: more to learn than one at 0.45
    proba[7] = [0.45, 0.02, 0.02]
    unl, none = np.arange(12), np.array([], dtype=np.int64)
    assert select_next(E, unl, none, 2, proba, redundancy=1.1) == [4, 7]
    # with every segment a candidate, the outliers' uncertainty wins
    assert select_next(E, unl, none, 2, proba, redundancy=1.1, typical=1.0) == [11, 4]
    # outliers are still offered once the typical segments run out
    assert set(select_next(E, unl, none, 12, proba, redundancy=1.1)) == set(range(12))


def test_select_next_computes_similarities_on_one_blas_thread(monkeypatch):
    from threadpoolctl import threadpool_info

    seen = []
    density = active.density

    def recording_density(*args, **kwargs):
        seen.extend(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")
        return density(*args, **kwargs)

    monkeypatch.setattr(active, "density", recording_density)
    E = np.eye(6, dtype=np.float32)[[0, 0, 1, 2, 3, 4]]
    assert select_next(E, np.arange(6), np.array([], dtype=np.int64), 2, None)[0] == 0
    assert seen and set(seen) == {1}
