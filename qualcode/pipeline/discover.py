"""Candidate themes by clustering: k-means on the embeddings, c-TF-IDF labels, exemplars.

Each stage is small and replaceable (as in BERTopic): :func:`cluster_embeddings`
(k-means, seeded), :func:`class_tfidf_keywords` (class-based TF-IDF: a term's frequency
in a cluster, weighted by ``log(1 + A / f_t)``, A the mean words per cluster and f_t the
term's frequency over all clusters), and :func:`exemplars` (the segments nearest each
cluster's centre).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Cluster:
    label: int
    size: int
    keywords: tuple[str, ...]
    exemplars: tuple[int, ...]  # row indices into the input, nearest the centre first
    members: tuple[int, ...]


def default_n_clusters(n: int) -> int:
    return int(max(2, min(25, round(np.sqrt(n / 2)))))


def cluster_embeddings(embeddings: np.ndarray, n_clusters: int, random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.cluster import KMeans

    km = KMeans(n_clusters=n_clusters, n_init=4, random_state=random_state).fit(embeddings)
    centres = km.cluster_centers_ / np.maximum(np.linalg.norm(km.cluster_centers_, axis=1, keepdims=True), 1e-12)
    return km.labels_, centres


def class_tfidf_keywords(texts: Sequence[str], labels: np.ndarray, n_clusters: int, top_n: int = 8) -> list[tuple[str, ...]]:
    from sklearn.feature_extraction.text import CountVectorizer

    docs = [" ".join(t for t, lab in zip(texts, labels, strict=True) if lab == c) for c in range(n_clusters)]
    vectorizer = CountVectorizer(stop_words="english", ngram_range=(1, 2), min_df=1, token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z'-]+\b")
    try:
        counts = vectorizer.fit_transform(docs).toarray().astype(float)
    except ValueError:  # nothing but stop words
        return [() for _ in range(n_clusters)]
    words_per_class = counts.sum(axis=1, keepdims=True)
    tf = counts / np.maximum(words_per_class, 1)
    idf = np.log(1 + words_per_class.mean() / np.maximum(counts.sum(axis=0), 1))
    scores = tf * idf
    vocab = np.array(vectorizer.get_feature_names_out())
    return [tuple(vocab[np.argsort(-row)[:top_n]][row[np.argsort(-row)[:top_n]] > 0]) for row in scores]


def exemplars(embeddings: np.ndarray, labels: np.ndarray, centres: np.ndarray, n: int = 3) -> list[tuple[int, ...]]:
    out = []
    for c, centre in enumerate(centres):
        rows = np.flatnonzero(labels == c)
        out.append(tuple(int(r) for r in rows[np.argsort(-(embeddings[rows] @ centre))[:n]]))
    return out


def discover_themes(embeddings: np.ndarray, texts: Sequence[str], n_clusters: int | None = None,
                    random_state: int = 0) -> list[Cluster]:
    """Clusters, largest first."""
    n = len(texts)
    if n < 4:
        return []
    k = min(n_clusters or default_n_clusters(n), n // 2)
    labels, centres = cluster_embeddings(np.asarray(embeddings, dtype=np.float32), k, random_state)
    keywords = class_tfidf_keywords(texts, labels, k)
    examples = exemplars(np.asarray(embeddings, dtype=np.float32), labels, centres)
    clusters = [Cluster(c, int((labels == c).sum()), keywords[c], examples[c],
                        tuple(int(r) for r in np.flatnonzero(labels == c))) for c in range(k)]
    return sorted(clusters, key=lambda c: -c.size)
