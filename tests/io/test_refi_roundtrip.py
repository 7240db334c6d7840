"""Export → import → export keeps every code, coding, span, coder, memo, case and attribute."""

from __future__ import annotations

import zipfile
from xml.etree import ElementTree as ET

from qualcode.cli import main
from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from qualcode.records import Code, Codebook
from qualcode.store import Study
from tests.conftest import write
from tests.io.test_refi_export import add_span, validate

Q = "{urn:QDA-XML:project:1.0}"
INTERVIEW = ("Interviewer: How do you book?\n\n"
             "P01: I ring at eight and all the appointments are gone. Naïve of me, perhaps.\n\n"
             "P01: The budget has been cut again, so there is less money.\n")


def content(path) -> dict:
    """A .qdpx as comparable sets: by names and offsets, not by the GUIDs of its study's scope."""
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("project.qde"))
        files = {n: z.read(n).decode("utf-8") for n in z.namelist()}
    users = {u.get("guid"): u.get("name") for u in root.iter(Q + "User")}
    codes, parents = {}, {}
    for code in root.iter(Q + "Code"):
        desc = code.find(Q + "Description")
        codes[code.get("guid")] = (code.get("name"), desc.text if desc is not None else "", code.get("color"),
                                   code.get("isCodable"))
        for child in code.findall(Q + "Code"):
            parents[child.get("guid")] = code.get("guid")
    notes = {}
    for note in root.iter(Q + "Note"):
        text = note.findtext(Q + "PlainTextContent")
        if text is None:
            text = files[note.get("plainTextPath").replace("internal://", "sources/")]
        notes[note.get("guid")] = (users[note.get("creatingUser")], text)
    out = {"users": sorted(users.values()), "codes": {(g, *v, parents.get(g)) for g, v in codes.items()},
           "codings": set(), "descriptions": set(), "notes": set(), "cases": set(), "texts": {}}
    for src in root.iter(Q + "TextSource"):
        name = src.get("name")
        out["texts"][name] = files[src.get("plainTextPath").replace("internal://", "sources/")]
        for ref in src.findall(Q + "NoteRef"):
            out["notes"].add(("source", name, *notes[ref.get("targetGUID")]))
        for sel in src.findall(Q + "PlainTextSelection"):
            where = (name, sel.get("startPosition"), sel.get("endPosition"), users[sel.get("creatingUser")])
            if sel.findtext(Q + "Description"):
                out["descriptions"].add((*where, sel.findtext(Q + "Description")))
            for c in sel.findall(Q + "Coding"):
                out["codings"].add((*where, c.find(Q + "CodeRef").get("targetGUID"), users[c.get("creatingUser")],
                                    c.get("creationDateTime")))
    for code in root.iter(Q + "Code"):
        for ref in code.findall(Q + "NoteRef"):
            out["notes"].add(("code", code.get("name"), *notes[ref.get("targetGUID")]))
    for ref in root.findall(Q + "NoteRef"):
        out["notes"].add(("project", "", *notes[ref.get("targetGUID")]))
    variables = {v.get("guid"): v.get("name") for v in root.iter(Q + "Variable")}
    for case in root.iter(Q + "Case"):
        values = tuple(sorted((variables[v.find(Q + "VariableRef").get("targetGUID")], v.findtext(Q + "TextValue"))
                              for v in case.findall(Q + "VariableValue")))
        out["cases"].add((case.get("name"), values, len(case.findall(Q + "SourceRef"))))
    return out


def test_export_import_export_keeps_everything(tmp_path, tiny_codebook, shared):
    codebook = Codebook("Tiny", tiny_codebook.codes + (Code("sárga", "Sárga", "Yellow.", color="#FFCC00",
                                                            is_codable=False),))
    study = Study.init(tmp_path / "first", codebook=codebook)
    people = read_participants(write(tmp_path / "p.csv", "participant_id,group,role,site,age band\n"
                                     "P01,service user,Patient,B,40-49\nINT,interviewer,Interviewer,,\n"))
    study.import_transcripts([read_transcript(write(tmp_path / "int one.txt", INTERVIEW))], people)
    tid = study.transcript_id("int one")
    seg_access, seg_money = study.segments(codeable_only=True)
    study.decide(seg_access.id, "phones", "alice")
    study.decide(seg_access.id, "access", "bob")
    study.decide(seg_money.id, "money", "alice")
    study.set_final(seg_access.id, "access", True, "carol", "both apply")
    add_span(study, tid, seg_money.start + 4, seg_money.start + 10, "money", "bob")
    study.add_memo("bob", "Ringing at eight.", segment_id=seg_access.id)  # bob coded it: the coding memo
    study.add_memo("dora", "Only a note.", segment_id=seg_money.id)  # dora coded nothing there
    study.add_memo("alice", "Noisy room.", transcript_id=tid)
    study.add_memo("alice", "Phones only.", code_id="phones")
    study.add_memo("erik", "Twelve interviews planned.")
    study.close()
    first, second = tmp_path / "first.qdpx", tmp_path / "second.qdpx"
    assert main(["export", str(tmp_path / "first"), "--out", str(first)]) == 0
    assert main(["init", str(tmp_path / "second"), "--from", str(first)]) == 0
    assert main(["export", str(tmp_path / "second"), "--out", str(second)]) == 0
    for path in (first, second):
        with zipfile.ZipFile(path) as z:
            validate(shared, z.read("project.qde"))
    a, b = content(first), content(second)
    assert len(a["codings"]) == 5 and len(a["notes"]) == 3 and len(a["descriptions"]) == 3 and a["cases"]
    for key in a:
        assert a[key] == b[key], key
    with Study.open(tmp_path / "second") as again:
        (final,) = again.applications(source="final")
        assert (final.coder, final.reason) == ("carol", "both apply")
        (p01,) = again.participants()
        assert (p01.group, p01.attributes) == ("service user", {"age_band": "40-49"})  # as the participants sheet reads it


def test_importing_the_studys_own_export_doubles_nothing(tmp_path, tiny_codebook):
    from qualcode.store.codebook_import import coding_counts

    study = Study.init(tmp_path / "own", codebook=tiny_codebook)
    study.import_transcripts([read_transcript(write(tmp_path / "int one.txt", INTERVIEW))])
    seg = study.segments(codeable_only=True)[0]
    study.decide(seg.id, "access", "bob")
    study.set_final(seg.id, "access", True, "carol", "agreed")
    study.add_memo("bob", "A memo.", segment_id=seg.id)
    study.add_memo("bob", "On the interview.", transcript_id=seg.transcript_id)
    before, memos = coding_counts(study), len(study.memos())
    study.close()
    out = tmp_path / "own.qdpx"
    assert main(["export", str(tmp_path / "own"), "--out", str(out)]) == 0
    assert main(["import", str(tmp_path / "own"), str(out)]) == 0
    with Study.open(tmp_path / "own") as again:
        assert coding_counts(again) == before and len(again.memos()) == memos
