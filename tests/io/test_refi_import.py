"""Whole-project import from the files real tools write (../shared/data/refi-samples)."""

from __future__ import annotations

import re
import zipfile

import pytest

from qualcode.cli import main
from qualcode.io.refi_read import offset_map, read_refi_project
from qualcode.store import Study
from qualcode.store.project_import import EMPTY_SOURCE

SAMPLES = ["nvivo12_oltas0517.qdpx", "atlasti8_standard_project.qde", "maxqda24_paper_themes_project.qde",
           "atlasti23_target-atlas-project.qdpx"]


def held(path) -> dict[str, int]:
    """What the file holds, counted from its XML text (independently of the reader)."""
    xml = (zipfile.ZipFile(path).read("project.qde") if zipfile.is_zipfile(path) else path.read_bytes()).decode()
    n = lambda tag: len(re.findall(rf"<{tag}[\s>/]", xml))  # noqa: E731
    selection_memos = len(re.findall(r"<PlainTextSelection[^>]*>\s*<Description>", xml))
    return {"sources": n("TextSource"), "codes": n("Code"), "codings": n("Coding"), "users": n("User"),
            "memos": n("Note") + selection_memos, "cases": n("Case")}


@pytest.mark.parametrize("name", SAMPLES)
def test_each_sample_imports_all_it_holds_minus_what_the_summary_skips(shared, tmp_path, name, capsys):
    path = shared / "data" / "refi-samples" / name
    assert main(["init", str(tmp_path / "s"), "--from", str(path)]) == 0
    out = capsys.readouterr().out
    read = read_refi_project(path)
    skipped = read.skipped
    file = held(path)
    with Study.open(tmp_path / "s") as study:
        spans = study.span_codings()
        got = {"sources": len(study.transcripts()), "codes": len(study.codebook()),
               "codings": len(spans) + len(study.applications(source="final")),
               "users": len(read.users), "memos": len(study.memos()), "cases": len(study.participants())}
        texts = {t.id: study.plain_text(t.id) for t in study.transcripts()}
        assert all(texts[r.transcript_id][r.start:r.end] == r.text for r in spans)
        coders = {name for name, _ in study.coders()}
        assert {r.coder for r in spans} <= coders and (not spans or set(read.users.values()) & coders)
    skipped_codings = sum(v for k, v in skipped.items() if "codings" in k and "memos" not in k)
    assert got == {"sources": file["sources"] - skipped["text sources whose text is not in the file"],
                   "codes": file["codes"], "codings": file["codings"] - skipped_codings, "users": file["users"],
                   "memos": file["memos"] - skipped["coding memos on sources not imported"], "cases": file["cases"]}
    for kind, count in skipped.items():
        assert f"{count} {kind}" in out  # the summary says what was skipped


def test_the_nvivo_sample_comes_in_whole_at_the_right_places(shared, tmp_path):
    path = shared / "data" / "refi-samples" / "nvivo12_oltas0517.qdpx"
    with Study.init(tmp_path / "nv") as study:
        assert main(["import", str(tmp_path / "nv"), str(path)]) == 0
        spans = study.span_codings()
        assert len(study.transcripts()) == 2 and len(spans) == 303 and len(study.codebook()) == 152
        assert {r.coder for r in spans} == {"Gergo"}  # the Coding's creatingUser (the selection has another)
        assert "sárga" in study.codebook().ids()  # Unicode letters kept in ids
        texts = {t.id: study.plain_text(t.id) for t in study.transcripts()}
        # NVivo counts UTF-16 units and \r\n as two: read as such, codings begin at word starts
        starts = sum(r.start == 0 or not texts[r.transcript_id][r.start - 1].isalnum() for r in spans)
        assert starts >= 295
        assert main(["import", str(tmp_path / "nv"), str(path)]) == 0  # again: nothing doubled
        assert len(study.span_codings()) == 303


def test_offsets_counted_in_utf16_units_and_crlf_as_two_are_mapped():
    raw = "ab\r\ncd \U0001F600 ef"
    text = raw.replace("\r\n", "\n")
    where = offset_map(raw, text, [(4, 6), (10, 12)])  # "cd", "ef" as NVivo counts them
    assert text[where(4):where(6)] == "cd" and text[where(10):where(12)] == "ef"
    standard = offset_map(raw, text, [(3, 5), (8, 10)])  # the same words counted as characters
    assert text[standard(3):standard(5)] == "cd" and text[standard(8):standard(10)] == "ef"


def test_a_bad_project_is_one_error_line_and_leaves_no_study(tmp_path, capsys):
    bad = tmp_path / "broken.qdpx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    assert main(["init", str(tmp_path / "new"), "--from", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "broken.qdpx" in err
    assert not (tmp_path / "new").exists()
    assert main(["import", str(tmp_path / "new"), str(tmp_path / "x.txt"), str(bad)]) == 2


