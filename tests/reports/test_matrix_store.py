"""Framework summaries in the store: supervisors only, audited, versioned against stale writes."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from qualcode.errors import AccessDenied, StaleEditError, StoreError
from qualcode.reports.data import collect


def test_write_edit_clear_with_versions_and_audit(paper_study):
    s = paper_study
    assert s.set_framework_summary("GP1", "access", "Phones engaged; patients give up.", "sue",
                                   expected_version=0) == 1
    assert s.set_framework_summary("GP1", "access", "Phones engaged all morning.", "sue", expected_version=1) == 2
    stored = s.framework_summaries()[("GP1", "access")]
    assert (stored.text, stored.version, stored.updated_by) == ("Phones engaged all morning.", 2, "sue")
    log = [e for e in s.audit_log() if e.entity == "framework_cell"]
    assert [(e.before, e.after) for e in reversed(log)] == [
        (None, {"text": "Phones engaged; patients give up.", "version": 1}),
        ({"text": "Phones engaged; patients give up.", "version": 1}, {"text": "Phones engaged all morning.",
                                                                       "version": 2})]
    assert s.set_framework_summary("GP1", "access", "", "sue") == 3  # cleared: the draft shows again
    cell = next(r for r in collect(s).matrix.rows if r.participant == "GP1").cells["access"]
    assert (cell.status, cell.version) == ("draft", 3) and cell.display().startswith("DRAFT")


def test_stale_write_names_who_and_when(paper_study):
    s = paper_study
    s.ensure_coder("tom", "supervisor")
    s.set_framework_summary("P01", "money", "Money runs out.", "tom")
    with pytest.raises(StaleEditError, match=r"summary P01 × money: changed by tom at \d{4}-\d\d-\d\dT.* since you "
                                             r"opened it \(version 1, you had 0\)"):
        s.set_framework_summary("P01", "money", "Mine.", "sue", expected_version=0)
    assert s.framework_summaries()[("P01", "money")].text == "Money runs out."


def test_only_supervisors_and_known_cells(paper_study):
    s = paper_study
    with pytest.raises(AccessDenied, match="expected a supervisor .* got alice with role coder"):
        s.set_framework_summary("GP1", "access", "x", "alice")
    with pytest.raises(StoreError, match="expected a participant id of the study, got 'ZZ'"):
        s.set_framework_summary("ZZ", "access", "x", "sue")
    with pytest.raises(StoreError, match="expected a code id of the codebook, got 'nope'"):
        s.set_framework_summary("GP1", "nope", "x", "sue")
    with pytest.raises(StoreError, match="at most 10000 characters"):
        s.set_framework_summary("GP1", "access", "x" * 10_001, "sue")
    assert s.framework_summaries() == {}


def test_audit_rows_cannot_be_rewritten(paper_study):
    paper_study.set_framework_summary("GP1", "access", "x", "sue")
    with paper_study._tx() as session, pytest.raises(Exception, match="(?i)audit"):
        session.execute(text("UPDATE audit_log SET after = '' WHERE entity = 'framework_cell'"))


def test_migration_matches_the_model(tmp_path):
    from sqlalchemy import create_engine, inspect

    from qualcode.store import engine as engines

    eng = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    engines.upgrade(eng)
    cols = {c["name"]: c for c in inspect(eng).get_columns("framework_summaries")}
    assert list(cols) == ["id", "participant_id", "code_id", "text", "version", "updated_by", "updated_at"]
    uniques = inspect(eng).get_unique_constraints("framework_summaries")
    assert [u["column_names"] for u in uniques] == [["participant_id", "code_id"]]
