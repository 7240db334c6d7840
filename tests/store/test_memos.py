"""Memos: several per segment, on codes/transcripts/spans/the project, stale edits refused."""

from __future__ import annotations

import pytest

from qualcode.errors import StaleEditError, StoreError
from qualcode.io.transcripts import read_transcript
from tests.conftest import write


@pytest.fixture
def one(study, tmp_path):
    study.import_transcripts([read_transcript(write(tmp_path / "i.txt", "P01: I ring at eight.\n\nP01: Money.\n"))])
    return study


def test_memos_on_every_kind_of_place_and_filters(one):
    seg = one.segments()[0]
    span = one.code_span(seg.transcript_id, seg.start + 5, seg.start + 9, "phones", "alice")
    ids = [one.add_memo("alice", "first", segment_id=seg.id), one.add_memo("bob", "second", segment_id=seg.id),
           one.add_memo("alice", "*code* note", code_id="money"), one.add_memo("bob", "whole interview",
                                                                               transcript_id=seg.transcript_id),
           one.add_memo("alice", "on the span", span_id=span), one.add_memo("carol", "project idea")]
    memos = one.memos()
    assert [m.id for m in memos] == ids
    assert [m.kind for m in memos] == ["segment", "segment", "code", "transcript", "span", "project"]
    assert [m.text for m in one.memos(segment_id=seg.id)] == ["first", "second"]
    assert [m.text for m in one.memos(coder="alice")] == ["first", "*code* note", "on the span"]
    assert [m.id for m in one.memos(kind="project")] == [ids[5]]
    assert [m.id for m in one.memos(code_id="money")] == [ids[2]]
    assert [m.id for m in one.memos(span_id=span)] == [ids[4]]
    first = memos[0]
    assert (first.coder, first.text, first.segment_id, first.transcript_id, first.version) == \
        ("alice", "first", seg.id, None, 1)
    assert first.created_at <= first.updated_at and first.updated_by == "alice"
    with pytest.raises(StoreError, match="empty memo"):
        one.add_memo("alice", "  ")
    with pytest.raises(StoreError, match="segment id"):
        one.add_memo("alice", "x", segment_id=999)
    with pytest.raises(StoreError, match="code id"):
        one.add_memo("alice", "x", code_id="nope")
    with pytest.raises(StoreError, match="memo kind"):
        one.memos(kind="nope")


def test_update_memo_versions_and_stale_edit_names_who_and_when(one):
    mid = one.add_memo("alice", "draft")
    assert one.update_memo(mid, "better", "alice", expected_version=1) == 2
    assert one.update_memo(mid, "better", "alice", expected_version=2) == 2  # unchanged: same version
    with pytest.raises(StaleEditError, match=r"memo \d+: changed by alice at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC "
                                             r"since you opened it \(version 2, you had 1\)"):
        one.update_memo(mid, "bob's older copy", "bob", expected_version=1)
    [memo] = one.memos()
    assert (memo.text, memo.version, memo.updated_by) == ("better", 2, "alice")
    updates = [a for a in one.audit_log() if a.action == "update" and a.entity == "memo"]
    assert [(a.before["text"], a.after["text"]) for a in updates] == [("draft", "better")]
    one.delete_memo(mid, "bob", expected_version=2)
    assert one.memos() == []
    with pytest.raises(StoreError, match="memo id"):
        one.update_memo(mid, "x", "alice")
