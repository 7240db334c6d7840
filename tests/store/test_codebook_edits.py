"""Codebook edits: new versions, audit, merge carries decisions, split lists re-coding."""

from __future__ import annotations

import pytest

from qualcode.io.transcripts import read_transcript
from qualcode.records import Code
from qualcode.reports.agreement_report import agreement_rows
from qualcode.store.codebook_edits import FieldError
from tests.conftest import write


@pytest.fixture
def seg_ids(study, tmp_path):
    study.import_transcripts([read_transcript(write(tmp_path / "i.txt",
                                                    "P1: Phones at eight.\n\nP1: Budget cut.\n\nP1: Waiting.\n"))])
    return [s.id for s in study.segments()]


def test_add_and_edit_make_new_versions_and_refuse_bad_fields(study):
    assert study.add_code(Code("waits", "Waiting", "Waiting for care.", parent="access"), "ann") == 2
    with pytest.raises(FieldError) as err:
        study.add_code(Code("waits", "Again", "x"), "ann")
    assert err.value.field == "id" and "already has" in str(err.value)
    with pytest.raises(FieldError) as err:
        study.add_code(Code("new", "  ", "x"), "ann")
    assert err.value.field == "name"
    with pytest.raises(FieldError) as err:
        study.edit_code("access", "ann", definition="")
    assert err.value.field == "definition"
    with pytest.raises(FieldError) as err:
        study.edit_code("access", "ann", parent="phones")  # its own sub-code
    assert err.value.field == "parent"
    assert study.rename_code("money", "Funding", "ann") == 3
    assert study.codebook().get("money").name == "Funding"
    assert study.codebook(2).get("money").name == "Money"
    assert study.add_example("money", "We lost the grant.", "ann") == 4
    assert study.codebook().get("money").examples[-1] == "We lost the grant."
    edits = [e for e in study.audit_log() if e.action == "edit_code"]
    assert edits[-1].before == {"name": "Money"} and edits[-1].after == {"name": "Funding"}
    assert [v.version for v in study.codebook_versions()] == [1, 2, 3, 4]


def test_merge_carries_decisions_and_keeps_history(study, seg_ids):
    study.decide(seg_ids[0], "phones", "ann")
    study.decide(seg_ids[1], "money", "ann")
    study.decide(seg_ids[1], "access", "ann", present=False)
    with pytest.raises(FieldError) as err:
        study.merge_codes("money", "money", "sup")
    assert err.value.field == "target" and "itself" in str(err.value)
    with pytest.raises(FieldError):
        study.merge_codes("access", "phones", "sup")  # into its own sub-code
    version = study.merge_codes("money", "access", "sup")
    cb = study.codebook()
    assert "money" not in cb.ids() and version == 2
    ann = {(a.segment_id, a.code_id, a.present, a.codebook_version) for a in study.applications(coder="ann")}
    assert (seg_ids[1], "money", True, 1) in ann  # history kept
    assert (seg_ids[1], "access", False, 1) in ann  # a decision already on the target stays as it was
    version = study.merge_codes("phones", "access", "sup")
    ann = {(a.segment_id, a.code_id, a.present, a.codebook_version) for a in study.applications(coder="ann")}
    assert (seg_ids[0], "access", True, version) in ann


def test_merge_moves_sub_codes_under_the_target(study):
    study.merge_codes("access", "money", "sup")
    assert study.codebook().get("phones").parent == "money"


def test_split_replaces_the_code_and_lists_segments_to_recode(study, seg_ids):
    study.decide(seg_ids[1], "money", "ann")
    with pytest.raises(FieldError) as err:
        study.split_code("access", [Code("a", "A", ""), Code("b", "B", "")], "sup")
    assert "sub-codes" in str(err.value)
    with pytest.raises(FieldError):
        study.split_code("money", [Code("a", "A", "")], "sup")
    with pytest.raises(FieldError):
        study.split_code("money", [Code("phones", "A", ""), Code("b", "B", "")], "sup")
    study.split_code("money", [Code("budget", "Budget", ""), Code("costs", "Costs to patients", "")], "sup")
    cb = study.codebook()
    assert cb.ids() == ["access", "phones", "budget", "costs"]
    assert cb.get("costs").definition == "Budgets, funding and the cost of services."
    assert study.segments_to_recode("money") == [seg_ids[1]]


def test_agreement_reports_the_codebook_version_of_the_coding(study, seg_ids):
    for coder in ("ann", "bob"):
        study.decide(seg_ids[0], "phones", coder)
    study.rename_code("phones", "Telephone", "sup")
    study.decide(seg_ids[1], "phones", "ann")  # made under version 2
    rows = {r["code"]: r for r in agreement_rows(study, ["ann", "bob"], ["phones"], n_boot=0)}
    assert rows["phones"]["codebook_versions"] == "1,2" and rows["phones"]["percent"] == pytest.approx(2 / 3, abs=1e-4)
    v1 = {r["code"]: r for r in agreement_rows(study, ["ann", "bob"], ["phones"], n_boot=0, version=1)}
    assert v1["phones"]["codebook_versions"] == "1" and v1["phones"]["percent"] == 1.0


def test_an_edit_that_changes_nothing_makes_no_version(study):
    assert study.rename_code("phones", "Phone lines", "sup") == 1
    assert len(study.codebook_versions()) == 1
