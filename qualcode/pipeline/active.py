"""Which segments to code next: typical clusters first, then uncertainty and diversity.

* Cold start (the first :data:`COLD_START` = 100 coded segments, or while there is no
  model): TypiClust (Hacohen, Dekel & Weinshall, "Active learning on a budget", ICML
  2022), :func:`typical_clusters`. With ``L`` segments coded and ``n`` to pick, k-means
  cuts all segments into ``L + n`` clusters; the clusters holding the fewest coded
  segments come first (the larger first), and from each the most typical uncoded
  segment is taken. With a few hundred labels for dozens of codes the model's
  uncertainty is itself unreliable; covering the common kinds of comment, each by its
  most typical member, teaches more.
* Then, per unlabelled segment, uncertainty: the *sum* over codes of ``1 − |2 p_k − 1|``,
  where ``p_k`` is the calibrated confidence (0.5 is most uncertain): a segment the model
  is unsure about for several codes teaches more than one unsure about a single rare code.
  (:func:`uncertainty`, the largest term, is what the review queue shows a coder.)
* Representativeness: only the more typical part of the pool is a candidate, the
  ``typical`` share with the highest "information density" (mean cosine similarity to the
  segment's ``k`` nearest unlabelled neighbours). Plain uncertainty sampling picks odd,
  ambiguous outliers that teach little about the comments most segments resemble.
* Diversity: candidates are taken best first, skipping any whose similarity to a
  segment already coded or picked in this batch is above ``redundancy``, so a batch is
  not ten near-copies of one comment.

Why typical clusters first, measured on the FFT data (budget 200, rounds of 10, linear
SVMs only; on each of the seed 42 / 1 / 2 splits six simulated coders whose embeddings
differ by 1e-6 noise, or six random draws; mean micro-F1 per split, then mean micro /
macro): random 0.515 / 0.503 / 0.501 (0.506 / 0.244); uncertainty from the first round
0.503 / 0.531 / 0.503 (0.512 / 0.286); typical clusters for the first 50 rows 0.541 /
0.539 / 0.531 (0.537 / 0.296), first 75 0.535 / 0.542 / 0.527 (0.535 / 0.292), first 100
0.540 / 0.542 / 0.536 (0.539 / 0.287), first 150 0.530 / 0.529 / 0.529 (0.529 / 0.269),
all 200 0.529 / 0.527 / 0.531 (0.529 / 0.250). Every one of the 18 runs with 100 was
above 0.524; typical clusters alone gain micro-F1 but lose the rare codes that
uncertainty finds. At budget 100 (seed 42): 0.479 / 0.205 against 0.420 / 0.180 for
uncertainty from the first round. The per-code figures showed why uncertainty from the
start fell behind: it under-sampled the plain comments of the most frequent code
(Positive experience: 44 of 200 labelled rows against 58 expected; its best attainable
F1 on the test rows 0.71 against 0.76 from random rows), which micro-F1 weighs most.

Through ``qualcode evaluate`` (default final model, fine-tuned from the labelled rows),
seed 42, active against random: 50 rows micro / macro F1 0.465 / 0.144 against 0.341 /
0.126; 100 rows 0.478 / 0.195 against 0.457 / 0.232; 200 rows 0.567 / 0.303 against
0.553 / 0.280; 500 rows 0.639 / 0.448 against 0.603 / 0.374. At 200 rows over eleven
splits (``--repeats``, seeds 42–47 and 1–5): active 0.567 / 0.294 on average against
random 0.547 / 0.263; active is ahead on micro-F1 on all eleven splits (by 0.020 on
average, sd of the difference 0.016; its weakest split, 0.550, is above random's mean)
and on macro-F1 on nine. Before typical clusters the same eleven splits gave active
0.552, ahead on seven.

The history of the uncertainty rule, before typical clusters, kept for the record.
Measured on the FFT data (budget 200, rounds of 20, micro-F1). In a development harness
(three train/test splits, seeds 42 / 1 / 2; random = mean of three draws): random 0.525 /
0.487 / 0.507; most uncertain code only 0.498 / 0.540 / 0.480; summed uncertainty among
the typical half 0.542 / 0.528 / 0.528. Also tried on split 42 and not kept: k-centre
0.49, density-weighted uncertainty 0.49–0.51, k-means batches 0.49–0.52,
prevalence-weighted uncertainty 0.51, least confidence of the whole label set 0.50,
MMC-style expected loss 0.47, likely positives of rare codes 0.46, typical quarter 0.52,
typical three quarters 0.52. Through ``qualcode evaluate`` (seeds 42 / 1 / 2) the picture
is noisier: with the default final model (fine-tuned from 200 rows) active 0.533 / 0.578 /
0.533 against random 0.553 / 0.482 / 0.503; with ``--fine-tune never`` active 0.531 /
0.530 / 0.497 against random 0.526 / 0.506 / 0.528. Which 200 rows are picked even
changes with the number of BLAS threads (0.548 with one thread at seed 42), so one split
says little; the gain over random is real at 50, 100 and 500 rows on seed 42 and on
average at 200, not on every split.

Retraining every 10 rows instead of 20 (``qualcode evaluate --round-size``, default 10),
six splits (seeds 42 and 1–5), budget 200, ``--fine-tune never``: active 0.529 / 0.287
micro / macro F1 (rounds of 20: 0.515 / 0.284) against random 0.521 / 0.257; active is
ahead on macro-F1 on five splits of six, on micro-F1 on three. BADGE (k-means++ over
gradient embeddings, Ash et al. 2020) in the development harness over the same six
splits: 0.525 sampled, 0.521 greedy, 0.518 among the typical half, against 0.526 for
the rule here; not kept. With the default final model (fine-tuned from 200 rows) over
the same six splits: active 0.549 / 0.283 against random 0.547 / 0.266 (active ahead
on micro-F1 on three splits, on macro-F1 on four): fine-tuning gains more from 200
rows drawn at random (+0.026 on average) than from 200 picked here (+0.020).

How much of one split's figure is chance: on the seed-42 split, six simulated coders
whose embeddings differ only by float noise (1e-6) picked largely different rows (17–43
% of the first 100 in common) and reached micro-F1 0.512–0.566 (mean 0.546 / 0.289 micro
/ macro) with the default final model, against 0.523–0.560 (mean 0.540 / 0.256) for six
random draws of 200 rows. Without fine-tuning, six such runs or draws on each of seeds
42, 1 and 2: active 0.503 / 0.531 / 0.503 (mean 0.512 / 0.286) against random 0.515 /
0.503 / 0.501 (mean 0.506 / 0.244): the gain is in the rare codes, hardly in micro-F1.
Also measured then and not kept: half of each round drawn at random (0.517 / 0.518 /
0.506, mean 0.514 / 0.264); only the two most uncertain codes of a segment summed
(active picks carry 2.0 codes a row against 1.46 in the pool; 0.509 / 0.526 / 0.501,
mean 0.512 / 0.271); each code's uncertainty weighted by the square root of its
predicted prevalence (0.511 / 0.538 / 0.506, mean 0.518 / 0.279, within the noise and at
a cost to macro); weighting the coded rows in the final model by how many uncoded
segments each is nearest to (a covariate-shift correction; ±0.01 either way on seeds 42,
1, 2); label spreading over a 10-nearest-neighbour graph of all segments, blended with
the SVMs (0.35–0.42 alone; blended, micro ±0.02 and macro 0.03–0.06 lower); choosing
with the fine-tuned model from 100 rows on (0.549 / 0.573 against 0.577 / 0.566 for this
rule, seeds 42 and 1, and a fine-tuning in the middle of coding).

The ``qualcode evaluate`` figures above were picked on two BLAS threads. On one (as now,
see :func:`select_next`), default final model, 200 rows, ``--repeats``: seeds 42–47 active
0.561 / 0.545 / 0.548 / 0.585 / 0.575 / 0.530 (mean 0.557 ± 0.021, macro 0.294) against
random 0.553 / 0.556 / 0.518 / 0.557 / 0.551 / 0.548 (0.547 ± 0.015, macro 0.263); seeds
1–5 active 0.566 / 0.530 / 0.549 / 0.545 / 0.539 against random 0.543 / 0.558 / 0.564 /
0.540 / 0.525. Over the eleven splits active is ahead by 0.006 on average (sd of the
difference 0.021), on seven of them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

COLD_START = 100  # coded segments before uncertainty takes over from typical clusters
# Bounded work on a large study (*Review next* within a second on 50,000 segments). Up to
# POOL uncoded segments everything below runs exactly as described; ``qualcode evaluate``
# pools (a few thousand training rows) stay under it, so its figures are the rule's. Above
# it, the cold start clusters a seeded SAMPLE of the uncoded segments (k-means with 110
# centres on 4,000 rows took 0.75 s of one core, on 2,048 0.3 s), and uncertainty ranks
# only the CANDIDATES most uncertain segments, their density measured against a seeded
# SAMPLE and the typical-half cut estimated from PROBE of that sample.
POOL = 4096
SAMPLE = 2048
CANDIDATES = 1024
PROBE = 512


class LazyRows:
    """Rows of an embedding matrix, each computed on first use by ``encode(rows)`` (an
    array with one L2-normalised row per index) and kept.

    Why: a study's 50,000 segments need not all be embedded (or read back from the cache)
    for one *Review next*; :func:`select_next` indexes its ``embeddings`` only with row
    numbers and row-number arrays, so it touches (and so encodes) only the rows it uses."""

    def __init__(self, n_rows: int, encode: Callable[[np.ndarray], np.ndarray]) -> None:
        self.n_rows = n_rows
        self._encode = encode
        self._rows: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return self.n_rows

    @property
    def encoded(self) -> int:
        """How many rows were computed (what a test of bounded work counts)."""
        return len(self._rows)

    def __getitem__(self, index):  # noqa: ANN001, ANN204 - an int or an array of row numbers
        if np.isscalar(index):
            return self[np.array([index], dtype=np.int64)][0]
        rows = np.asarray(index, dtype=np.int64).ravel()
        missing = list(dict.fromkeys(int(r) for r in rows if int(r) not in self._rows))
        if missing:
            for r, vector in zip(missing, np.asarray(self._encode(np.array(missing, dtype=np.int64)),
                                                     dtype=np.float32), strict=True):
                self._rows[r] = vector
        if rows.size == 0:
            return np.zeros((0, self._dim()), dtype=np.float32)
        return np.stack([self._rows[int(r)] for r in rows])

    def _dim(self) -> int:
        if not self._rows:
            self[np.array([0], dtype=np.int64)]
        return len(next(iter(self._rows.values())))


def stable_sample(rows: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    """``size`` of ``rows`` (sorted): those with the smallest seeded random key per row
    number. Why not ``rng.choice``: there, coding one segment shifts every later position
    and draws a different sample; here it swaps at most one row, so the same segments stay
    in the sample (and their embeddings in memory) from one *Review next* to the next."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) <= size:
        return np.sort(rows)
    keys = np.random.default_rng(seed).random(int(rows.max()) + 1)[rows]
    return np.sort(rows[np.argpartition(keys, size - 1)[:size]])


