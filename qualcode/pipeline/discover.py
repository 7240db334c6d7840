"""Candidate themes by clustering segment embeddings, with outliers kept apart.

Measured on the FFT gold set (``bench/discover_quality.py``; 2,184 comments, MiniLM
embeddings, AMI against each comment's first human code, outliers counted as one more
cluster): scikit-learn's HDBSCAN on a PCA projection left 80 % of the comments as noise
(sentence embeddings are too evenly dense for it), AMI 0.094; UMAP + HDBSCAN (what BERTopic
does) 0.237, BERTopic with its defaults 0.235, both with 28 % outliers, and UMAP needs numba
and took minutes on this shared machine; spherical k-means 0.255 with every comment forced
into a cluster, and 0.245 as below, with 6 % kept apart as outliers. So discovery is:

1. :func:`cluster_embeddings`: spherical k-means (seeded) on the L2-normalised embeddings,
   fitted on at most :data:`FIT_SAMPLE` segments (a seeded sample) and every segment then
   assigned to its nearest centre: 50,000 segments cost one matrix product more than 4,000;
2. :func:`outliers`: a segment much further from its centre than the cluster's other members
   (cosine below median − :data:`OUTLIER_Z` · 1.4826 · MAD, a robust z-score) belongs to no
   theme and is labelled -1, as are the members of clusters smaller than ``min_size``: they
   are shown apart, never forced into a theme;
3. labels from :mod:`qualcode.pipeline.discover_labels` (c-TF-IDF without fillers and names);
4. :func:`representative` quotes: nearest the centre, one per participant first.

Everything is deterministic for a ``random_state``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

FIT_SAMPLE = 4000  # k-means is fitted on at most this many segments, then all are assigned
OUTLIER_Z = 3.0  # robust z-score below which a member is an outlier of its cluster
MAX_CLUSTERS = 25  # as before this change: more than a coder reads through
# A cluster is *new* when no code's prototype (definition + examples) is this close to its
# centre (cosine) and no code is applied to half its segments. Set from all-MiniLM-L6-v2's
# scale before looking at any study's result, not tuned: texts on one topic score above 0.5
# against each other, unrelated English texts 0.0-0.3; a cluster centre is an average, which
# lifts every similarity a little, so the line sits at the top of the unrelated band.
NEW_SIMILARITY = 0.5
NEW_CODED_SHARE = 0.5


@dataclass(frozen=True)
class Cluster:
    label: int
    size: int
    keywords: tuple[str, ...]  # words and two-word phrases, best first
    exemplars: tuple[int, ...]  # row indices into the input: representative, distinct participants first
    members: tuple[int, ...]
    fit: tuple[float, ...] = ()  # cosine of each member to the centre, in the order of ``members``

    @property
    def phrases(self) -> tuple[str, ...]:
        return tuple(k for k in self.keywords if " " in k)


@dataclass(frozen=True)
class Discovery:
    clusters: tuple[Cluster, ...]  # largest first, labels 0..k-1 in that order
    outliers: tuple[int, ...]  # row indices in no cluster
    centres: np.ndarray  # (k, dim) unit vectors, row i for clusters[i]


def default_n_clusters(n: int) -> int:
    return int(max(2, min(MAX_CLUSTERS, round(np.sqrt(n / 2)))))


def default_min_size(n: int) -> int:
    """A theme needs a few segments: 3 in a small study, 1 % of the segments in a large one."""
    return int(max(3, min(100, n // 100)))


def _unit(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)


def cluster_embeddings(embeddings: np.ndarray, n_clusters: int, random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels 0..n_clusters-1 and unit centres; fitted on a seeded sample of at most FIT_SAMPLE rows."""
    import warnings

    from sklearn.cluster import KMeans  # loads its own BLAS: before the limit, so the limit covers it
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    X = _unit(embeddings)
    rng = np.random.default_rng(random_state)
    fit_rows = np.sort(rng.choice(len(X), FIT_SAMPLE, replace=False)) if len(X) > FIT_SAMPLE else slice(None)
    # one thread: k-means' parallel sums differ in the last bits between 1 and 2 threads, and the
    # clusters must not depend on the machine (the same seed, the same clusters)
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", ConvergenceWarning)  # identical segments: fewer distinct clusters
        km = KMeans(n_clusters=n_clusters, n_init=3, max_iter=100, random_state=random_state).fit(X[fit_rows])
    centres = _unit(km.cluster_centers_)
    labels = np.argmax(X @ centres.T, axis=1)
    for c in range(n_clusters):  # spherical: the centre is the members' mean direction
        if (labels == c).any():
            centres[c] = _unit(X[labels == c].mean(axis=0, keepdims=True))[0]
    return labels, centres


