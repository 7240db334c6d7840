"""Blind double-coding, agreement tables and adjudication through the public API."""

from __future__ import annotations

import pytest

from qualcode.errors import StoreError
from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from qualcode.reports.agreement_report import agreement_rows
from qualcode.workflow import code_study
from tests.conftest import write


def interview(tmp_path, name: str, speaker: str):
    body = (f"Interviewer: How do you book?\n\n{speaker}: I ring at eight and the phone is engaged.\n\n"
            f"{speaker}: The budget has been cut again.\n\n{speaker}: My neighbour waits weeks for a slot.\n")
    return read_transcript(write(tmp_path / f"{name}.txt", body))


@pytest.fixture
def coded(study, tmp_path, fake_embedder):
    sheet = write(tmp_path / "p.csv", "participant_id,group,role,site\nP1,professional,GP,A\n"
                  "P2,professional,GP,B\nS1,service user,Patient,A\nS2,service user,Patient,B\n"
                  "INT,interviewer,Interviewer,\n")
    study.import_transcripts([interview(tmp_path, f"t{p}", p) for p in ("P1", "P2", "S1", "S2")],
                             read_participants(sheet))
    code_study(study, fake_embedder)
    return study


def test_assign_is_stratified_and_reproducible(coded):
    names = coded.assign(["alice", "bob"], 0.5, stratify="group", seed=1)
    assert len(names) == 2
    groups = {n: ("professional" if n.startswith("tP") else "service user") for n in names}
    assert sorted(groups.values()) == ["professional", "service user"]
    assigned = coded.assignments()
    assert all(coders == ["alice", "bob"] for coders in assigned.values())
    with pytest.raises(StoreError, match="at least two coders"):
        coded.assign(["alice"], 0.5)


def test_blind_rule_hides_other_coders_and_machine_until_both_are_done(coded):
    [name] = coded.assign(["alice", "bob"], 0.25, seed=3)
    tid = coded.transcript_id(name)
    segs = coded.segments(transcript_id=tid, codeable_only=True)
    ids = [s.id for s in segs]
    coded.decide(segs[0].id, "phones", "alice")
    coded.decide(segs[0].id, "money", "bob")
    alice_sees = coded.visible_applications("alice", ids)
    assert {(a.source, a.coder, a.code_id) for a in alice_sees} == {("human", "alice", "phones")}
    assert not [a for a in coded.visible_applications("bob", ids) if a.coder == "alice" or a.source == "machine"]
    assert coded.visible_applications("carol", ids) == []  # not assigned: blind too (issue 15)
    coded.set_role("sam", "supervisor", actor="owner")
    assert {a.source for a in coded.visible_applications("sam", ids)} == {"human", "machine"}
    coded.mark_done(tid, "alice")
    assert len(coded.visible_applications("alice", ids)) == 1  # bob is not done yet
    coded.mark_done(tid, "bob")
    assert {a.coder for a in coded.visible_applications("alice", ids) if a.source == "human"} == {"alice", "bob"}
    assert any(a.source == "machine" for a in coded.visible_applications("alice", ids))


def test_agreement_disagreements_and_adjudication_keep_both_originals(coded):
    [name] = coded.assign(["alice", "bob"], 0.25, seed=3)
    segs = coded.segments(transcript_id=coded.transcript_id(name), codeable_only=True)
    s0, s1, s2 = (s.id for s in segs)
    for coder in ("alice", "bob"):
        coded.decide(s0, "phones", coder)
    coded.decide(s1, "money", "alice")
    coded.decide(s2, "access", "bob")
    rows = {(r["code"], r["coders"]): r for r in agreement_rows(coded, ["alice", "bob"], n_boot=50)}
    phones = rows[("phones", "alice|bob")]
    assert phones["units"] == 3 and phones["percent"] == 1.0 and phones["alpha"] == 1.0
    money = rows[("money", "alice|bob")]
    assert money["percent"] == pytest.approx(2 / 3, abs=1e-4) and money["flag"]
    # one disagreement in three binary units: D_o = 2/6, D_e = 2*5*1/(6*5) = 1/3, so alpha = 0
    assert money["alpha"] == pytest.approx(0.0, abs=1e-9)
    assert ("overall (pooled)", "alice|bob") in rows and ("phones", "machine|alice") in rows
    diffs = coded.disagreements("alice", "bob")
    assert {(d.segment, d.code, d.coders, d.applied) for d in diffs} == {
        (s1, "money", ("alice", "bob"), (True, False)), (s2, "access", ("alice", "bob"), (False, True))}
    assert diffs[0].as_dict()["alice"] is diffs[0].applied[0]  # the --json shape: each coder a key
    coded.set_final(s1, "money", True, "carol", "budget talk is money")
    human = {(a.coder, a.segment_id, a.code_id) for a in coded.applications(source="human")}
    assert ("alice", s1, "money") in human and ("bob", s2, "access") in human
    assert coded.disagreements("alice", "bob", "money")[0].final is True
    final_row = agreement_rows(coded, ["alice", "bob"], ["money"], n_boot=0)
    assert any(r["coders"] == "machine|final" for r in final_row)
