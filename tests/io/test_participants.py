from __future__ import annotations

import pytest

from qualcode.errors import InputError
from qualcode.io.participants import match_speaker, read_participants
from tests.conftest import EXAMPLE, write


def test_example_sheet():
    people = read_participants(EXAMPLE / "participants.csv")
    assert len(people) == 9
    p01 = people[0]
    assert (p01.participant_id, p01.group, p01.role, p01.site) == ("P01", "professional", "GP", "A")
    assert p01.attributes["gender"] == "female"
    assert p01.attribution() == "P01, GP, site A"
    assert [p.participant_id for p in people if p.is_interviewer] == ["INT"]


def test_speaker_column_and_matching(tmp_path):
    people = read_participants(write(tmp_path / "p.csv",
                                     "participant_id,group,role,site,speaker\n"
                                     "W1,professional,Witness,X,Dr Jennifer Dixon; The Witness\n"
                                     "C1,interviewer,Counsel,,Lead Inquiry\n"))
    assert match_speaker("the witness", people).participant_id == "W1"
    assert match_speaker("Dr Jennifer Dixon", people).participant_id == "W1"
    assert match_speaker("Lead Inquiry", people).is_interviewer
    assert match_speaker("Somebody", people) is None


@pytest.mark.parametrize("text,words", [
    ("participant_id,group,role\nP1,a,b\n", "no column 'site'"),
    ("participant_id,group,role,site\nP1,a,b,c\nP1,a,b,c\n", "'P1' again"),
    ("participant_id,group,role,site\n,a,b,c\n", "participant_id"),
    ("participant_id,group,role,site,age,Age\nP1,a,b,c,40,41\n", "p.csv:1: expected each column named once, got 'age' more"),
    ("participant_id,group,role,site,\nP1,a,b,c,\nP2,a,b,c,40s\n",
     "p.csv:3: expected a name in the header for column 5, which holds data, got an empty header cell"),
])
def test_bad_sheets(tmp_path, text, words):
    path = write(tmp_path / "p.csv", text)
    with pytest.raises(InputError) as err:
        read_participants(path)
    assert str(path) in str(err.value) and words in str(err.value)


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_or_tab_separated_sheet_is_read(tmp_path, sep):
    text = sep.join(["participant_id", "group", "role", "site", "age"]) + "\n" + sep.join(
        ["P1", "professional", "GP", "A", "40s, or so"]) + "\n"
    people = read_participants(write(tmp_path / "p.csv", text))
    assert [(p.participant_id, p.group, p.site, p.attributes["age"]) for p in people] == [
        ("P1", "professional", "A", "40s, or so")]


def test_header_mixing_separators_is_named(tmp_path):
    path = write(tmp_path / "p.csv", "participant_id;group;role;site,notes\nP1;a;b;c,x\n")
    with pytest.raises(InputError) as err:
        read_participants(path)
    assert str(err.value) == (f"{path}:1: expected columns participant_id, group, role, site (and optionally "
                              "speaker), got no column 'participant_id', 'group', 'role', 'site' (the header "
                              "seems to use ';' as separator: save the sheet as comma-separated CSV)")
