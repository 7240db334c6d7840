"""Redactor: names from the participants sheet, speaker labels and a redact file, whole words."""

from __future__ import annotations

import pytest

from qualcode.errors import InputError
from qualcode.records import Participant
from qualcode.redact import Redactor, read_redact_file
from tests.conftest import write

PEOPLE = [Participant("GP1", "professional", "GP", "A", ("Dr Okafor",), {"name": "Grace Okafor"}),
          Participant("P01", "service user", "Patient", "B", ("P01",), {"name": "Ray Brown"}),
          Participant("INT", "interviewer", "Interviewer", "", ("Interviewer",), {})]


def test_names_become_the_participant_id_and_phrases_name():
    r = Redactor.from_participants(PEOPLE, ["Mrs Patel"])
    assert r.text("Dr Okafor said Grace Okafor rang Ray; ray-gun, Rays and Raymond stay.") == \
        "[GP1] said [GP1] rang [P01]; [P01]-gun, Rays and Raymond stay."
    assert r.text("MRS PATEL and mrs patel, not Patel alone") == "[name] and [name], not Patel alone"
    assert r.text("okafor_interview.docx") == "[GP1]_interview.docx"
    assert r.text("P01 keeps P01") == "P01 keeps P01"  # ids are never replaced
    assert r.text("I told the interviewer") == "I told the interviewer"  # a generic label is no name


def test_identifiable_changes_nothing():
    r = Redactor.from_participants(PEOPLE, ["Patel"], identifiable=True)
    assert r.identifiable and r.text("Grace Okafor and Patel") == "Grace Okafor and Patel"


def test_with_offsets_maps_old_offsets_to_new():
    r = Redactor.from_participants([], ["Bob", "Alexandra"])
    old = "Hi Bob, see Alexandra now"
    new, remap = r.with_offsets(old)
    assert new == "Hi [name], see [name] now"
    # before, at, inside and after each replacement
    assert [remap(i) for i in (0, 3, 4, 6, 12, 14, 21, 22, 25)] == [0, 3, 3, 9, 15, 15, 21, 22, 25]
    assert remap(4, at_end=True) == 9 and remap(14, at_end=True) == 21
    start, end = old.index("see"), old.index("see") + 3
    assert new[remap(start):remap(end, at_end=True)] == "see"
    same, ident = Redactor().with_offsets(old)
    assert same == old and ident(7) == 7


def test_redact_file_lines_comments_and_errors(tmp_path):
    path = write(tmp_path / "r.txt", "\ufeff# names\nMrs Patel\n\n  St Anne's  \n")
    assert read_redact_file(path) == ["Mrs Patel", "St Anne's"]
    with pytest.raises(InputError, match="no such file"):
        read_redact_file(tmp_path / "missing.txt")
    with pytest.raises(InputError, match=r"long.txt:2: expected a name or phrase of at most 200 characters, got 201"):
        read_redact_file(write(tmp_path / "long.txt", "ok\n" + "x" * 201 + "\n"))
