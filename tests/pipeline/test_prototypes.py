"""The texts that describe each code: one description, then each part of its definition and
each include rule beside its name, then each example; owners say which code each describes."""

from __future__ import annotations

from qualcode.pipeline.prototypes import code_prototypes, definition_parts, gold_prototypes
from qualcode.records import Code, Codebook

BOOK = Codebook("t", (
    Code("access", "Access", "Getting care."),
    Code("phone", "Phone lines", "Calls to the surgery. Engaged tones; hold music!", parent="access",
         include=("ringing at 8am",), examples=("I rang for an hour.",)),
))


def test_definition_parts_split_sentences_and_clauses_only_when_there_are_several():
    assert definition_parts("Calls to the surgery. Engaged tones; hold music!") == [
        "Calls to the surgery.", "Engaged tones;", "hold music!"]
    assert definition_parts("Getting care.") == []  # one sentence: the description already says it
    assert definition_parts("") == []


def test_code_prototypes_in_order_with_owners_and_reasons():
    texts, owners, labels = code_prototypes(BOOK, ["access", "phone"])
    assert texts == [
        "Access: Getting care.",
        "Access — Phone lines: Calls to the surgery. Engaged tones; hold music! Includes: ringing at 8am.",
        "Phone lines: Calls to the surgery.", "Phone lines: Engaged tones;", "Phone lines: hold music!",
        "Phone lines: ringing at 8am",
        "I rang for an hour.",
    ]
    assert owners == [0, 1, 1, 1, 1, 1, 1]
    assert labels[2] == "definition of 'Phone lines': “Calls to the surgery.”"
    assert labels[-1] == "example of 'Phone lines': “I rang for an hour.”"


def test_gold_prototypes_index_the_gold_columns_and_skip_unknown_ones():
    texts, owners, _ = gold_prototypes(BOOK, ["nothing here", "Phone lines"])
    assert owners == [1] * 6 and texts[0].startswith("Access — Phone lines")
