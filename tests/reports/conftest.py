"""A small study for the report tests: names in the participants sheet and in the text,
coding of every kind (final, coders', suggestions above and below the threshold)."""

from __future__ import annotations

import pytest

from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from qualcode.records import Suggestion
from qualcode.store import Study
from tests.conftest import write

PEOPLE = ("participant_id,group,role,site,speaker,name,gender\n"
          "GP1,professional,GP,A,Dr Okafor,Grace Okafor,female\n"
          "GP2,professional,GP,B,GP2,Raymond Lee,male\n"
          "P01,service user,Patient,B,P01,Ray Brown,male\n"
          "INT,interviewer,Interviewer,,Interviewer,,\n")
GP1 = ("Interviewer: What happens when you need a referral?\n\n"
       "Dr Okafor: The phone line is engaged all morning <and> patients give up before they reach us.\n\n"
       "Dr Okafor: Our budget was cut so the service has less money than it had last year.\n")
GP2 = ("GP2: -- within the process of commissioning --\n\n"
       "GP2: I told Grace that the phone system needs replacing before winter comes again.\n")
PATIENT = ("P01: Yes. I ring at eight and all the appointments are gone by five past eight. "
           "Ray from next door says Mrs Patel at the desk cannot help when the money runs out.\n")
# Every name the reports must never show (participants sheet, speaker label, redact file).
NAMES = ("Okafor", "Grace", "Raymond", "Lee", "Ray", "Brown", "Patel")


@pytest.fixture
def paper_study(tmp_path, tiny_codebook):
    s = Study.init(tmp_path / "paper", codebook=tiny_codebook)
    people = read_participants(write(tmp_path / "people.csv", PEOPLE))
    s.import_transcripts([read_transcript(write(tmp_path / "gp1_okafor.txt", GP1)),
                          read_transcript(write(tmp_path / "gp2.txt", GP2)),
                          read_transcript(write(tmp_path / "patient.txt", PATIENT))], people)
    seg = {(x.transcript, x.text[:12]): x for x in s.segments(codeable_only=True)}
    phone, money = seg[("gp1_okafor", "The phone li")], seg[("gp1_okafor", "Our budget w")]
    fragment, system = seg[("gp2", "-- within th")], seg[("gp2", "I told Grace")]
    ring = seg[("patient", "Yes. I ring ")]
    s.decide(phone.id, "phones", "alice")
    s.set_final(phone.id, "phones", True, "sue")
    s.decide(money.id, "money", "alice")
    s.decide(fragment.id, "access", "alice")
    s.decide(ring.id, "access", "alice")
    s.decide(ring.id, "money", "alice")
    s.replace_suggestions([Suggestion(system.id, "phones", 0.8, "phone"), Suggestion(system.id, "money", 0.3)],
                          [system.id], "hash")
    s.ensure_coder("sue", "supervisor")
    yield s
    s.close()


@pytest.fixture
def redact_file(tmp_path):
    return write(tmp_path / "redact.txt", "# extra names\nPatel\n\n")
