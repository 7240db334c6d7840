"""Concurrent coders: six processes at once, on SQLite and on PostgreSQL; stale codebook edits."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest

from qualcode.errors import StaleEditError
from qualcode.io.transcripts import parse_speaker_text
from qualcode.records import Code, Participant, Transcript
from qualcode.store import Study

PROCESSES = 6
TEXT = "Anna: I ring at eight and the phone is engaged.\n\nBob: The budget was cut again.\n"


def _transcript(name: str = "t1", text: str = TEXT) -> Transcript:
    return Transcript(name, text, parse_speaker_text(text), "txt", content_hash=name + str(hash(text)))


def _worker(folder: str, action: str, coder: str, segment: int, present: bool, barrier, out) -> None:  # noqa: ANN001
    try:
        study = Study.open(folder)
        barrier.wait(timeout=120)
        if action == "decide":
            study.decide(segment, "access", coder, present=present)
        else:
            study.ensure_coder(coder)
        study.close()
        out.put("ok")
    except BaseException as exc:  # noqa: BLE001 - the test reports every kind
        out.put(f"{type(exc).__name__}: {exc}")


def run_burst(folder: Path, action: str, coder: str, segment: int = 0) -> list[str]:
    """``PROCESSES`` forked processes doing ``action`` at the same instant; their outcomes."""
    ctx = mp.get_context("fork")
    barrier, out = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(str(folder), action, coder, segment, i % 2 == 0, barrier, out))
             for i in range(PROCESSES)]
    for p in procs:
        p.start()
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return results


def lost_updates(study: Study, segment: int, coder: str) -> int:
    """1 when the row does not hold what the coder's last audited decision says, else 0."""
    row = [a for a in study.applications(source="human", coder=coder) if a.segment_id == segment]
    last = [e for e in study.audit_log() if e.action == "decide" and e.entity_id == f"{segment}:access"
            and e.after["coder"] == coder]
    if not row or not last:
        return 1
    return int(row[0].present != last[0].after["present"])


def test_six_processes_decide_the_same_segment_for_a_new_coder(study: Study) -> None:
    study.import_transcripts([_transcript()])
    segment = study.segments()[0].id
    study.close()
    for burst in range(3):
        coder = f"newcomer{burst}"
        results = run_burst(study.folder, "decide", coder, segment)
        assert results == ["ok"] * PROCESSES
        with Study.open(study.folder) as fresh:
            assert lost_updates(fresh, segment, coder) == 0
            decides = [e for e in fresh.audit_log() if e.action == "decide" and e.after["coder"] == coder]
            assert len(decides) == PROCESSES
            assert [e.before is None for e in reversed(decides)] == [True] + [False] * (PROCESSES - 1)
            creates = [e for e in fresh.audit_log() if e.action == "create" and e.entity == "coder"
                       and e.entity_id == coder]
            assert len(creates) == 1


def test_creating_the_same_coder_at_once_is_idempotent(study: Study) -> None:
    study.close()
    assert run_burst(study.folder, "ensure", "carol") == ["ok"] * PROCESSES
    with Study.open(study.folder) as fresh:
        assert fresh.coders().count(("carol", "coder")) == 1


def test_a_stale_codebook_edit_names_who_changed_it_and_when(study: Study) -> None:
    opened = study.codebook_version()
    other = Study.open(study.folder)
    other.rename_code("money", "Funding", actor="bob")
    other.close()
    with pytest.raises(StaleEditError, match=rf"expected version {opened} \(the one you opened\), got version "
                       rf"{opened + 1}: changed by bob at \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC since you opened it"):
        study.edit_code("money", "alice", definition="Money matters.", expected_version=opened)
    for edit in (lambda v: study.add_code(Code("x", "X", "Something."), "alice", expected_version=v),
                 lambda v: study.merge_codes("phones", "access", "alice", expected_version=v),
                 lambda v: study.split_code("money", [Code("a", "A", "a"), Code("b", "B", "b")], "alice",
                                            expected_version=v),
                 lambda v: study.add_example("money", "Cuts.", "alice", expected_version=v)):
        with pytest.raises(StaleEditError, match="changed by bob"):
            edit(opened)
    assert study.codebook().get("money").name == "Funding"
    assert study.add_code(Code("x", "X", "Something."), "alice", expected_version=opened + 1) == opened + 2


def test_warnings_are_stored_and_listed(study: Study, tmp_path: Path) -> None:
    people = [Participant("P1", "patient", "patient", "north", ("Anna",))]
    text = "Anna: Hello.\n\nZed: Who am I?\n"
    report = study.import_transcripts([_transcript("t2", text)], people)
    assert report.warnings == ["t2: speaker(s) not in the participants sheet: 'Zed' (their turns are not "
                               "linked to a participant: add them to the sheet or correct the labels)"]
    assert study.transcripts()[0].warnings == (report.warnings[0][4:],)


def test_done_by_all_in_one_query(study: Study) -> None:
    study.import_transcripts([_transcript("a"), _transcript("b", TEXT + "\nAnna: More.\n")])
    ids = {t.name: t.id for t in study.transcripts()}
    study.mark_done(ids["a"], "zoe")
    study.mark_done(ids["a"], "adam")
    study.mark_done(ids["a"], "adam")  # twice: once
    study.mark_done(ids["b"], "zoe")
    assert study.done_by_all() == {ids["a"]: ["adam", "zoe"], ids["b"]: ["zoe"]}
    assert study.done_by_all()[ids["a"]] == study.done_by(ids["a"])
