"""The pages' counts in SQL (store/page_reads.py) equal the counts made from the records,
with the blind rule applied in the query."""

from __future__ import annotations

from collections import Counter

import pytest

from qualcode.errors import AccessDenied
from qualcode.io.participants import read_participants
from qualcode.workflow import code_study
from tests.conftest import write
from tests.store.test_double_coding import interview


@pytest.fixture
def coded(study, tmp_path, fake_embedder):
    sheet = write(tmp_path / "p.csv", "participant_id,group,role,site\nP1,professional,GP,A\n"
                  "S1,service user,Patient,A\nINT,interviewer,Interviewer,\n")
    study.import_transcripts([interview(tmp_path, f"t{p}", p) for p in ("P1", "S1")], read_participants(sheet))
    code_study(study, fake_embedder)
    return study


def from_records(study, me: str) -> tuple[dict, dict, dict]:
    """What the Start page counted before: every application read, then counted in Python."""
    user = study.for_user(me)
    human = user.applications(source="human")
    decided: dict[str, set[int]] = {}
    for a in human:
        decided.setdefault(a.coder, set()).add(a.segment_id)
    machine = Counter(a.code_id for a in user.applications(source="machine") if (a.confidence or 0) >= 0.5)
    return ({c: len(s) for c, s in decided.items()}, dict(Counter(a.code_id for a in human if a.present)),
            dict(machine))


def test_counts_are_the_records_counts_and_exact(coded):
    segs = coded.segments(codeable_only=True)
    assert coded.codeable_count() == len(segs) == 6  # three participant turns each; interviewer left out
    coded.decide(segs[0].id, "phones", "alice")
    coded.decide(segs[0].id, "money", "alice", present=False)
    coded.decide(segs[1].id, "phones", "bob")
    coded.set_final(segs[1].id, "money", True, "bob")
    assert coded.decided_counts("alice") == {"alice": 1, "bob": 1}
    assert coded.code_counts("alice", "human") == {"phones": 2}  # the rejection is not counted
    assert coded.code_counts("alice", "final") == {"money": 1}
    decided, human, machine = from_records(coded, "alice")
    assert coded.decided_counts("alice") == decided
    assert coded.code_counts("alice", "human") == human
    assert coded.code_counts("alice", "machine", min_confidence=0.5) == machine
    assert coded.decided_segment_ids("alice") == {segs[0].id, segs[1].id}


def test_blind_rule_applies_in_the_query(coded):
    [name] = coded.assign(["alice", "bob"], 0.5, seed=3)
    tid = coded.transcript_id(name)
    segs = coded.segments(transcript_id=tid, codeable_only=True)
    coded.decide(segs[0].id, "phones", "alice")
    coded.decide(segs[1].id, "money", "bob")
    assert coded.decided_counts("alice") == {"alice": 1}  # bob's work on the blind transcript is hidden
    assert coded.code_counts("alice", "human") == {"phones": 1}
    assert coded.decided_segment_ids("alice") == {segs[0].id}
    assert not [x for x in coded.machine_confidences("alice") if x[0] in {s.id for s in segs}]
    assert (coded.decided_counts("alice"), coded.code_counts("alice", "human")) == from_records(coded, "alice")[:2]
    coded.mark_done(tid, "alice")
    coded.mark_done(tid, "bob")
    assert coded.decided_counts("alice") == {"alice": 1, "bob": 1}


def test_span_codings_count_for_the_segments_they_overlap_once_per_coder(coded):
    segs = coded.segments(codeable_only=True)
    a, b = segs[0], segs[1]
    coded.decide(a.id, "phones", "alice")
    coded.code_span(a.transcript_id, a.start + 1, a.start + 5, "phones", "alice")  # the same pair: counted once
    coded.code_span(a.transcript_id, a.start + 1, a.start + 5, "phones", "bob")  # another coder: counted
    coded.code_span(b.transcript_id, b.start, b.start + 3, "money", "alice")  # a span alone counts too
    assert coded.code_counts("alice", "human") == {"phones": 2, "money": 1}
    [name] = coded.assign(["alice", "bob"], 0.5, seed=3)
    blind = coded.segments(transcript_id=coded.transcript_id(name), codeable_only=True)[0]
    coded.code_span(blind.transcript_id, blind.start, blind.start + 3, "access", "bob")  # blind to alice
    assert "access" not in coded.code_counts("alice", "human")
    assert coded.code_counts("bob", "human")["access"] == 1