def outliers(embeddings: np.ndarray, labels: np.ndarray, centres: np.ndarray, z: float = OUTLIER_Z) -> np.ndarray:
    """True for members far below their cluster's typical closeness to its centre."""
    X = _unit(embeddings)
    fit = np.einsum("ij,ij->i", X, centres[labels])
    out = np.zeros(len(X), dtype=bool)
    for c in range(len(centres)):
        rows = labels == c
        if rows.sum() < 4:
            continue
        med = np.median(fit[rows])
        mad = 1.4826 * np.median(np.abs(fit[rows] - med))
        out[rows] = fit[rows] < med - z * max(mad, 1e-6)
    return out


def representative(embeddings: np.ndarray, rows: np.ndarray, centre: np.ndarray,
                   authors: Sequence[str] | None, n: int = 3) -> tuple[int, ...]:
    """Up to ``n`` rows nearest the centre, from as many different participants as there are."""
    order = rows[np.argsort(-(_unit(embeddings[rows]) @ centre), kind="stable")]
    picked: list[int] = []
    seen: set[str] = set()
    for r in order:
        who = authors[r] if authors is not None else str(r)
        if who not in seen:
            picked.append(int(r))
            seen.add(who)
        if len(picked) == n:
            return tuple(picked)
    rest = [int(r) for r in order if int(r) not in picked]
    return tuple(picked + rest[:n - len(picked)])


def discover_clusters(embeddings: np.ndarray, texts: Sequence[str], n_clusters: int | None = None,
                      min_size: int | None = None, random_state: int = 0,
                      authors: Sequence[str] | None = None, exclude: Iterable[str] = (),
                      outlier_z: float | None = OUTLIER_Z) -> Discovery:
    """Clusters (largest first) and outliers of ``texts``; ``authors`` (one per text, e.g. the
    participant) spreads the quotes and filters one-person words; ``exclude`` lists names."""
    from qualcode.pipeline.discover_labels import class_tfidf_labels

    X = _unit(embeddings)
    n = len(texts)
    if n < 4:
        return Discovery((), tuple(range(n)), np.zeros((0, X.shape[1] if X.ndim == 2 else 0), np.float32))
    min_size = default_min_size(n) if min_size is None else min_size
    k = max(1, min(n_clusters or default_n_clusters(n), n // 2))
    labels, centres = cluster_embeddings(X, k, random_state)
    if outlier_z is not None:
        labels = np.where(outliers(X, labels, centres, outlier_z), -1, labels)
    sizes = np.bincount(labels[labels >= 0], minlength=k)
    labels = np.where((labels >= 0) & (sizes[np.maximum(labels, 0)] < min_size), -1, labels)
    sizes = np.bincount(labels[labels >= 0], minlength=k)
    kept = [c for c in np.argsort(-sizes, kind="stable") if sizes[c] > 0]
    renumber = np.full(k, -1)
    renumber[kept] = np.arange(len(kept))
    labels = np.where(labels >= 0, renumber[np.maximum(labels, 0)], -1)
    centres = np.stack([_unit(X[labels == c].mean(axis=0, keepdims=True))[0] for c in range(len(kept))]) \
        if kept else np.zeros((0, X.shape[1]), np.float32)
    keywords = class_tfidf_labels(texts, labels, len(kept), authors, exclude)
    clusters = []
    for c in range(len(kept)):
        rows = np.flatnonzero(labels == c)
        fit = X[rows] @ centres[c]
        clusters.append(Cluster(c, len(rows), keywords[c], representative(X, rows, centres[c], authors),
                                tuple(int(r) for r in rows), tuple(round(float(f), 4) for f in fit)))
    return Discovery(tuple(clusters), tuple(int(r) for r in np.flatnonzero(labels < 0)), centres)


def discover_themes(embeddings: np.ndarray, texts: Sequence[str], n_clusters: int | None = None,
                    random_state: int = 0) -> list[Cluster]:
    """Every segment in a cluster (no outliers), largest first: the earlier interface."""
    found = discover_clusters(embeddings, texts, n_clusters, min_size=1, random_state=random_state,
                              outlier_z=None)
    return list(found.clusters)


def code_similarity(centres: np.ndarray, prototypes: np.ndarray, owners: Sequence[int], n_codes: int) -> np.ndarray:
    """(clusters × codes) cosine of each cluster centre to each code's prototype: the mean
    direction of the code's definition and examples."""
    P = _unit(prototypes)
    owners = np.asarray(owners)
    proto = np.stack([_unit(P[owners == j].mean(axis=0, keepdims=True))[0] for j in range(n_codes)]) \
        if n_codes else np.zeros((0, P.shape[1]), np.float32)
    return _unit(centres) @ proto.T if len(centres) else np.zeros((0, n_codes))
