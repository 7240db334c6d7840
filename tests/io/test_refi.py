"""REFI-QDA: export validated against the standard's XSDs, reading real tools' files."""

from __future__ import annotations

import zipfile
from xml.etree import ElementTree as ET

import pytest

from qualcode.cli import main
from qualcode.io.participants import read_participants
from qualcode.io.refi import codebook_qdc, read_refi_codebook, write_qdpx
from qualcode.io.refi_read import iter_refi_codings, source_texts
from qualcode.io.transcripts import read_transcript
from qualcode.records import Code, Codebook
from qualcode.store import Study
from qualcode.workflow import refi_project
from tests.conftest import write

NS = {"q": "urn:QDA-XML:project:1.0"}
INTERVIEW = ("Interviewer: How do you book?\n\n"
             "P01: I ring at eight and all the appointments are gone. Naïve of me, perhaps.\n\n"
             "P01: The budget has been cut again, so there is less money.\n")


def schema(shared, name):
    etree = pytest.importorskip("lxml.etree")
    return etree.XMLSchema(etree.parse(str(shared / "refi-qda" / name)))


def assert_valid(xsd, xml: bytes):
    from lxml import etree

    doc = etree.fromstring(xml)
    assert xsd.validate(doc), xsd.error_log.last_error


@pytest.fixture
def coded_study(tmp_path, tiny_codebook):
    study = Study.init(tmp_path / "gp study", codebook=tiny_codebook)
    people = read_participants(write(tmp_path / "p.csv", "participant_id,group,role,site,trust\n"
                                     "P01,service user,Patient,B,North\nINT,interviewer,Interviewer,,\n"))
    study.import_transcripts([read_transcript(write(tmp_path / "int one.txt", INTERVIEW))], people)
    seg_access, seg_money = study.segments(codeable_only=True)
    study.decide(seg_access.id, "phones", "alice")
    study.decide(seg_access.id, "access", "bob")
    study.decide(seg_money.id, "money", "alice")
    study.decide(seg_money.id, "access", "bob", present=False)  # a rejection is not a coding
    study.set_final(seg_access.id, "access", True, "carol", "both apply; access is the theme")
    study.add_memo("bob", "Ringing at eight: a recurring story.", segment_id=seg_access.id)
    yield study
    study.close()


def test_project_export_validates_and_keeps_offsets_coders_memos_cases(coded_study, tmp_path, shared):
    out = write_qdpx(refi_project(coded_study), tmp_path / "study.qdpx")
    with zipfile.ZipFile(out) as z:
        xml = z.read("project.qde")
        texts = {n: z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("sources/")}
    assert_valid(schema(shared, "Project.xsd"), xml)
    root = ET.fromstring(xml)
    users = {u.get("guid"): u.get("name") for u in root.iterfind("q:Users/q:User", NS)}
    assert sorted(users.values()) == ["alice", "bob", "final"]
    codes = {c.get("guid"): c.get("name") for c in root.iter("{urn:QDA-XML:project:1.0}Code")}
    assert sorted(codes.values()) == ["Access", "Money", "Phone lines"]
    (source,) = root.iterfind("q:Sources/q:TextSource", NS)
    text = texts[f"sources/{source.get('guid')}.txt"]
    assert text == coded_study.plain_text(coded_study.transcript_id("int one"))
    seen = set()
    for sel in source.iterfind("q:PlainTextSelection", NS):
        start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
        for coding in sel.iterfind("q:Coding", NS):
            code = codes[coding.find("q:CodeRef", NS).get("targetGUID")]
            seen.add((text[start:end][:20], code, users[coding.get("creatingUser")]))
    assert seen == {("I ring at eight and ", "Phone lines", "alice"), ("I ring at eight and ", "Access", "bob"),
                    ("I ring at eight and ", "Access", "final"), ("The budget has been ", "Money", "alice")}
    # one selection per coder: QualCoder takes the coder from the selection's creatingUser
    for sel in source.iterfind("q:PlainTextSelection", NS):
        assert sel.get("creatingUser") and sel.get("creationDateTime", "").endswith("Z")
        assert {c.get("creatingUser") for c in sel.iterfind("q:Coding", NS)} <= {sel.get("creatingUser")}
        assert all(c.get("creationDateTime") for c in sel.iterfind("q:Coding", NS))
    described = {users[sel.get("creatingUser")]: sel.find("q:Description", NS).text
                 for sel in source.iterfind("q:PlainTextSelection", NS) if sel.find("q:Description", NS) is not None}
    assert described == {"bob": "Ringing at eight: a recurring story.",  # the coding memo
                         "final": "Adjudicated by carol: Access: both apply; access is the theme"}
    assert root.find("q:Notes", NS) is None  # no transcript, code or project memos: no empty <Notes/>
    (case,) = root.iterfind("q:Cases/q:Case", NS)  # the interviewer is not a case
    variables = {v.get("guid"): v.get("name") for v in root.iterfind("q:Variables/q:Variable", NS)}
    values = {variables[v.find("q:VariableRef", NS).get("targetGUID")]: v.find("q:TextValue", NS).text
              for v in case.iterfind("q:VariableValue", NS)}
    assert case.get("name") == "P01" and values == {"group": "service user", "role": "Patient", "site": "B",
                                                    "trust": "North"}
    assert case.find("q:SourceRef", NS).get("targetGUID") == source.get("guid")
    # our own reader finds the same codings at the same offsets
    got = sorted(iter_refi_codings(out))
    assert len(got) == 4 and all(texts_ok for texts_ok in
                                 (source_texts(out)["int one"][s:e] for _, s, e, _ in got))


