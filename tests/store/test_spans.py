"""Span codings: exact offsets, the overlap rule, counts that include spans, audit."""

from __future__ import annotations

import pytest

from qualcode.errors import StoreError
from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from tests.conftest import write

INTERVIEW = ("Interviewer: How do you book?\n\n"
             "P01: I ring at eight and all the appointments are gone.\n\n"
             "P01: The budget has been cut again, so there is less money.\n")


@pytest.fixture
def coded(study, tmp_path):
    people = read_participants(write(tmp_path / "p.csv", "participant_id,group,role,site\n"
                                     "P01,service user,Patient,B\nINT,interviewer,Interviewer,\n"))
    study.import_transcripts([read_transcript(write(tmp_path / "i1.txt", INTERVIEW))], people)
    return study


def offsets(study, words):
    tid = study.transcripts()[0].id
    start = study.plain_text(tid).index(words)
    return tid, start, start + len(words)


def test_code_span_keeps_exact_text_and_is_audited(coded):
    tid, start, end = offsets(coded, "ring at eight")
    sid = coded.code_span(tid, start, end, "phones", "alice", text="ring at eight")
    [span] = coded.span_codings()
    assert (span.id, span.text, span.start, span.end, span.code_id, span.coder, span.source) == (
        sid, "ring at eight", start, end, "phones", "alice", "human")
    assert coded.plain_text(tid)[span.start:span.end] == span.text
    assert coded.code_span(tid, start, end, "phones", "alice") == sid  # again: no second row
    assert len(coded.span_codings()) == 1
    entries = [a for a in coded.audit_log() if a.entity == "span_coding"]
    assert [(a.action, a.actor, a.after["text"]) for a in entries] == [("create", "alice", "ring at eight")]


def test_code_span_refuses_wrong_text_offsets_codes_and_system_coders(coded):
    tid, start, end = offsets(coded, "ring at eight")
    with pytest.raises(StoreError, match="expected the selected text 'ring at nine'"):
        coded.code_span(tid, start, end, "phones", "alice", text="ring at nine")
    with pytest.raises(StoreError, match="0 <= start < end"):
        coded.code_span(tid, end, start, "phones", "alice")
    with pytest.raises(StoreError, match="0 <= start < end"):
        coded.code_span(tid, 0, 10_000, "phones", "alice")
    with pytest.raises(StoreError, match="code id"):
        coded.code_span(tid, start, end, "nonexistent", "alice")
    with pytest.raises(StoreError, match="reserved name"):
        coded.code_span(tid, start, end, "phones", "machine")
    assert coded.span_codings() == []


def test_overlap_rule_counts_every_codeable_segment_a_span_touches(coded):
    segs = coded.segments()
    question, first, second = segs
    tid = first.transcript_id
    # a span from the interviewer's question into the first answer, and one across both answers
    across = coded.code_span(tid, question.start + 4, first.start + 6, "access", "alice")
    both = coded.code_span(tid, first.end - 5, second.start + 3, "money", "bob")
    assert coded.segments_for_span(tid, question.start + 4, first.start + 6) == [first.id]
    assert coded.segments_for_span(tid, question.start, question.end, codeable_only=False) == [question.id]
    assert coded.segments_for_span(tid, first.end, second.start) == []  # touching ends do not overlap
    assert coded.coded_segments(["access"]) == {first.id}
    assert coded.coded_segments(["money"], coder="bob") == {first.id, second.id}
    assert coded.coded_segments(["money"], coder="alice") == set()
    coded.decide(second.id, "access", "carol")
    assert coded.coded_segments(["access", "phones"]) == {first.id, second.id}
    assert coded.coded_segments(["access"], source="machine") == set()
    # applications(include_spans=True): one per segment, code and coder; own decisions win
    coded.decide(first.id, "money", "bob", present=False)
    apps = {(a.segment_id, a.code_id, a.coder, a.present, a.reason[:4])
            for a in coded.applications(source="human", include_spans=True)}
    assert apps == {(first.id, "access", "alice", True, "span"), (first.id, "money", "bob", False, ""),
                    (second.id, "money", "bob", True, "span"), (second.id, "access", "carol", True, "")}
    assert len(coded.applications(source="human")) == 2
    assert {s.id for s in coded.span_codings(code_ids=["money"])} == {both}
    assert {s.id for s in coded.span_codings(coder="alice")} == {across}


def test_remove_span_only_own_and_takes_its_memos(coded):
    tid, start, end = offsets(coded, "budget")
    sid = coded.code_span(tid, start, end, "money", "alice")
    coded.add_memo("alice", "why budget", span_id=sid)
    with pytest.raises(StoreError, match="own codings"):
        coded.remove_span(sid, "bob")
    coded.remove_span(sid, "alice")
    assert coded.span_codings() == [] and coded.memos() == []
    removed = [a for a in coded.audit_log() if a.action == "remove"]
    assert removed[0].before["text"] == "budget" and removed[0].before["memos"][0]["text"] == "why budget"
    with pytest.raises(StoreError, match="expected an id"):
        coded.remove_span(sid, "alice")


def test_agreement_tables_count_spans_by_the_overlap_rule(coded):
    _, first, second = coded.segments()
    tid = first.transcript_id
    coded.decide(first.id, "money", "alice")
    coded.code_span(tid, first.start + 2, first.start + 6, "money", "bob")  # inside the first answer only
    coded.decide(second.id, "access", "bob", present=False)  # bob has coded this transcript anyway
    ids, tables, _ = coded.presence_tables(["alice", "bob"], ["money"])
    assert ids == [first.id, second.id]
    assert tables["money"].tolist() == [[1, 1], [0, 0]]  # bob's span agrees with alice's segment


def test_a_coder_with_only_span_codings_has_coded_the_transcript(coded):
    _, first, _ = coded.segments()
    coded.code_span(first.transcript_id, first.start, first.start + 4, "money", "bob")
    assert coded.coded_transcripts("bob") == {first.transcript_id}