def uncertainty(proba: np.ndarray) -> np.ndarray:
    if proba.shape[1] == 0:
        return np.ones(proba.shape[0])
    return (1.0 - np.abs(2.0 * proba - 1.0)).max(axis=1)


def total_uncertainty(proba: np.ndarray) -> np.ndarray:
    if proba.shape[1] == 0:
        return np.ones(proba.shape[0])
    return (1.0 - np.abs(2.0 * proba - 1.0)).sum(axis=1)


def density(embeddings: np.ndarray, rows: np.ndarray, k: int = 10, block: int = 2048,
            reference: int = 4096, seed: int = 0, among: np.ndarray | None = None) -> np.ndarray:
    """Mean similarity of each row to its ``k`` nearest other rows of ``among`` (default:
    ``rows`` themselves), measured against at most ``reference`` of them (a seeded sample),
    so that 50,000 segments cost seconds."""
    pool = rows if among is None else among
    if len(rows) < 1 or len(pool) < 2:
        return np.ones(len(rows))
    ref = pool if len(pool) <= reference else np.sort(np.random.default_rng(seed).choice(pool, reference, replace=False))
    R = embeddings[ref]
    k = max(1, min(k, len(ref) - 1))
    out = np.zeros(len(rows))
    for start in range(0, len(rows), block):
        part = rows[start:start + block]
        sims = embeddings[part] @ R.T
        sims[part[:, None] == ref[None, :]] = -np.inf  # a row is not its own neighbour
        out[start:start + len(part)] = np.partition(sims, -k, axis=1)[:, -k:].mean(axis=1)
    return out


