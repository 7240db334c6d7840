"""Active selection: typical segments of uncovered clusters first, then uncertainty over
codes among typical segments, diversity, and the same picks whatever the number of cores."""

from __future__ import annotations

import numpy as np

from qualcode.pipeline import active
from qualcode.pipeline.active import select_next


def test_select_next_prefers_uncertain_and_different_segments():
    E = np.eye(6, dtype=np.float32)[[0, 0, 1, 2, 3, 4]]  # rows 0 and 1 are identical
    proba = np.array([[0.5], [0.5], [0.45], [0.9], [0.99], [0.6]])
    picks = select_next(E, np.arange(6), np.array([], dtype=np.int64), 3, proba, cold_start=0)
    assert picks[0] == 0 and 1 not in picks  # the near-copy of a pick is skipped
    assert picks == [0, 2, 5]


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
    assert select_next(E, unl, none, 2, proba, redundancy=1.1, cold_start=0) == [4, 7]
    # with every segment a candidate, the outliers' uncertainty wins
    assert select_next(E, unl, none, 2, proba, redundancy=1.1, typical=1.0, cold_start=0) == [11, 4]
    # outliers are still offered once the typical segments run out
    assert set(select_next(E, unl, none, 12, proba, redundancy=1.1, cold_start=0)) == set(range(12))


def test_select_next_computes_similarities_on_one_blas_thread(monkeypatch):
    from threadpoolctl import threadpool_info

    seen = []
    density = active.density

    def recording_density(*args, **kwargs):
        seen.extend(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")
        return density(*args, **kwargs)

    monkeypatch.setattr(active, "density", recording_density)
    E = np.eye(6, dtype=np.float32)[[0, 0, 1, 2, 3, 4]]
    assert len(select_next(E, np.arange(6), np.array([], dtype=np.int64), 2, None)) == 2  # clusters
    assert select_next(E, np.arange(6), np.array([], dtype=np.int64), 2, np.full((6, 1), 0.5), cold_start=0) == [0, 2]
    assert seen and set(seen) == {1}


def _clouds(sizes: list[int], dim: int = 8, spread: float = 0.2, seed: int = 0) -> tuple[np.ndarray, list[int]]:
    """Tight clouds of the given sizes around orthogonal centres; each cloud's first row is
    (almost) at its centre, its most typical member. Returns embeddings and first rows."""
    rng = np.random.default_rng(seed)
    rows, firsts = [], []
    for c, size in enumerate(sizes):
        centre = np.eye(dim, dtype=np.float32)[c]
        cloud = centre + spread * rng.normal(size=(size, dim)).astype(np.float32)
        cloud[0] = centre + 0.001 * rng.normal(size=dim).astype(np.float32)
        firsts.append(sum(sizes[:c]))
        rows.append(cloud)
    E = np.vstack(rows)
    return E / np.linalg.norm(E, axis=1, keepdims=True), firsts


def test_cold_start_takes_the_most_typical_segment_of_each_cluster_largest_first():
    E, firsts = _clouds([6, 14, 9])
    none = np.array([], dtype=np.int64)
    picks = select_next(E, np.arange(len(E)), none, 3, None)
    assert picks == [firsts[1], firsts[2], firsts[0]]  # by cluster size: 14, 9, 6
    assert active.typical_clusters(E, np.arange(len(E)), none, 3) == picks
    # the same picks when asked again: seeded k-means, one thread
    assert select_next(E, np.arange(len(E)), none, 3, None) == picks


def test_cold_start_goes_to_the_clusters_coded_least_even_with_a_model():
    E, firsts = _clouds([6, 14, 9])
    coded = np.array([firsts[1], firsts[2]])  # one segment of the big cloud, one of the middle one
    uncoded = np.setdiff1d(np.arange(len(E)), coded)
    proba = np.full((len(uncoded), 2), 0.01)
    proba[uncoded == firsts[1] + 2] = 0.5  # the model is unsure about a segment of the big cloud
    picks = select_next(E, uncoded, coded, 1, proba)  # 2 coded < cold_start: clusters still decide
    assert picks == [firsts[0]]  # the cloud nobody has coded
    # once enough is coded, uncertainty decides
    assert select_next(E, uncoded, coded, 1, proba, cold_start=2, redundancy=1.1) == [firsts[1] + 2]


def test_cold_start_fills_up_when_there_are_fewer_clusters_than_picks():
    E, _ = _clouds([3, 2])
    picks = select_next(E, np.arange(5), np.array([], dtype=np.int64), 5, None)
    assert sorted(picks) == [0, 1, 2, 3, 4]


def test_cold_start_with_identical_segments_picks_each_once_without_warnings():
    import warnings

    E = np.eye(4, dtype=np.float32)[[0, 0, 0, 0, 1, 2]]  # four copies of one answer ("No.")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        picks = select_next(E, np.arange(6), np.array([], dtype=np.int64), 4, None)
    assert len(picks) == len(set(picks)) == 4 and {4, 5} <= set(picks)
