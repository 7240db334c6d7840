"""Reading a codebook back into the same study: matched by GUID, id, name; no coding orphaned."""

from __future__ import annotations

from qualcode.cli import main
from qualcode.io.refi import codebook_qdc
from qualcode.io.transcripts import read_transcript
from qualcode.records import Code, Codebook
from qualcode.store import Study
from qualcode.store.codebook_import import coding_counts
from tests.conftest import write

TEXT = "P01: I ring at eight.\n\nP01: The budget was cut.\n\nP01: Yellow buses.\n"


def coded(tmp_path, tiny_codebook):
    codebook = Codebook("Tiny", tiny_codebook.codes + (Code("sárga", "Sárga", "Yellow things.", color="#ffcc00"),))
    study = Study.init(tmp_path / "cb", codebook=codebook)
    study.import_transcripts([read_transcript(write(tmp_path / "t.txt", TEXT))])
    a, b, c = study.segments()
    study.decide(a.id, "phones", "alice")
    study.decide(a.id, "access", "bob")
    study.decide(b.id, "money", "alice")
    study.decide(c.id, "sárga", "alice")
    study.set_final(a.id, "access", True, "carol")
    return study


def test_reading_the_studys_own_qdc_back_changes_no_count(tmp_path, tiny_codebook, capsys):
    study = coded(tmp_path, tiny_codebook)
    before, version = coding_counts(study), study.codebook_version()
    study.close()
    qdc = tmp_path / "codebook.qdc"
    assert main(["export", str(tmp_path / "cb"), "--out", str(qdc)]) == 0
    assert main(["codebook", str(tmp_path / "cb"), str(qdc)]) == 0
    out = capsys.readouterr().out
    assert "matched 4 code(s) (4 by GUID); 0 changed, 0 new, 0 removed, 0 mapped, 0 would lose codings" in out
    with Study.open(tmp_path / "cb") as again:
        assert coding_counts(again) == before and again.codebook_version() == version
        assert again.codebook().get("sárga").color == "#ffcc00"  # the id keeps its letters


def test_renamed_in_another_tool_matches_by_guid_and_keeps_the_codings(tmp_path, tiny_codebook, capsys):
    study = coded(tmp_path, tiny_codebook)
    before = coding_counts(study)
    xml = codebook_qdc(study.codebook(), scope="cb").decode().replace('name="Money"', 'name="Funding"')
    study.close()
    assert main(["codebook", str(tmp_path / "cb"), str(write(tmp_path / "edited.qdc", xml))]) == 0
    assert "changed money: name" in capsys.readouterr().out
    with Study.open(tmp_path / "cb") as again:
        assert again.codebook().get("money").name == "Funding" and coding_counts(again) == before


def test_a_code_with_codings_left_out_is_refused_unless_mapped(tmp_path, tiny_codebook, capsys):
    study = coded(tmp_path, tiny_codebook)
    version = study.codebook_version()
    xml = codebook_qdc(study.codebook(), scope="cb").decode()
    study.close()
    start = xml.index("<Code", xml.index('name="Money"') - 80)
    end = xml.index("</Code>", start) + len("</Code>")
    path = write(tmp_path / "no-money.qdc", xml[:start] + xml[end:])
    assert main(["codebook", str(tmp_path / "cb"), str(path)]) == 2
    captured = capsys.readouterr()
    assert "money (1)" in captured.err and "--map money=NEW_ID" in captured.out
    with Study.open(tmp_path / "cb") as again:
        assert again.codebook_version() == version  # nothing stored
    assert main(["codebook", str(tmp_path / "cb"), str(path), "--map", "money=access"]) == 0
    with Study.open(tmp_path / "cb") as again:
        counts = coding_counts(again)
        assert "money" not in again.codebook().ids() and counts["access"] == 3  # bob, final, and alice's money
