"""``code_applications.shown``: the engine's display decision, stored with each suggestion (0008)."""

from __future__ import annotations

from qualcode.io.transcripts import read_transcript
from qualcode.records import Suggestion
from tests.conftest import write


def test_models_and_migration_agree_on_the_shown_column(study):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect

    from qualcode.store.models import Base

    with study.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert not [d for d in diff if "code_applications" in repr(d)]
    column = {c["name"]: c for c in inspect(study.engine).get_columns("code_applications")}["shown"]
    assert column["nullable"]


def test_the_decision_is_stored_and_read_back_none_where_not_decided(study, tmp_path):
    study.import_transcripts([read_transcript(write(tmp_path / "t.txt", "P01: one.\n\nP01: two.\n"))])
    a, b = (s.id for s in study.segments(codeable_only=True))
    study.replace_suggestions([Suggestion(a, "access", 0.9, "r", True), Suggestion(a, "money", 0.6, "r", False),
                               Suggestion(b, "phones", 0.4, "r")], [a, b], "hash")
    got = {(x.segment_id, x.code_id): x.shown for x in study.applications(source="machine")}
    assert got == {(a, "access"): True, (a, "money"): False, (b, "phones"): None}
    study.decide(a, "access", "alice")
    assert [x.shown for x in study.applications(source="human")] == [None]


def test_counts_and_retrieve_count_the_suggestions_shown(study, tmp_path):
    """In SQL (code_counts) as in Python (retrieve): shown True counts, False does not, NULL from 0.5."""
    study.import_transcripts([read_transcript(write(tmp_path / "t.txt", "P01: one.\n\nP01: two.\n"))])
    a, b = (s.id for s in study.segments(codeable_only=True))
    study.replace_suggestions([Suggestion(a, "money", 0.45, "r", True), Suggestion(b, "money", 0.6, "r", False),
                               Suggestion(a, "access", 0.5, "r"), Suggestion(b, "access", 0.49, "r")], [a, b], "hash")
    assert study.code_counts("alice", "machine") == {"money": 1, "access": 1}
    assert study.code_counts("alice", "machine", min_confidence=0.45) == {"money": 2, "access": 2}
    assert [(h.segment_id, h.confidence) for h in study.retrieve("money", source="machine")] == [(a, 0.45)]
    assert [h.segment_id for h in study.retrieve("access", include_children=False, source="machine")] == [a]
    assert [h.segment_id for h in study.retrieve("money", source="machine", min_confidence=0.5)] == [b]
