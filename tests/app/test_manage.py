"""Manage page through AppTest: upload transcripts and a participants sheet (the CLI's readers,
one transaction, each message next to its field) and edit participants."""

from __future__ import annotations

from tests.app.conftest import button, open_app


def supervisor(study):
    study.ensure_coder("sue", "supervisor")
    return open_app("manage", "sue")


def test_manage_is_for_supervisors(app_study):
    at = open_app("manage", "alice")
    assert "for supervisors" in at.info[0].value


def test_upload_imports_transcripts_and_participants_in_one_go(app_study):
    at = supervisor(app_study)
    at.file_uploader(key="u_transcripts").set_value([("n01.txt", b"N01: I rang at eight *twice*.\n", "text/plain"),
                                                     ("n02.vtt", b"WEBVTT\n\n00:00.000 --> 00:02.000\nN02: Hello\n",
                                                      "text/vtt")])
    at.file_uploader(key="u_participants").set_value(
        ("people.csv", b"participant_id,group,role,site,speaker,age\nN01,patient,Patient,C,N01,30\n", "text/csv"))
    button(at, key="u_import").click().run()
    assert not at.exception and not at.error
    assert {"n01", "n02"} <= {t.name for t in app_study.transcripts()}
    assert at.success[0].value.replace("\\", "").startswith("Imported 2 transcripts (2 segments), 1 participant added")
    seg = next(s for s in app_study.segments() if s.transcript == "n01")
    assert (seg.text, seg.participant_id) == ("I rang at eight *twice*.", "N01")
    entry = next(a for a in app_study.audit_log() if a.action == "import" and a.after["name"] == "n01")
    assert (entry.actor, entry.after["file"]) == ("sue", "upload:n01.txt")


def test_upload_errors_stand_next_to_their_field_and_import_nothing(app_study):
    before = {t.name for t in app_study.transcripts()}
    at = supervisor(app_study)
    at.file_uploader(key="u_transcripts").set_value([("good.txt", b"N01: fine\n", "text/plain"),
                                                     ("bad.csv", b"no,speaker,columns\n1,2,3\n", "text/csv")])
    at.file_uploader(key="u_participants").set_value(("people.csv", b"participant_id,group\nN01,x\n", "text/csv"))
    button(at, key="u_import").click().run()
    errors = [e.value.replace("\\", "") for e in at.error]
    assert errors[0].startswith("bad.csv") and "/tmp" not in errors[0]
    assert any(e.startswith("people.csv:1: expected columns") for e in errors)
    assert {t.name for t in app_study.transcripts()} == before  # nothing half-imported


def test_edit_and_add_participants(app_study):
    at = supervisor(app_study)
    at.selectbox(key="p_pick").set_value("P01").run()
    at.text_input(key="p_P01_site").input("Z").run()
    at.text_area(key="p_P01_attributes").input("gender = female\nage_band = 55-64").run()
    button(at, key="p_P01_save").click().run()
    assert not at.error
    p01 = next(p for p in app_study.participants() if p.participant_id == "P01")
    assert (p01.site, dict(p01.attributes)) == ("Z", {"gender": "female", "age_band": "55-64"})
    assert app_study.audit_log()[0].actor == "sue"
    at.text_area(key="p_P01_attributes").input("no equals sign").run()
    button(at, key="p_P01_save").click().run()
    assert "expected 'name = value'" in at.error[0].value.replace("\\", "")
    at.text_input(key="padd_id").input("P99").run()
    at.text_input(key="padd_role").input("Carer").run()
    button(at, key="padd_save").click().run()
    assert any(p.participant_id == "P99" and p.role == "Carer" for p in app_study.participants())