@pytest.mark.parametrize("name, n_codes", [("taguette141_codebook.qdc", 3), ("atlasti23_requal_codebook.qdc", 1)])
def test_codebook_samples_load_into_a_study_with_their_guids(shared, tmp_path, name, n_codes, capsys):
    path = shared / "data" / "refi-samples" / name
    assert main(["init", str(tmp_path / "s"), "--codebook", str(path)]) == 0
    with Study.open(tmp_path / "s") as study:
        codes = study.codebook().codes
    xml = path.read_text(encoding="utf-8")
    assert len(codes) == n_codes and all(c.guid and c.guid.lower() in xml.lower() for c in codes)
    assert main(["codebook", str(tmp_path / "s"), str(path)]) == 0  # read again: nothing changes
    assert f"matched {n_codes} code(s) ({n_codes} by GUID); 0 changed, 0 new" in capsys.readouterr().out


HANDMADE = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="hand" origin="handmade">
 <Users><User guid="00000000-0000-0000-0000-0000000000a1" name="Ana"/></Users>
 <CodeBook><Codes>
  <Code guid="00000000-0000-0000-0000-0000000000c1" name="Place" isCodable="false" color="#ABC">
   <Code guid="00000000-0000-0000-0000-0000000000c2" name="Város" isCodable="true"/>
  </Code>
 </Codes></CodeBook>
 <Variables><Variable guid="00000000-0000-0000-0000-0000000000e1" name="age" typeOfVariable="Integer"/></Variables>
 <Cases><Case guid="00000000-0000-0000-0000-0000000000f1" name="P01">
  <VariableValue><VariableRef targetGUID="00000000-0000-0000-0000-0000000000e1"/><IntegerValue>41</IntegerValue>
  </VariableValue><SourceRef targetGUID="00000000-0000-0000-0000-0000000000b1"/></Case></Cases>
 <Sources>
  <TextSource guid="00000000-0000-0000-0000-0000000000b1" name="inline">
   <PlainTextContent>P01: I live in Pécs now.</PlainTextContent>
   <PlainTextSelection guid="00000000-0000-0000-0000-0000000000d1" startPosition="15" endPosition="19"
     creatingUser="00000000-0000-0000-0000-0000000000a1">
    <Coding guid="00000000-0000-0000-0000-0000000000d2" creatingUser="00000000-0000-0000-0000-0000000000a1">
     <CodeRef targetGUID="00000000-0000-0000-0000-0000000000c2"/>
     <NoteRef targetGUID="00000000-0000-0000-0000-000000000091"/>
    </Coding>
   </PlainTextSelection>
  </TextSource>
 </Sources>
 <Notes><Note guid="00000000-0000-0000-0000-000000000091" name="n" creatingUser="00000000-0000-0000-0000-0000000000a1">
  <PlainTextContent>Why Pécs?</PlainTextContent></Note></Notes>
 <Sets><Set guid="00000000-0000-0000-0000-000000000081" name="s"/></Sets>
</Project>"""


def test_inline_text_coding_notes_cases_and_colours_come_in(tmp_path, capsys):
    from tests.conftest import write

    path = write(tmp_path / "hand.qde", HANDMADE)
    assert main(["init", str(tmp_path / "h"), "--from", str(path)]) == 0
    assert "skipped: 1 sets" in capsys.readouterr().out
    with Study.open(tmp_path / "h") as study:
        place, city = study.codebook().codes
        assert (place.id, place.is_codable, place.color, city.id, city.parent) == \
            ("place", False, "#AABBCC", "város", "place")
        (span,) = study.span_codings()
        assert (span.text, span.coder, span.code_id) == ("Pécs", "Ana", "város")
        (memo,) = study.memos()
        assert (memo.text, memo.coder, memo.span_id) == ("Why Pécs?", "Ana", span.id)
        (p01,) = study.participants()
        assert p01.attributes == {"age": "41"}
        assert study.segments()[0].participant_id == "P01"


def test_an_empty_source_comes_in_with_a_warning_the_summary_and_the_study_keep(tmp_path, capsys):
    from tests.conftest import write

    empty = HANDMADE.replace("<PlainTextContent>P01: I live in Pécs now.</PlainTextContent>",
                             "<PlainTextContent>P01: I live in Pécs now.</PlainTextContent>", 1).replace(
        " </Sources>", ' <TextSource guid="00000000-0000-0000-0000-0000000000b2" name="blank">'
                       "<PlainTextContent>  </PlainTextContent></TextSource>\n </Sources>", 1)
    path = write(tmp_path / "hand.qde", empty)
    assert main(["init", str(tmp_path / "h"), "--from", str(path)]) == 0
    out = capsys.readouterr().out
    assert "warning: blank: the source has no text in the project file" in out
    assert out.count("warning:") == 1  # the source with text has speaker labels: nothing to say
    with Study.open(tmp_path / "h") as study:
        by_name = {t.name: t for t in study.transcripts()}
        assert by_name["blank"].warnings == (EMPTY_SOURCE,)
        assert by_name["inline"].warnings == ()
        assert not [s for s in study.segments() if s.transcript_id == by_name["blank"].id]