def test_export_is_byte_for_byte_repeatable(coded_study, tmp_path):
    a = write_qdpx(refi_project(coded_study), tmp_path / "a.qdpx")
    b = write_qdpx(refi_project(coded_study), tmp_path / "b.qdpx")
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        assert za.read("project.qde") == zb.read("project.qde")


def test_machine_suggestions_only_when_asked(coded_study, fake_embedder, tmp_path):
    from qualcode.workflow import code_study

    code_study(coded_study, fake_embedder, floor=0.05)
    plain = refi_project(coded_study)
    assert "qualcode" not in plain.users
    with_machine = refi_project(coded_study, machine_threshold=0.05)
    assert "qualcode" in with_machine.users
    assert any(sel.coder == "qualcode" and sel.codings for s in with_machine.sources for sel in s.selections)


def test_codebook_round_trip_through_qdc(tiny_codebook, tmp_path, shared):
    rich = Codebook("GP", tiny_codebook.codes + (Code("equity", "Equity & access", "Fairness between groups.",
                                                        None, ("deprived areas",), ("individual rudeness",),
                                                        ("Poorer areas get worse care.",)),))
    xml = codebook_qdc(rich)
    assert_valid(schema(shared, "Codebook.xsd"), xml)
    path = write(tmp_path / "cb.qdc", xml.decode("utf-8"))
    back = read_refi_codebook(path)
    assert [(c.name, c.definition, c.include, c.exclude, c.examples) for c in back.codes] == \
        [(c.name, c.definition, c.include, c.exclude, c.examples) for c in rich.codes]
    assert back.get("phone_lines").parent == "access" and back.get("equity_access").examples


@pytest.mark.parametrize("name, n_codes, nested", [
    ("nvivo12_oltas0517.qdpx", 152, True), ("atlasti23_target-atlas-project.qdpx", None, True),
    ("atlasti8_standard_project.qde", None, None), ("maxqda24_paper_themes_project.qde", 307, None),
    ("taguette141_codebook.qdc", 3, False), ("atlasti23_requal_codebook.qdc", 1, False)])
def test_reads_the_codebooks_real_tools_write(shared, name, n_codes, nested):
    codebook = read_refi_codebook(shared / "data" / "refi-samples" / name)
    assert len(codebook) >= 1 and len({c.id for c in codebook.codes}) == len(codebook)
    if n_codes is not None:
        assert len(codebook) == n_codes
    if nested is not None:
        assert any(c.parent for c in codebook.codes) == nested
    assert all(c.definition for c in codebook.codes)


def test_reads_nvivo_codings_at_their_offsets(shared):
    path = shared / "data" / "refi-samples" / "nvivo12_oltas0517.qdpx"
    texts = source_texts(path)
    codings = list(iter_refi_codings(path))
    assert len(texts) == 2 and len(codings) >= 303
    assert all(name in texts and 0 <= s < e <= len(texts[name]) and code for name, s, e, code in codings)


def test_cli_export_and_codebook_from_qdc(coded_study, tmp_path, capsys):
    folder = str(coded_study.folder)
    coded_study.close()
    assert main(["export", folder, "--out", str(tmp_path / "x.qdpx")]) == 0
    assert "1 transcripts, 3 codes, 4 codings by 3 user(s), 1 cases" in capsys.readouterr().out
    assert main(["export", folder, "--out", str(tmp_path / "cb.qdc")]) == 0
    assert main(["codebook", folder, str(tmp_path / "cb.qdc")]) == 0
    assert "3 codes" in capsys.readouterr().out
    assert main(["export", folder, "--out", str(tmp_path / "x.nvp")]) == 2
    err = capsys.readouterr().err
    assert "expected .qdpx, .qdc, codebook.csv (Taguette), a table (.csv, .xlsx, .parquet)" in err
    assert "got '.nvp'" in err
    assert len(err.strip().splitlines()) == 1
    broken = write(tmp_path / "broken.qdc", "<CodeBook><Codes><Code name='x'")
    assert main(["codebook", folder, str(broken)]) == 2
    err = capsys.readouterr().err
    assert "broken.qdc:1: expected REFI-QDA XML" in err and "Traceback" not in err