def typical_clusters(embeddings: np.ndarray, unlabelled: np.ndarray, labelled: np.ndarray, n: int,
                     random_state: int = 0, sample: int = 10_000) -> list[int]:
    """TypiClust (Hacohen, Dekel & Weinshall 2022): k-means into ``len(labelled) + n``
    clusters of all the segments; the clusters with the fewest coded segments come first,
    the larger first among equals, and from each the most typical uncoded segment (the
    highest :func:`density` among the cluster's members). k-means is fitted on at most
    ``sample`` segments (a seeded sample) and every segment then assigned to its nearest
    centre, so that 50,000 segments cost seconds. Above :data:`POOL` uncoded segments,
    clusters, sizes and the typical members are those of a seeded :data:`SAMPLE` of them
    (with every coded segment), so the work no longer grows with the study."""
    import warnings

    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    rng = np.random.default_rng(random_state)
    if len(unlabelled) > POOL:
        unlabelled = stable_sample(unlabelled, SAMPLE, random_state)
    everything = np.concatenate([unlabelled, labelled]).astype(np.int64)
    k = min(len(labelled) + n, len(everything))
    fit_rows = everything if len(everything) <= sample else rng.choice(everything, sample, replace=False)
    with warnings.catch_warnings():
        # identical segments make fewer distinct clusters than asked: the empty ones are
        # simply skipped below; a coder cannot act on the warning
        warnings.simplefilter("ignore", ConvergenceWarning)
        km = KMeans(n_clusters=min(k, len(fit_rows)), n_init=1, random_state=random_state).fit(embeddings[fit_rows])
    cluster = km.predict(embeddings[everything])
    n_clusters = km.n_clusters
    size = np.bincount(cluster, minlength=n_clusters)
    covered = np.bincount(cluster[len(unlabelled):], minlength=n_clusters)
    open_ = cluster[: len(unlabelled)]
    picks: list[int] = []
    for c in sorted(range(n_clusters), key=lambda c: (covered[c], -size[c], c)):
        members = unlabelled[open_ == c]
        if members.size:
            typicality = density(embeddings, members, k=min(20, max(1, members.size - 1)))
            picks.append(int(members[int(np.argmax(typicality))]))
        if len(picks) == n:
            break
    return picks


