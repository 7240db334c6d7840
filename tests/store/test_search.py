"""Retrieval by code and text search: exact offsets, filters, code all hits."""

from __future__ import annotations

import pytest

from qualcode.errors import StoreError
from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from qualcode.records import Suggestion
from tests.conftest import write

A = ("Interviewer: Do you ring the surgery?\n\n"
     "P01: I ring at eight. The phone\nis always engaged.\n\n"
     "P01: The budget was cut.\n")
B = "P02: Ringing is hopeless, the Phone is engaged.\n"


@pytest.fixture
def two(study, tmp_path):
    people = read_participants(write(tmp_path / "p.csv", "participant_id,group,role,site,age\n"
                                     "P01,service user,Patient,B,40-49\nP02,staff,GP,A,50-59\n"
                                     "INT,interviewer,Interviewer,,\n"))
    study.import_transcripts([read_transcript(write(tmp_path / "a.txt", A)),
                              read_transcript(write(tmp_path / "b.txt", B))], people)
    return study


def test_search_text_exact_offsets_context_and_options(two):
    hits = two.search_text("the phone is")
    assert [(h.transcript, h.text) for h in hits] == [("a", "The phone\nis"), ("b", "the Phone is")]
    for h in hits:
        plain = two.plain_text(h.transcript_id)
        assert plain[h.start:h.end] == h.text
        assert plain[:h.start].endswith(h.before) and plain[h.end:].startswith(h.after)
    assert hits[0].attribution == "P01, Patient, site B" and hits[0].codeable
    assert [h.text for h in two.search_text("ring")] == ["ring", "ring", "Ring"]
    assert [h.text for h in two.search_text("ring", whole_words=True)] == ["ring", "ring"]
    assert [h.codeable for h in two.search_text("ring", whole_words=True)] == [False, True]  # the question
    assert [h.text for h in two.search_text("Phone", case_sensitive=True)] == ["Phone"]
    assert two.search_text("xyzzy") == []
    assert len(two.search_text("e", limit=3)) == 3
    with pytest.raises(StoreError, match="expected a word or phrase"):
        two.search_text("   ")


def test_code_all_hits_one_transaction_one_audit_row(two):
    before = len(two.audit_log())
    assert two.code_all_hits("ring", "phones", "alice", whole_words=True) == 1  # the interviewer's is left
    log = two.audit_log()
    assert len(log) == before + 1 + 1  # alice created as a coder, then the one coding row
    assert (log[0].action, log[0].after["spans"]) == ("code_all_hits", [two.span_codings()[0].id])
    with pytest.raises(StoreError, match="code id"):
        two.code_all_hits("ring", "nope", "alice")


def test_retrieve_by_code_with_children_attributes_coder_and_source(two):
    a1, a2, b1 = two.segments(codeable_only=True)
    two.decide(a1.id, "phones", "alice")
    two.decide(a2.id, "access", "bob")
    two.decide(b1.id, "access", "bob", present=False)  # a rejection is never a hit
    two.replace_suggestions([Suggestion(b1.id, "phones", 0.8, "similar"), Suggestion(a2.id, "money", 0.9)],
                            [a1.id, a2.id, b1.id], "hash")
    start = two.plain_text(b1.transcript_id).index("hopeless")
    span = two.code_span(b1.transcript_id, start, start + 8, "phones", "carol")
    two.set_final(a1.id, "phones", True, "dana")
    hits = two.retrieve("access")
    assert [(h.kind, h.transcript, h.code_id, h.source, h.coder) for h in hits] == [
        ("segment", "a", "phones", "human", "alice"), ("segment", "a", "phones", "final", "dana"),
        ("segment", "a", "access", "human", "bob"), ("segment", "b", "phones", "machine", None),
        ("span", "b", "phones", "human", "carol")]
    assert hits[3].confidence == pytest.approx(0.8)
    assert (hits[4].id, hits[4].text, hits[4].segment_id, hits[4].attribution) == (
        span, "hopeless", b1.id, "P02, GP, site A")
    assert [h.coder for h in two.retrieve("access", include_children=False)] == ["bob"]
    assert {h.transcript for h in two.retrieve("access", attributes={"age": "50-59"})} == {"b"}
    assert {h.transcript for h in two.retrieve("access", attributes={"role": "patient"})} == {"a"}
    assert [h.kind for h in two.retrieve("phones", coder="carol")] == ["span"]
    assert [h.source for h in two.retrieve("phones", source="machine")] == ["machine"]
    assert [h.coder for h in two.retrieve("phones", source="final")] == ["dana"]
    assert two.retrieve("phones", source="machine", min_confidence=0.9) == []
    with pytest.raises(StoreError, match="source"):
        two.retrieve("phones", source="robot")
    with pytest.raises(StoreError, match="code id"):
        two.retrieve("nope")
