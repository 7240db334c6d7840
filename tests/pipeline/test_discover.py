"""Discovery on a synthetic corpus with planted topics: recovered, labelled with the planted
words (never fillers or names), the same seed gives the same clusters, outliers stay apart."""

from __future__ import annotations

import numpy as np
import pytest

from qualcode.pipeline.discover import code_similarity, discover_clusters, outliers
from qualcode.pipeline.discover_groups import benjamini_hochberg, group_table
from qualcode.pipeline.discover_labels import class_tfidf_labels, content_tokens, proper_nouns, stop_words
from qualcode.pipeline.embed import HashingEmbedder

TOPICS = {0: ["pharmacist", "prescription", "chemist", "medicine", "tablets"],
          1: ["carer", "daughter", "respite", "caring", "exhausted"],
          2: ["ambulance", "paramedic", "emergency", "stretcher", "siren"]}
FILLER = ["yeah", "um", "you", "know", "I", "think", "it's", "like", "didn't", "that's", "really"]
NOISE = ["weather", "garden", "football", "holiday", "television", "recipe", "bicycle", "painting",
         "violin", "astronomy", "chess", "knitting", "sailing", "poetry", "pottery", "climbing"]


def planted(n_per_topic: int = 30, n_noise: int = 6, seed: int = 1):
    """Segments: 3 topics × n (4 topic words + 4 fillers), each topic spoken by 3 people, one of
    whom keeps naming her husband Reginald; then n_noise segments of unrelated words."""
    rng = np.random.default_rng(seed)
    texts, topic, authors = [], [], []
    for t, words in TOPICS.items():
        for i in range(n_per_topic):
            w = list(rng.choice(words, 4)) + list(rng.choice(FILLER, 4))
            who = f"P{t}{i % 3}"
            if who == "P00":
                w.append("Reginald")
            texts.append("Well " + " ".join(rng.permutation(w)) + ".")
            topic.append(t)
            authors.append(who)
    for i in range(n_noise):
        texts.append("So " + " ".join(rng.choice(NOISE, 6, replace=False)) + " and Reginald.")
        topic.append(-1)
        authors.append(f"N{i}")
    return texts, np.array(topic), authors


def run(seed: int = 0, **kw):
    texts, topic, authors = planted()
    X = HashingEmbedder(512).encode(texts)
    return discover_clusters(X, texts, n_clusters=3, min_size=5, random_state=seed, authors=authors, **kw), topic


def test_planted_topics_are_recovered_pure_and_labelled_with_their_words():
    found, topic = run()
    assert len(found.clusters) == 3
    recovered = set()
    for c in found.clusters:
        members = topic[list(c.members)]
        assert (members >= 0).all()  # no noise segment in a theme
        t = int(np.bincount(members).argmax())
        assert np.mean(members == t) == 1.0
        assert c.size >= 25  # at most a few typical-looking members set apart
        recovered.add(t)
        assert set(c.keywords[:3]) <= set(TOPICS[t]) | {f"{a} {b}" for a in TOPICS[t] for b in TOPICS[t]}
        assert all(k.split()[0] in TOPICS[t] for k in c.keywords[:5])
    assert recovered == {0, 1, 2}


def test_labels_leave_out_fillers_contractions_and_names():
    found, _ = run()
    banned = {w.lower() for w in FILLER} | {"reginald", "well", "it", "that", "didn"}
    for c in found.clusters:
        assert not banned & {w for k in c.keywords for w in k.split()}


def test_the_same_seed_gives_the_same_clusters():
    a, _ = run(seed=3)
    b, _ = run(seed=3)
    assert [(c.members, c.keywords, c.exemplars) for c in a.clusters] == \
           [(c.members, c.keywords, c.exemplars) for c in b.clusters]
    assert a.outliers == b.outliers


def test_outliers_stay_apart():
    found, topic = run()
    noise = set(np.flatnonzero(topic < 0).tolist())
    assert noise <= set(found.outliers)
    assert not noise & {m for c in found.clusters for m in c.members}
    assert sum(c.size for c in found.clusters) + len(found.outliers) == len(topic)


def test_exemplars_come_from_different_participants_first():
    texts, _, authors = planted()
    X = HashingEmbedder(512).encode(texts)
    found = discover_clusters(X, texts, n_clusters=3, min_size=5, authors=authors)
    for c in found.clusters:
        assert len({authors[i] for i in c.exemplars}) == 3
        assert set(c.exemplars) <= set(c.members)