def typical_first(n_coded: int, has_model: bool = True, cold_start: int | None = None) -> bool:
    """Whether typical clusters choose (not uncertainty): fewer than ``cold_start`` (default
    :data:`COLD_START`) segments coded, or no model yet. The one place this rule lives:
    :func:`select_next`, the simulated coder and the review queue's reason all ask here."""
    return not has_model or n_coded < (COLD_START if cold_start is None else cold_start)


def select_next(embeddings: np.ndarray | LazyRows, unlabelled: np.ndarray, labelled: np.ndarray, n: int,
                proba: np.ndarray | None = None, redundancy: float = 0.9, typical: float = 0.5,
                cold_start: int | None = None, random_state: int = 0,
                score: np.ndarray | None = None) -> list[int]:
    """Row indices (from ``unlabelled``) to code next; ``proba`` rows align with ``unlabelled``.
    ``score`` may stand for ``proba``: each row's :func:`total_uncertainty` (what a study
    sums in SQL from its stored suggestions, without a segments × codes matrix).
    ``embeddings`` may be :class:`LazyRows`: only the rows used are computed.

    Until ``cold_start`` (default :data:`COLD_START`) segments are coded (or with no model
    yet), the typical segments of the clusters coded least (:func:`typical_clusters`);
    then uncertainty among the typical segments, each different from the others (see
    above).

    Everything is computed on one thread: the last bits of a matrix product depend on
    how many threads share it, and the picks are chaotic (a 1e-6 change picks other rows,
    see above), so otherwise the same study or ``qualcode evaluate`` run would pick other
    segments on a machine with another number of cores (measured here: the third pick of
    the first round already differed between 1 and 2 threads)."""
    import sklearn.cluster  # noqa: F401  (loads its own BLAS: before the limit, so the limit covers it)
    from threadpoolctl import threadpool_limits

    if unlabelled.size == 0 or n <= 0:
        return []
    if score is None and proba is not None:
        score = total_uncertainty(proba)
    with threadpool_limits(limits=1):
        if typical_first(labelled.size, score is not None, cold_start):
            picks = typical_clusters(embeddings, unlabelled, labelled, n, random_state)
            if len(picks) == n:
                return picks
            rest = np.setdiff1d(unlabelled, picks)
            return picks + _select(embeddings, rest, np.concatenate([labelled, picks]).astype(np.int64),
                                   n - len(picks), None, redundancy, typical)
        return _select(embeddings, unlabelled, labelled, n, np.asarray(score, dtype=np.float64), redundancy, typical)


