"""REFI-QDA export: what QualCoder, NVivo, ATLAS.ti and MAXQDA read, XSD-valid in every case."""

from __future__ import annotations

import zipfile
from xml.etree import ElementTree as ET

import pytest

from qualcode.io.refi import write_qdpx, xml_safe
from qualcode.io.transcripts import read_transcript
from qualcode.records import Code, Codebook
from qualcode.store import Study
from qualcode.workflow import refi_project
from tests.conftest import write

NS = {"q": "urn:QDA-XML:project:1.0"}


def validate(shared, xml: bytes) -> None:
    etree = pytest.importorskip("lxml.etree")
    xsd = etree.XMLSchema(etree.parse(str(shared / "refi-qda" / "Project.xsd")))
    assert xsd.validate(etree.fromstring(xml)), xsd.error_log.last_error


def export(study, tmp_path, name="x.qdpx"):
    out = write_qdpx(refi_project(study), tmp_path / name)
    with zipfile.ZipFile(out) as z:
        return z.read("project.qde"), {n: z.read(n).decode("utf-8") for n in z.namelist() if n != "project.qde"}


def add_span(study, tid, start, end, code_id, coder):
    """A span coding, as the app's Code page makes one."""
    return study.code_span(tid, start, end, code_id, coder)


def test_a_study_nobody_coded_validates(tmp_path, tiny_codebook, shared):
    study = Study.init(tmp_path / "empty", codebook=tiny_codebook)
    study.import_transcripts([read_transcript(write(tmp_path / "t.txt", "P01: hello there.\n"))])
    xml, files = export(study, tmp_path)
    validate(shared, xml)
    root = ET.fromstring(xml)
    assert root.find("q:Users", NS) is None and root.find("q:Notes", NS) is None
    assert list(files.values()) == ["P01: hello there.\n"]
    study.close()


def test_control_characters_become_spaces_and_offsets_still_match(tmp_path, tiny_codebook, shared):
    text = "P01: page one\x0cpage two\x0bline.\n\nP01: The budget\x01 was cut.\n"
    study = Study.init(tmp_path / "ctl", codebook=tiny_codebook)
    study.import_transcripts([read_transcript(write(tmp_path / "t.txt", text))])
    for seg in study.segments():
        study.decide(seg.id, "money", "alice")
    xml, files = export(study, tmp_path)
    validate(shared, xml)  # well-formed and valid
    (exported,) = files.values()
    assert exported == xml_safe(text) == text.replace("\x0c", " ").replace("\x0b", " ").replace("\x01", " ")
    root = ET.fromstring(xml)
    for sel, seg in zip(root.iter("{urn:QDA-XML:project:1.0}PlainTextSelection"), study.segments(), strict=True):
        start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
        assert (start, end) == (seg.start, seg.end) and len(exported[start:end]) == len(seg.text)
    study.close()


def test_memos_colours_spans_and_dates_where_the_tools_read_them(tmp_path, shared):
    codebook = Codebook("C", (Code("sárga", "Sárga", "Yellow things.", color="#FFCC00"),
                              Code("head", "Heading", "Groups codes.", is_codable=False),
                              Code("kid", "Kid", "A child code.", parent="head")))
    study = Study.init(tmp_path / "memos", codebook=codebook)
    study.import_transcripts([read_transcript(write(tmp_path / "t.txt", "P01: a yellow bus came by.\n"))])
    tid = study.transcript_id("t")
    add_span(study, tid, 7, 18, "sárga", "dora")  # "yellow bus"
    study.add_memo("dora", "Whole interview: noisy room.", transcript_id=tid)
    study.add_memo("dora", "Use for colours only.", code_id="sárga")
    study.add_memo("erik", "Project plan: twelve interviews.")
    xml, files = export(study, tmp_path)
    validate(shared, xml)
    root = ET.fromstring(xml)
    users = {u.get("guid"): u.get("name") for u in root.iterfind("q:Users/q:User", NS)}
    assert sorted(users.values()) == ["dora", "erik"]
    codes = {c.get("name"): c for c in root.iter("{urn:QDA-XML:project:1.0}Code")}
    assert codes["Sárga"].get("color") == "#FFCC00" and codes["Heading"].get("isCodable") == "false"
    (sel,) = root.iterfind("q:Sources/q:TextSource/q:PlainTextSelection", NS)
    assert (sel.get("startPosition"), sel.get("endPosition"), users[sel.get("creatingUser")]) == ("7", "18", "dora")
    notes = {n.get("guid"): n for n in root.iterfind("q:Notes/q:Note", NS)}
    assert all(n.get("creationDateTime") and n.get("creatingUser") for n in notes.values())
    # transcript memo: a NoteRef directly under TextSource; its Note holds the text and a selection
    source = root.find("q:Sources/q:TextSource", NS)
    t_note = notes[source.find("q:NoteRef", NS).get("targetGUID")]
    assert t_note.find("q:PlainTextContent", NS).text == "Whole interview: noisy room."
    assert t_note.find("q:PlainTextSelection", NS).get("endPosition") == str(len(study.plain_text(tid)))
    # code memo: a NoteRef on the code
    c_note = notes[codes["Sárga"].find("q:NoteRef", NS).get("targetGUID")]
    assert c_note.find("q:PlainTextContent", NS).text == "Use for colours only."
    # project memo: a NoteRef on the project; its text in a file (QualCoder reads it as a journal)
    p_ref = root.find("q:NoteRef", NS).get("targetGUID")
    assert files[notes[p_ref].get("plainTextPath").replace("internal://", "sources/")] == "Project plan: twelve interviews."
    study.close()
