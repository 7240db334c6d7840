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


# ---------------------------------------------------------------- bounded work on a large study
def _lazy(E: np.ndarray) -> active.LazyRows:
    return active.LazyRows(len(E), lambda rows: E[rows])


def test_lazy_rows_compute_each_row_once_and_only_when_used():
    E = np.eye(5, dtype=np.float32)
    asked = []
    lazy = active.LazyRows(5, lambda rows: asked.append(rows.tolist()) or E[rows])
    assert lazy[np.array([3, 1, 3])].tolist() == E[[3, 1, 3]].tolist()
    assert lazy[1].tolist() == E[1].tolist() and lazy[np.array([], dtype=np.int64)].shape == (0, 5)
    assert asked == [[3, 1]] and lazy.encoded == 2


def test_stable_sample_keeps_its_rows_when_one_is_coded():
    rows = np.arange(10_000)
    sample = active.stable_sample(rows, 2048)
    assert len(sample) == 2048 and np.all(np.diff(sample) > 0)
    gone = sample[100]
    again = active.stable_sample(np.setdiff1d(rows, [gone]), 2048)
    assert len(np.setdiff1d(sample, again)) == 1 and len(np.setdiff1d(again, sample)) == 1
    assert active.stable_sample(rows[:50], 2048).tolist() == list(range(50))


def test_cold_start_on_a_large_pool_touches_a_bounded_sample_and_still_finds_the_clusters():
    E, firsts = _clouds([3000, 2000, 1000], spread=0.1)
    assert len(E) > active.POOL
    lazy = _lazy(E)
    picks = select_next(lazy, np.arange(len(E)), np.array([], dtype=np.int64), 3, None)
    assert lazy.encoded <= active.SAMPLE + 1
    assert [int(np.argmax(E[p][:3])) for p in picks] == [0, 1, 2]  # one per cloud, the largest first
    assert all(E[p] @ E[f] > 0.97 for p, f in zip(picks, firsts, strict=True))  # each near its cloud's centre
    assert select_next(_lazy(E), np.arange(len(E)), np.array([], dtype=np.int64), 3, None) == picks


def test_uncertainty_on_a_large_pool_ranks_the_most_uncertain_typical_segments_only():
    rng = np.random.default_rng(1)
    E, _ = _clouds([5000], spread=0.05)
    outliers = np.eye(8, dtype=np.float32)[[4, 5, 6]]
    E = np.vstack([E, outliers])
    E[[10, 20, 30]] = E[0] + 0.001 * rng.normal(size=(3, 8)).astype(np.float32)  # at the cloud's centre
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    n = len(E)
    score = rng.uniform(0.0, 0.5, n)
    score[[10, 20, 30]] = [1.9, 1.8, 1.7]  # typical and unsure
    score[[n - 3, n - 2, n - 1]] = 3.0  # the most unsure are odd, far from everything
    labelled = np.arange(100, 200)
    unl = np.setdiff1d(np.arange(n), labelled)
    lazy = _lazy(E)
    picks = select_next(lazy, unl, labelled, 3, score=score[unl], redundancy=1.1)
    assert picks == [10, 20, 30]
    assert lazy.encoded <= active.SAMPLE + active.CANDIDATES + len(labelled)
    # a score is the summed uncertainty of the probabilities it stands for
    proba = np.stack([np.full(len(unl), 0.5), (1 - score[unl] / 2) / 2 + 0.5], axis=1)  # sums 1 + score / 2 (to 2)
    assert select_next(_lazy(E), unl, labelled, 3, proba, redundancy=1.1) == [10, 20, 30]
