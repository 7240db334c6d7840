"""Editing participants: audited, validated, segments re-attached."""

from __future__ import annotations

import pytest

from qualcode.errors import StoreError
from qualcode.io.transcripts import read_transcript
from tests.conftest import write


def test_update_and_create_participants_relinks_segments(study, tmp_path):
    study.import_transcripts([read_transcript(write(tmp_path / "i.txt", "Anna: I ring at eight.\n"))])
    assert study.segments()[0].participant_id is None
    person = study.update_participant("P01", {"role": "Patient", "speakers": "Anna; A.",
                                              "attributes": {"age": "40-49"}}, "alice", create=True)
    assert (person.role, person.speakers, dict(person.attributes)) == ("Patient", ("Anna", "A."), {"age": "40-49"})
    assert study.segments()[0].participant_id == "P01"
    study.update_participant("P01", {"site": " B ", "attributes": {"age": "50-59", "area": "rural"}}, "alice")
    [p] = study.participants()
    assert (p.role, p.site, dict(p.attributes)) == ("Patient", "B", {"age": "50-59", "area": "rural"})
    update = study.audit_log()[0]
    assert (update.action, update.actor, update.before["site"], update.after["site"]) == (
        "update", "alice", "", "B")
    with pytest.raises(StoreError, match="expected an id of the study"):
        study.update_participant("P99", {"role": "x"}, "alice")
    with pytest.raises(StoreError, match="expected a new id"):
        study.update_participant("P01", {}, "alice", create=True)
    with pytest.raises(StoreError, match="expected fields among"):
        study.update_participant("P01", {"name": "x"}, "alice")
    with pytest.raises(StoreError, match="built-in fields"):
        study.update_participant("P01", {"attributes": {"role": "x"}}, "alice")