def _candidates(embeddings: np.ndarray | LazyRows, unlabelled: np.ndarray, uncertain: np.ndarray | None,
                typical: float) -> tuple[np.ndarray, np.ndarray]:
    """The rows :func:`_select` ranks and their score. Up to :data:`POOL` rows: every one,
    densities against (at most 4,096 of) all of them and the typical-half cut over all.
    Above: the :data:`CANDIDATES` most uncertain (or, with no model, a seeded sample),
    densities against a seeded :data:`SAMPLE` of the pool, the cut estimated on
    :data:`PROBE` rows of that sample (the same estimate of the same quantity)."""
    if len(unlabelled) <= POOL:
        rows, score, dense = np.arange(len(unlabelled)), uncertain, density(embeddings, unlabelled)
        probe = dense
    else:
        ref = stable_sample(unlabelled, SAMPLE)
        if uncertain is None:
            rows = np.flatnonzero(np.isin(unlabelled, stable_sample(ref, CANDIDATES, 1)))
        else:
            rows = np.sort(np.argsort(-uncertain, kind="stable")[:CANDIDATES])  # pool order among equals
        score = None if uncertain is None else uncertain[rows]
        dense = density(embeddings, unlabelled[rows], reference=SAMPLE, among=ref)
        probe = density(embeddings, stable_sample(ref, PROBE, 2), reference=SAMPLE, among=ref)
    if score is None:  # nothing learnt yet: the most representative segments first
        return rows, dense
    if typical < 1:
        cut = np.quantile(probe, 1.0 - typical)
        score = np.where(dense >= cut, score, score - score.max() - 1.0)  # outliers only as a last resort
    return rows, score


def _select(embeddings: np.ndarray | LazyRows, unlabelled: np.ndarray, labelled: np.ndarray, n: int,
            uncertain: np.ndarray | None, redundancy: float, typical: float) -> list[int]:
    rows, score = _candidates(embeddings, unlabelled, uncertain, typical if len(unlabelled) > n else 1.0)
    picks: list[int] = []
    taken = embeddings[np.asarray(labelled, dtype=np.int64)]
    for i in np.argsort(-score, kind="stable"):
        row = int(unlabelled[rows[i]])
        vec = embeddings[row]
        if taken.shape[0] and float((taken @ vec).max()) > redundancy:
            continue
        picks.append(row)
        taken = np.vstack([taken, vec[None, :]])
        if len(picks) == n:
            break
    if len(picks) < n:  # everything left is redundant: fill with the best remaining
        rest = [int(unlabelled[rows[i]]) for i in np.argsort(-score, kind="stable") if int(unlabelled[rows[i]]) not in picks]
        picks.extend(rest[: n - len(picks)])
    return picks