def test_small_clusters_are_dissolved_into_outliers():
    texts, topic, authors = planted(n_per_topic=30)
    X = HashingEmbedder(512).encode(texts)
    found = discover_clusters(X, texts, n_clusters=3, min_size=31, authors=authors)
    assert found.clusters == () and len(found.outliers) == len(texts)


def test_robust_outlier_rule_on_known_similarities():
    # cluster 0: nine points at angle ~0 and one at 80 degrees: only that one is an outlier
    angles = np.r_[np.linspace(-0.05, 0.05, 9), 1.4]
    X = np.c_[np.cos(angles), np.sin(angles)]
    out = outliers(X, np.zeros(10, dtype=int), np.array([[1.0, 0.0]]))
    assert out.tolist() == [False] * 9 + [True]


def test_content_tokens_drop_stop_words_fillers_contractions_possessives():
    tokens = content_tokens("Yeah, I didn't know the GP's receptionist — it's like, um, awful.", stop_words())
    assert [t for t in tokens if t] == ["gp", "receptionist", "awful"]


def test_phrases_never_bridge_a_removed_word():
    labels = class_tfidf_labels(["waiting list is long", "waiting list again", "long waiting list"],
                                np.zeros(3, dtype=int), 1)
    assert "waiting list" in labels[0] and "list long" not in labels[0]


def test_proper_nouns_are_names_written_capitalised_mid_sentence_but_not_acronyms():
    texts = ["I told Margaret about it.", "then Margaret rang the GP", "the GP was kind", "so Margaret said",
             "Nurses were kind. Kind people."]
    assert proper_nouns(texts) == frozenset({"margaret"})


def test_a_word_only_one_participant_uses_is_no_label():
    texts = ["bus stop late", "bus stop again", "Bertie bus", "Bertie stop"]
    labels = class_tfidf_labels(texts, np.zeros(4, dtype=int), 1, authors=["A", "B", "A", "A"])
    assert "bertie" not in labels[0] and "bus" in labels[0]


def test_code_similarity_is_cosine_to_the_mean_of_definition_and_examples():
    centres = np.array([[1.0, 0.0], [0.0, 1.0]])
    protos = np.array([[1.0, 0.0], [1.0, 0.0], [0.6, 0.8], [0.6, -0.8]])
    sim = code_similarity(centres, protos, [0, 0, 1, 1], 2)
    assert sim == pytest.approx(np.array([[1.0, 1.0], [0.0, 0.0]]), abs=1e-6)


def test_benjamini_hochberg_matches_the_textbook_example():
    # p = .01 .04 .03 .005 (m = 4): q = .02 .04 .04 .02
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.02, 0.04, 0.04, 0.02])


def test_group_table_finds_the_cluster_one_group_talks_about():
    # cluster 1 is said only by carers (12 segments from 3 carers), cluster 0 by everyone
    labels = [0] * 10 + [0] * 10 + [1] * 12 + [-1] * 3
    groups = ["staff"] * 10 + ["carer"] * 10 + ["carer"] * 12 + ["staff"] * 3
    authors = [f"S{i % 3}" for i in range(10)] + [f"C{i % 3}" for i in range(22)] + ["S0"] * 3
    cells = {(c.cluster, c.group): c for c in group_table(labels, groups, authors)}
    carer = cells[(1, "carer")]
    assert (carer.segments, carer.participants, carer.specific) == (12, 3, True)
    assert carer.share_in_group == pytest.approx(12 / 22, abs=1e-4) and carer.share_elsewhere == 0.0
    # Fisher one-sided: P(all 12 of cluster 1 among the 22 carers of 32 clustered) = C(22,12)/C(32,12)
    from math import comb

    assert carer.p == pytest.approx(comb(22, 12) / comb(32, 12), rel=1e-4)
    staff = cells[(0, "staff")]  # all of staff's clustered talk is cluster 0: specific too
    assert (staff.share_in_group, staff.share_elsewhere, staff.specific) == (1.0, round(10 / 22, 4), True)
    assert not cells[(0, "carer")].specific
    assert cells[(1, "staff")].segments == 0 and not cells[(1, "staff")].specific


def test_the_clusters_do_not_depend_on_the_number_of_threads():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=2):
        two, _ = run(seed=1)
    one, _ = run(seed=1)
    assert [c.members for c in one.clusters] == [c.members for c in two.clusters]