def test_change_counter_grows_with_every_change_and_reads_are_declared(coded):
    before = coded.change_counter()
    assert coded.change_counter() == before  # a read changes nothing
    coded.add_memo("alice", "a thought")
    assert coded.change_counter() > before
    index = coded.codeable_index()
    assert [i for i, _t, _x in index] == [s.id for s in coded.segments(codeable_only=True)]
    assert coded.for_user("alice").decided_counts() == coded.decided_counts("alice")  # viewer filled in
    with pytest.raises(AccessDenied, match="must be you"):
        coded.for_user("alice").code_counts("bob", "human")  # nobody reads as someone else


def test_review_pool_and_uncertainty_sums_equal_the_records_with_the_blind_rule(coded):
    """What *Review next* ranks, summed in SQL, equals what it summed from every suggestion."""
    codes = coded.codebook().ids()
    segs = coded.segments(codeable_only=True)
    pool = coded.review_pool("alice")
    assert list(pool.segment_ids) == [s.id for s in segs]  # transcript name, then start
    assert list(pool.transcript_ids) == [s.transcript_id for s in segs] and not any(pool.decided)
    [name] = coded.assign(["alice", "bob"], 0.5, seed=3)
    tid = coded.transcript_id(name)
    blind = [s for s in segs if s.transcript_id == tid]
    coded.decide(blind[0].id, "phones", "bob")  # alice may not see it: still hers to decide
    coded.decide(segs[-1].id if segs[-1].transcript_id != tid else segs[0].id, "money", "bob")
    for me in ("alice", "carol"):
        mine = coded.for_user(me) if me == "alice" else coded
        want: dict[int, list[float]] = {}
        for sid, code, conf in coded.machine_confidences(me):
            if code in codes:
                want.setdefault(sid, []).append(conf)
        got = {sid: (u, top) for sid, u, top in mine.uncertainty_sums(me, codes)}
        assert set(got) == set(want)
        for sid, confs in want.items():
            assert got[sid][0] == pytest.approx(sum(1 - abs(2 * c - 1) for c in confs))
            assert got[sid][1] == any(c > 0 for c in confs)
        decided = dict(zip(coded.review_pool(me).segment_ids, coded.review_pool(me).decided, strict=True))
        assert {s for s, d in decided.items() if d} == coded.decided_segment_ids(me)
    assert not {s.id for s in blind} & {sid for sid, _, _ in coded.uncertainty_sums("alice", codes)}
    assert {s.id for s in segs if s.transcript_id != tid} <= {sid for sid, _, _ in coded.uncertainty_sums("alice", codes)}
    assert coded.uncertainty_sums("alice", []) == []
    seen = next(s for s in segs if s.transcript_id != tid)
    picked = coded.machine_confidences("carol", segment_ids=[seen.id])
    assert picked and {sid for sid, _, _ in picked} == {seen.id}
    assert coded.segment_texts([segs[1].id, segs[0].id]) == [segs[1].text, segs[0].text]


def test_is_dialogue_when_some_transcript_has_two_speakers(study, tmp_path):
    from qualcode.io.transcripts import read_transcript

    assert study.is_dialogue() is False  # nothing imported
    study.import_transcripts([read_transcript(write(tmp_path / "c1.txt", "P01: A comment.\n\nP01: Another.\n"))])
    assert study.is_dialogue() is False  # one voice per file: texts that stand alone
    study.import_transcripts([read_transcript(write(tmp_path / "i1.txt", "Interviewer: Why?\n\nP02: Because.\n"))])
    assert study.is_dialogue() is True
