"""Cluster labels a coder can read: c-TF-IDF keywords and phrases without the talk around them.

Interview talk is full of words that are frequent everywhere and say nothing about a theme
("yeah", "you know", "I think", "didn't"), and of names (the participant's, a relative's, the
interviewer's), which c-TF-IDF ranks *high* because they are frequent in one cluster only.
So the terms are filtered before they are weighted:

* stop words (scikit-learn's English list), conversational fillers (:data:`FILLERS`) and any
  token with an apostrophe once a possessive ``'s`` is taken off (``didn't``, ``i'd``,
  ``it's`` → ``it``, a stop word): contractions are function words;
* names: the study's participant ``name`` attributes, speaker labels and a redact list
  (``exclude``), and, from the corpus itself, capitalised words that are mostly written
  capitalised in mid-sentence (:func:`proper_nouns`; ``GP``/``NHS`` in capitals are kept:
  acronyms are content);
* a term must be used by at least two participants of the cluster (when it has two): a
  word only one person says is usually their own name for someone or something.

Phrases are adjacent pairs of content words in the original text (never bridging a removed
word). Weights are BERTopic's c-TF-IDF: ``tf(t, c) · log(1 + A / f(t))``, ``tf`` the term's
share of the cluster's terms, ``A`` the mean number of terms per cluster, ``f(t)`` the term's
count over all clusters.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

FILLERS = frozenset("""
um umm uh uhm erm er ah oh eh hmm mm mhm yeah yes yep yup no nope okay ok like know think
thought mean means really just sort kind actually basically literally right well got get
gets getting go goes going gone went come comes came make makes made let put take took
say says said saying tell told thing things stuff lot lots bit quite obviously probably
maybe perhaps sure way want wanted guess suppose course certainly definitely absolutely
pretty fine good great yeah yeah alright anyway anyways gonna wanna gotta kinda sorta
something anything everything nothing someone anybody everybody somebody one ones
also much many very still even ever always never often sometimes though although
look looked looking see seen saw feel felt years year time times day days today
did does doing done having thank thanks sorry please indeed exactly correct true
""".split())

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]|[A-Za-z]")
# a token, with group 1 set when it starts a sentence (text start, or after . ! ? : ; quotes,
# brackets or a line break, and spaces)
_TOKEN_AT = re.compile(r"(^\s*|[.!?:;\"“”()\[\]\n]\s*)?([A-Za-z][A-Za-z'’\-]*[A-Za-z]|[A-Za-z])")


def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | FILLERS


def name_terms(names: Iterable[str]) -> frozenset[str]:
    """Lower-case word tokens of names, speaker labels and redact-list entries."""
    out: set[str] = set()
    for name in names:
        out.update(t.lower().replace("’", "'") for t in _TOKEN.findall(name or "") if len(t) > 1)
    return frozenset(out)


def proper_nouns(texts: Sequence[str], min_count: int = 2, share: float = 0.8) -> frozenset[str]:
    """Words written Capitalised (not ALL CAPS) in at least ``share`` of their mid-sentence
    uses, seen at least ``min_count`` times: in transcripts these are names of people and
    places. Sentence-initial uses are not counted either way."""
    capital: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for text in texts:
        for m in _TOKEN_AT.finditer(text):
            if m.group(1) is not None:  # sentence-initial: capitalised anyway
                continue
            word = m.group(2)
            if word[0].isupper():
                if word.isupper() and len(word) > 1:
                    continue  # an acronym use says nothing about being a name
                capital[word.lower()] += 1
            seen[word.lower()] += 1
    return frozenset(w for w, n in capital.items() if n >= min_count and n >= share * max(seen[w], 1))


def _normalise(raw: str, excluded: frozenset[str]) -> str | None:
    word = raw.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if "'" in word or len(word) < 2 or word in excluded or word.strip("-") in excluded:
        return None
    return word


def content_tokens(text: str, excluded: frozenset[str], cache: dict[str, str | None] | None = None) -> list[str | None]:
    """The text's tokens, lower-cased, ``None`` for each removed one (so that a phrase
    never bridges a removed word); ``cache`` remembers each distinct token's fate."""
    cache = {} if cache is None else cache
    out: list[str | None] = []
    for raw in _TOKEN.findall(text):
        if raw not in cache:
            cache[raw] = _normalise(raw, excluded)
        out.append(cache[raw])
    return out


def segment_terms(text: str, excluded: frozenset[str], cache: dict[str, str | None] | None = None) -> list[str]:
    """Unigrams and adjacent-content-word bigrams of one segment."""
    tokens = content_tokens(text, excluded, cache)
    terms = [t for t in tokens if t]
    terms += [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False) if a and b and a != b]
    return terms


def class_tfidf_labels(texts: Sequence[str], labels: np.ndarray, n_clusters: int,
                       authors: Sequence[str] | None = None, exclude: Iterable[str] = (),
                       top_n: int = 10) -> list[tuple[str, ...]]:
    """The ``top_n`` terms (words and two-word phrases) of each cluster 0..n_clusters-1,
    best first; segments labelled -1 (outliers) are left out."""
    excluded = stop_words() | name_terms(exclude) | proper_nouns(texts)
    authors = list(authors) if authors is not None else [str(i) for i in range(len(texts))]
    counts: list[Counter[str]] = [Counter() for _ in range(n_clusters)]
    speakers: list[dict[str, set[str]]] = [{} for _ in range(n_clusters)]
    cluster_authors: list[set[str]] = [set() for _ in range(n_clusters)]
    cache: dict[str, str | None] = {}
    for text, lab, who in zip(texts, labels, authors, strict=True):
        if lab < 0:
            continue
        cluster_authors[lab].add(who)
        terms = segment_terms(text, excluded, cache)
        counts[lab].update(terms)
        for t in set(terms):
            speakers[lab].setdefault(t, set()).add(who)
    for c in range(n_clusters):  # a term only one participant of the cluster uses: usually a name
        need = min(2, len(cluster_authors[c]))
        for t in [t for t, who in speakers[c].items() if len(who) < need]:
            del counts[c][t]
    vocab = sorted({t for cnt in counts for t in cnt})
    if not vocab:
        return [() for _ in range(n_clusters)]
    index = {t: j for j, t in enumerate(vocab)}
    matrix = np.zeros((n_clusters, len(vocab)))
    for c, cnt in enumerate(counts):
        for t, n in cnt.items():
            matrix[c, index[t]] = n
    per_class = matrix.sum(axis=1, keepdims=True)
    tf = matrix / np.maximum(per_class, 1)
    idf = np.log(1 + per_class.mean() / np.maximum(matrix.sum(axis=0), 1))
    scores = tf * idf
    words = np.array(vocab)
    out = []
    for row in scores:
        order = np.lexsort((words, -row))  # ties broken alphabetically: the same labels every run
        out.append(tuple(str(words[j]) for j in order[:top_n] if row[j] > 0))
    return out
