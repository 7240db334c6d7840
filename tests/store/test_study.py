"""Study store, on SQLite and (with QUALCODE_TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import text

from qualcode.errors import StoreError
from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from qualcode.store import Study
from qualcode.workflow import code_study
from tests.conftest import EXAMPLE, write

INTERVIEW = ("Interviewer: How do you book?\n\n"
             "P01: I ring at eight and all the appointments are gone. The phone is always engaged.\n\n"
             "P01: The budget has been cut again, so there is less money.\n")


def people(tmp_path):
    return read_participants(write(tmp_path / "p.csv", "participant_id,group,role,site\n"
                                   "P01,service user,Patient,B\nINT,interviewer,Interviewer,\n"))


def test_import_is_idempotent_and_links_participants(study, tmp_path):
    t = read_transcript(write(tmp_path / "i1.txt", INTERVIEW))
    first = study.import_transcripts([t], people(tmp_path)[:1])
    assert first.imported == ["i1"] and first.segments == 3
    again = study.import_transcripts([read_transcript(tmp_path / "i1.txt")])
    assert again.imported == [] and again.unchanged == ["i1"]
    segs = study.segments()
    assert len(segs) == 3
    assert [(s.speaker, s.participant_id, s.is_interviewer) for s in segs] == [
        ("Interviewer", None, True), ("P01", "P01", False), ("P01", "P01", False)]
    assert segs[1].attribution() == "P01, Patient, site B"
    assert [s.id for s in study.segments(codeable_only=True)] == [segs[1].id, segs[2].id]
    text_ = study.plain_text(segs[0].transcript_id)
    assert all(text_[s.start:s.end] == s.text for s in segs)
    study.check_integrity()


def test_changed_file_with_same_name_rolls_back_the_whole_batch(study, tmp_path):
    study.import_transcripts([read_transcript(write(tmp_path / "a.txt", INTERVIEW))])
    batch = [read_transcript(write(tmp_path / "new.txt", "P01: new one\n")),
             read_transcript(write(tmp_path / "b" / "a.txt", INTERVIEW + "P01: more\n"))]
    with pytest.raises(StoreError, match="already holds"):
        study.import_transcripts(batch)
    assert [t.name for t in study.transcripts()] == ["a"]  # "new" was not kept


def test_decisions_memos_final_and_append_only_audit(study, tmp_path):
    study.import_transcripts([read_transcript(write(tmp_path / "i.txt", INTERVIEW))])
    seg = study.segments(codeable_only=True)[0]
    study.decide(seg.id, "phones", "alice")
    study.decide(seg.id, "money", "alice", present=False)
    study.decide(seg.id, "phones", "bob", present=False)
    study.set_final(seg.id, "phones", True, "carol", "clearly about the phone line")
    with pytest.raises(StoreError, match="code id"):
        study.decide(seg.id, "nonexistent", "alice")
    human = {(a.coder, a.code_id, a.present) for a in study.applications(source="human")}
    assert human == {("alice", "phones", True), ("alice", "money", False), ("bob", "phones", False)}
    final = study.applications(source="final")
    assert [(f.code_id, f.present, f.coder, f.reason) for f in final] == [
        ("phones", True, "carol", "clearly about the phone line")]
    memo = study.add_memo("alice", "first thought", segment_id=seg.id)
    study.update_memo(memo, "second thought", "alice")
    assert study.memos(segment_id=seg.id)[0].text == "second thought"
    log = study.audit_log()
    actions = [(e.actor, e.action) for e in log]
    assert ("carol", "adjudicate") in actions and ("alice", "update") in actions
    assert any(e.before == {"text": "first thought"} for e in log)
    with study.engine.begin() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("UPDATE audit_log SET actor = 'mallory'"))
    with study.engine.begin() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("DELETE FROM audit_log"))


def test_code_study_stores_suggestions_and_learns(study, tmp_path, fake_embedder):
    study.import_transcripts([read_transcript(write(tmp_path / "i.txt", INTERVIEW))])
    report = code_study(study, fake_embedder)
    assert report.segments == 2 and report.codes_learned == 0
    machine = study.applications(source="machine")
    assert machine and all(0.3 <= a.confidence <= 1 and a.reason for a in machine)
    by_segment = {a.segment_id: a for a in sorted(machine, key=lambda a: -a.confidence)}
    segs = study.segments(codeable_only=True)
    assert by_segment[segs[0].id].code_id in {"access", "phones"}  # the phone-line segment
    assert by_segment[segs[1].id].code_id == "money"


def test_codebook_versions(study, tiny_codebook):
    from dataclasses import replace

    renamed = replace(tiny_codebook, codes=tuple(replace(c, name="Costs") if c.id == "money" else c
                                                 for c in tiny_codebook.codes))
    assert study.set_codebook(renamed, actor="alice", note="rename") == 2
    assert study.codebook().get("money").name == "Costs"
    assert study.codebook(version=1).get("money").name == "Money"


def test_open_errors(tmp_path):
    with pytest.raises(StoreError, match="no such folder"):
        Study.open(tmp_path / "nope")
    (tmp_path / "plain").mkdir()
    with pytest.raises(StoreError, match="without study.json"):
        Study.open(tmp_path / "plain")


def test_init_refuses_an_existing_study_and_reopens(tmp_path, tiny_codebook):
    Study.init(tmp_path / "s", codebook=tiny_codebook).close()
    with pytest.raises(StoreError, match="existing study"):
        Study.init(tmp_path / "s")
    with Study.open(tmp_path / "s") as s:
        assert s.codebook().ids() == ["access", "phones", "money"]
    assert (tmp_path / "s" / "study.sqlite").exists()


def test_example_study_imports_with_participants(study):
    files = sorted((EXAMPLE / "transcripts").iterdir())
    report = study.import_transcripts([read_transcript(p) for p in files],
                                      read_participants(EXAMPLE / "participants.csv"))
    assert len(report.imported) == 8
    segs = study.segments(codeable_only=True)
    assert {s.participant_id for s in segs} == {"P01", "P02", "P03", "P04", "S01", "S02", "S03", "S04"}
    assert {s.group for s in segs} == {"professional", "service user"}
    study.check_integrity()


def decided_phones_and_money(study, tmp_path):
    """24 segments, alternately about phones and money; alice has coded the first 12."""
    lines = []
    for i in range(12):
        lines.append(f"P01: The phone line was engaged again when I rang, number {i}.")
        lines.append(f"P01: The budget cut means less money for the service, year {i}.")
    study.import_transcripts([read_transcript(write(tmp_path / "long.txt", "\n\n".join(lines) + "\n"))])
    segs = study.segments(codeable_only=True)
    for seg in segs[:12]:
        study.decide(seg.id, "phones" if "phone" in seg.text else "money", "alice")
    return segs


def test_code_study_learns_from_decisions_and_next_skips_what_is_coded(study, tmp_path, fake_embedder, monkeypatch):
    from qualcode.pipeline import active
    from qualcode.workflow import next_segments

    segs = decided_phones_and_money(study, tmp_path)
    report = code_study(study, fake_embedder)
    assert report.codes_learned == 2
    machine = [a for a in study.applications(source="machine") if a.segment_id == segs[20].id]
    best = max(machine, key=lambda a: a.confidence)
    assert best.code_id == "phones" and best.reason.startswith("like coded segment")
    picks = next_segments(study, "alice", fake_embedder, n=5)
    assert len(picks) == 5 and not {p.segment.id for p in picks} & {s.id for s in segs[:12]}
    assert len({p.segment.id for p in picks}) == 5
    assert {p.reason for p in picks} == {"typical"}  # 12 decided: fewer than COLD_START
    monkeypatch.setattr(active, "COLD_START", 12)
    picks = next_segments(study, "alice", fake_embedder, n=5)
    assert {p.reason for p in picks} == {"uncertain"} and all(p.code_id for p in picks)
    assert not {p.segment.id for p in picks} & {s.id for s in segs[:12]}
    # what another coder has decided teaches the model nothing new: not offered, but counted
    study.decide(segs[12].id, "phones", "bob")
    study.set_final(segs[13].id, "money", True, "carol")
    monkeypatch.setattr(active, "COLD_START", 14)
    picks = next_segments(study, "alice", fake_embedder, n=20)
    assert len(picks) == 10 and {p.reason for p in picks} == {"uncertain"}
    assert {p.segment.id for p in picks} == {s.id for s in segs[14:]}


@pytest.mark.slow
def test_code_study_fine_tunes_the_real_model_when_asked(tmp_path, tiny_codebook, monkeypatch):
    from qualcode import workflow
    from qualcode.pipeline.embed import make_embedder

    monkeypatch.setattr(workflow, "MIN_LABELLED", 10)  # 12 decided segments train the classifier here

    study = Study.init(tmp_path / "study", codebook=tiny_codebook)  # SQLite only: this tests the learning

    segs = decided_phones_and_money(study, tmp_path)
    embedder = make_embedder("all-MiniLM-L6-v2", cache_dir=tmp_path / "cache")
    assert code_study(study, embedder, fine_tune="auto").fine_tuned is False  # 12 decided < 200
    steps = []
    cache = tmp_path / "fine-tuned"
    report = code_study(study, embedder, fine_tune="always", tuning_progress=lambda d, t: steps.append((d, t)),
                        fine_tune_cache=str(cache))
    assert report.fine_tuned and report.codes_learned == 2 and steps[-1][0] == steps[-1][1] >= 150
    assert not report.fine_tune_reused and len(list(cache.glob("*.pt"))) == 1
    machine = [a for a in study.applications(source="machine") if a.segment_id == segs[21].id]
    assert max(machine, key=lambda a: a.confidence).code_id == "money"
    # coding again with the same decisions reuses the tuned model: no training, same suggestions
    before = sorted((a.segment_id, a.code_id, a.confidence) for a in study.applications(source="machine"))
    steps.clear()
    again = code_study(study, embedder, fine_tune="always", tuning_progress=lambda d, t: steps.append((d, t)),
                       fine_tune_cache=str(cache))
    assert again.fine_tuned and again.fine_tune_reused and steps == []
    after = sorted((a.segment_id, a.code_id, a.confidence) for a in study.applications(source="machine"))
    assert [(s, c) for s, c, _ in after] == [(s, c) for s, c, _ in before]
    assert np.allclose([x for *_, x in after], [x for *_, x in before], atol=1e-3)
    study.close()
