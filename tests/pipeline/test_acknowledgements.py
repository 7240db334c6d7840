"""Short acknowledgements carry no code: the gate, its learning from decisions, the engine."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from qualcode.pipeline.acknowledgements import PROTOTYPES, AcknowledgementGate, is_dialogue, word_counts
from qualcode.pipeline.embed import HashingEmbedder
from qualcode.pipeline.suggest import CodeSuggester

EMBED = HashingEmbedder(256)
CODES = ["the phone line was engaged when I rang the surgery",
         "the budget cut means less money and funding for the service"]
TEXTS = ["Yes.", "Thank you.", "the phone line was engaged again when I rang",
         "less money and funding since the budget cut", "Okay.",
         "yes the phone line was engaged all morning when I rang"]


def engine(**kw) -> CodeSuggester:
    return CodeSuggester(EMBED.encode(CODES), np.array([0, 1]), acknowledgements=EMBED.encode(list(PROTOTYPES)),
                         dialogue=True, **kw)


def code_similarity(texts):
    return (EMBED.encode(texts) @ EMBED.encode(CODES).T).max(axis=1)


def test_word_counts_treat_a_contraction_as_one_word():
    assert word_counts(["That's right.", "", "Thank you very much indeed."]).tolist() == [2, 0, 5]


def test_short_replies_nearer_an_acknowledgement_than_any_code_are_acknowledgements():
    gate = AcknowledgementGate(EMBED.encode(list(PROTOTYPES)))
    X = EMBED.encode(TEXTS)
    gate.fit(TEXTS, np.full((6, 2), np.nan), embeddings=X, code_similarity=code_similarity(TEXTS))
    like = gate.is_acknowledgement(TEXTS, embeddings=X, code_similarity=code_similarity(TEXTS))
    assert like.tolist() == [True, True, False, False, True, False]  # the long "yes …" has content
    assert gate.factor_ == pytest.approx(0.1 / 0.9)
    assert gate.factor(TEXTS, embeddings=X, code_similarity=code_similarity(TEXTS)).tolist() == pytest.approx(
        [0.1 / 0.9, 0.1 / 0.9, 1, 1, 0.1 / 0.9, 1])


def test_before_any_decision_an_acknowledgement_gets_no_suggestion():
    X = EMBED.encode(TEXTS)
    Y = np.full((6, 2), np.nan)
    with_rule = engine().fit(TEXTS, Y, embeddings=X)
    without = clone(with_rule).set_params(acknowledgements=None).fit(TEXTS, Y, embeddings=X)
    stored_with = with_rule.stored(with_rule.predict_proba(TEXTS, embeddings=X))
    stored_without = without.stored(without.predict_proba(TEXTS, embeddings=X))
    assert stored_without[[0, 1, 4]].any()  # the codebook prior alone suggests something for "Yes."
    assert not stored_with[[0, 1, 4]].any()
    assert (stored_with[[2, 3, 5]] == stored_without[[2, 3, 5]]).all()  # content segments untouched


def test_coders_who_code_short_replies_turn_the_rule_off():
    """20 decided "Yes." segments all coded: the chance an acknowledgement carries a code is
    (10 × 0.1 + 20) / 30 = 0.7, against (10 × 0.9 + 0) / 10 for the others → factor 0.778."""
    texts = ["Yes."] * 20 + TEXTS
    X = EMBED.encode(texts)
    Y = np.full((26, 2), np.nan)
    Y[:20] = [1, 0]
    gate = AcknowledgementGate(EMBED.encode(list(PROTOTYPES))).fit(texts, Y, embeddings=X,
                                                                      code_similarity=code_similarity(texts))
    assert gate.n_decided_like_ == 20
    assert gate.factor_ == pytest.approx(0.7 / 0.9)


def test_without_codebook_the_nearest_coded_segment_is_the_rival_and_with_nothing_the_rule_is_off():
    X = EMBED.encode(TEXTS)
    undecided = np.full((6, 2), np.nan)
    gate = AcknowledgementGate(EMBED.encode(list(PROTOTYPES))).fit(TEXTS, undecided, embeddings=X)
    assert not gate.is_acknowledgement(TEXTS, embeddings=X).any()  # no codes, no coded segment: off
    Y = undecided.copy()
    Y[2] = [1, 0]
    gate.fit(TEXTS, Y, embeddings=X)
    assert gate.is_acknowledgement(TEXTS, embeddings=X).tolist() == [True, True, False, False, True, False]
    assert AcknowledgementGate(None).fit(TEXTS, Y, embeddings=X).factor(TEXTS, embeddings=X).tolist() == [1.0] * 6


def test_the_gate_is_an_estimator():
    gate = AcknowledgementGate(EMBED.encode(list(PROTOTYPES)), max_words=3)
    copy = clone(gate)
    assert copy.max_words == 3 and np.array_equal(copy.prototypes, gate.prototypes) and not hasattr(copy, "factor_")


def test_texts_that_stand_alone_keep_their_suggestions_until_coders_leave_short_ones_uncoded():
    """Not a dialogue (gold rows, survey answers): the prior is the other segments' rate, so
    the factor starts at 1; 20 "Yes." left uncoded → (10 × 0.9) / 30 against 0.9 → 1/3; all
    coded → exactly 1."""
    texts = ["Yes."] * 20 + TEXTS
    X = EMBED.encode(texts)
    gate = AcknowledgementGate(EMBED.encode(list(PROTOTYPES)), dialogue=False)
    assert gate.fit(texts, np.full((26, 2), np.nan), embeddings=X, code_similarity=code_similarity(texts)).factor_ == 1
    Y = np.full((26, 2), np.nan)
    Y[:20] = 0
    assert gate.fit(texts, Y, embeddings=X, code_similarity=code_similarity(texts)).factor_ == pytest.approx(1 / 3)
    Y[:20] = [1, 0]
    Y[20:] = [0, 1]
    assert gate.fit(texts, Y, embeddings=X, code_similarity=code_similarity(texts)).factor_ == pytest.approx(1.0)


def test_a_dialogue_is_a_transcript_with_two_speakers():
    from types import SimpleNamespace as S

    assert is_dialogue([S(transcript_id=1, speaker="Q"), S(transcript_id=1, speaker="A")])
    assert not is_dialogue([S(transcript_id=1, speaker="A"), S(transcript_id=2, speaker="Q"), S(transcript_id=3, speaker=None)])
