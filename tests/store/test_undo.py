"""Undo: each kind of action, walking back, always a new audit row (never a deletion)."""

from __future__ import annotations

import pytest

from qualcode.errors import StaleEditError, StoreError
from qualcode.io.transcripts import read_transcript
from tests.conftest import write


@pytest.fixture
def one(study, tmp_path):
    study.import_transcripts([read_transcript(write(tmp_path / "i.txt", "P01: I ring at eight.\n\nP01: Money, money.\n"))])
    return study


def human(study, coder="alice"):
    return {(a.segment_id, a.code_id, a.present) for a in study.applications(source="human", coder=coder)}


def test_undo_decisions_walks_back_in_order_and_appends_to_the_audit(one):
    seg = one.segments()[0].id
    one.decide(seg, "phones", "alice")
    one.decide(seg, "phones", "alice", present=False)
    one.decide(seg, "money", "bob")
    one.unset(seg, "phones", "alice")
    n_audit = len(one.audit_log())
    assert one.undo_last("alice") == f"Undid: cleared Access › Phone lines on segment {seg} of i"
    assert human(one) == {(seg, "phones", False)}
    assert one.undo_last("alice") == f"Undid: rejected Access › Phone lines on segment {seg} of i"
    assert human(one) == {(seg, "phones", True)}
    assert one.undo_last("alice") == f"Undid: accepted Access › Phone lines on segment {seg} of i"
    assert human(one) == set() and human(one, "bob") == {(seg, "money", True)}  # bob's stays
    with pytest.raises(StoreError, match="nothing left to undo for alice"):
        one.undo_last("alice")
    log = one.audit_log()
    assert len(log) == n_audit + 3 and [a.action for a in log[:3]] == ["undo"] * 3
    assert log[0].after["action"] == "decide" and log[2].after["action"] == "unset"
    # a new action after an undo is undone first, then the walk goes on
    one.decide(seg, "money", "alice")
    assert one.undo_last("alice") == f"Undid: accepted Money on segment {seg} of i"
    assert human(one) == set()


def test_undo_names_codes_as_the_codebook_shows_them_now_or_when_retired(one):
    seg = one.segments()[1].id
    one.decide(seg, "money", "alice")
    one.rename_code("money", "Money and budgets", "bob")
    assert one.undo_last("alice") == f"Undid: accepted Money and budgets on segment {seg} of i"  # today's name
    one.decide(seg, "phones", "alice")
    one.merge_codes("phones", "access", "bob")  # phones retired: named as the codebook last showed it
    assert "phones" not in one.codebook().ids()
    assert one.undo_last("alice") == f"Undid: accepted Access › Phone lines on segment {seg} of i"


def test_undo_span_codings_code_all_hits_and_remove(one):
    seg = one.segments()[0]
    sid = one.code_span(seg.transcript_id, seg.start + 2, seg.start + 6, "phones", "alice")
    one.add_memo("alice", "span memo", span_id=sid)
    one.remove_span(sid, "alice")
    assert one.span_codings() == []
    assert one.undo_last("alice") == "Undid: removed Access › Phone lines from 'ring'"
    [back] = one.span_codings()
    assert (back.id, back.text) == (sid, "ring") and one.memos()[0].span_id == sid
    assert one.undo_last("alice") == "Undid: memo 'span memo'"
    assert one.undo_last("alice") == "Undid: coded 'ring' with Access › Phone lines"
    assert one.span_codings() == []
    assert one.code_all_hits("MONEY", "money", "bob") == 2
    assert [s.text for s in one.span_codings(coder="bob")] == ["Money", "money"]
    assert one.code_all_hits("money", "money", "bob") == 0  # already coded: nothing new, no audit row
    assert one.undo_last("bob") == "Undid: coded all 2 hits of 'MONEY' with Money"
    assert one.span_codings() == []


def test_undo_memo_edit_delete_and_done(one):
    tid = one.transcripts()[0].id
    mid = one.add_memo("alice", "one")
    one.update_memo(mid, "two", "alice")
    one.mark_done(tid, "alice")
    assert one.undo_last("alice") == "Undid: marked transcript i done"
    assert one.undo_last("alice") == "Undid: memo edit (back to 'one')"
    assert [(m.text, m.version) for m in one.memos()] == [("one", 3)]
    one.delete_memo(mid, "alice")
    assert one.undo_last("alice") == "Undid: deleted memo 'one'"
    assert [m.text for m in one.memos()] == ["one"]
    one.update_memo(mid, "bob's words", "bob")
    with pytest.raises(StaleEditError, match="changed by bob"):
        one.undo_last("alice")  # undoing alice's memo now would throw bob's words away
    assert one.memos()[0].text == "bob's words"
