from __future__ import annotations

import pytest

from qualcode.errors import InputError
from qualcode.io.transcripts import parse_speaker_text, read_transcript
from tests.conftest import write


def check_offsets(t) -> None:  # noqa: ANN001
    for turn in t.turns:
        assert t.plain_text[turn.start:turn.end] == turn.text


def test_txt_speaker_turns_timestamps_and_paragraphs(tmp_path):
    text = ("[00:00:05] Interviewer: How are you?\n\n"
            "P01 [00:00:09]: Fine, thanks.\nStill fine.\n\n"
            "A second paragraph of P01.\n\n"
            "[The witness withdrew]\n\n"
            "Interviewer (01:02): Thanks.\n")
    t = read_transcript(write(tmp_path / "a.txt", text))
    assert [x.speaker for x in t.turns] == ["Interviewer", "P01", None, "Interviewer"]
    assert t.turns[0].start_time == 5.0 and t.turns[1].start_time == 9.0 and t.turns[3].start_time == 62.0
    assert t.turns[1].text == "Fine, thanks.\nStill fine.\n\nA second paragraph of P01."
    assert t.turns[2].procedural and t.turns[2].text == "[The witness withdrew]"
    assert t.plain_text == text
    check_offsets(t)


def test_colon_inside_speech_is_text(tmp_path):
    text = ("Dr Jane Smith: The ratio was 3:1 and we met at 10:30: it was late.\n"
            "What I said was this: we need more nurses.\n")
    t = read_transcript(write(tmp_path / "c.txt", text))
    assert len(t.turns) == 1
    assert t.turns[0].speaker == "Dr Jane Smith"
    assert t.turns[0].text.endswith("What I said was this: we need more nurses.")
    check_offsets(t)


def test_bom_crlf_and_windows_1252(tmp_path):
    bom = read_transcript(write(tmp_path / "bom.txt", "\ufeffP01: caf\u00e9\r\nmore\r\n"))
    assert bom.plain_text == "P01: caf\u00e9\nmore\n"  # BOM dropped, CRLF → LF
    assert bom.turns[0].text == "caf\u00e9\nmore"
    cp = read_transcript(write(tmp_path / "cp.txt", "P01: \u201cquoted\u201d \u2013 \u00a35\n", "cp1252"))
    assert cp.turns[0].text == "\u201cquoted\u201d \u2013 \u00a35"
    check_offsets(bom)
    check_offsets(cp)


def test_text_without_speakers_is_one_turn_per_paragraph():
    turns = parse_speaker_text("First paragraph\nwrapped.\n\nSecond one.\n")
    assert [t.text for t in turns] == ["First paragraph\nwrapped.", "Second one."]
    assert all(t.speaker is None for t in turns)


def test_vtt_voices_merge_consecutive_cues_and_overlaps(tmp_path):
    vtt = """WEBVTT

NOTE a comment

1
00:00:01.000 --> 00:00:03.000
<v Interviewer>How did it go?

2
00:00:03.500 --> 00:00:05.000
<v P01>It went <i>well</i>.

3
00:00:05.000 --> 00:00:07.000
<v P01>Really well.

4
00:00:06.500 --> 00:00:08.000
<v Interviewer>Good.

5
00:00:06.000 --> 00:00:06.400
<v P01>Very.
"""
    t = read_transcript(write(tmp_path / "x.vtt", vtt))
    # cue 5 starts before cue 4: ordered by start time, it joins P01's turn
    assert [(x.speaker, x.text) for x in t.turns] == [
        ("Interviewer", "How did it go?"), ("P01", "It went well. Really well. Very."), ("Interviewer", "Good.")]
    assert t.turns[1].start_time == 3.5 and t.turns[1].end_time == 7.0
    check_offsets(t)
    assert "[00:00:04] P01: It went well." in t.plain_text


def test_srt_with_name_labels(tmp_path):
    srt = "1\n00:00:01,000 --> 00:00:02,000\nInterviewer: Hello.\n\n2\n00:00:02,500 --> 00:00:04,000\nS01: Hi there.\n"
    t = read_transcript(write(tmp_path / "x.srt", srt))
    assert [(x.speaker, x.text, x.start_time) for x in t.turns] == [
        ("Interviewer", "Hello.", 1.0), ("S01", "Hi there.", 2.5)]
    check_offsets(t)


def test_csv_with_and_without_header(tmp_path):
    t = read_transcript(write(tmp_path / "a.csv", "speaker,text,start\nInterviewer,Hi,00:00:01\nP02,\"Well, yes\",5\n"))
    assert [(x.speaker, x.text, x.start_time) for x in t.turns] == [("Interviewer", "Hi", 1.0), ("P02", "Well, yes", 5.0)]
    t2 = read_transcript(write(tmp_path / "b.csv", "Interviewer,Hi\nP02,Yes\n"))
    assert [x.speaker for x in t2.turns] == ["Interviewer", "P02"]
    with pytest.raises(InputError) as err:
        read_transcript(write(tmp_path / "c.csv", "speaker,text,start\nP01,Hi,soon\n"))
    assert "c.csv:2" in str(err.value) and "start" in str(err.value)


def test_docx(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("Interviewer: Tell me about the practice.")
    document.add_paragraph("P01: It is busy: very busy.")
    document.add_paragraph("Still P01 here.")
    document.save(tmp_path / "i.docx")
    t = read_transcript(tmp_path / "i.docx")
    assert [(x.speaker, x.text) for x in t.turns] == [
        ("Interviewer", "Tell me about the practice."), ("P01", "It is busy: very busy.\nStill P01 here.")]
    check_offsets(t)


@pytest.mark.parametrize("name,content,expected", [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b"  \n\n ", "empty"),
    ("bin.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary"),
    ("bad.docx", b"not a zip file at all", "Word .docx"),
    ("bad.vtt", b"00:00:01.000 --> 00:00:02.000\nhello\n", "WEBVTT"),
    ("notes.pdf", b"%PDF-1.4", "ending in"),
])
def test_bad_files_name_the_file_and_what_was_expected(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        read_transcript(path)
    assert str(path) in str(err.value) and expected in str(err.value)
    assert "\n" not in str(err.value)


def test_shared_hearing_transcripts(shared):
    folder = shared / "data" / "transcripts"
    expected = {"dixon": {"Dr Jennifer Dixon", "Lead Inquiry", "The Witness", "Lady Hallett"},
                "sherwood": {"The Witness"}}
    for path in sorted(folder.glob("*.txt")):
        t = read_transcript(path)
        assert t.plain_text == path.read_text(encoding="utf-8")
        check_offsets(t)
        words = sum(len(x.text.split()) for x in t.turns)
        assert words > 4000
        for key, names in expected.items():
            if key in path.name:
                assert names <= set(t.speakers())
        assert any(x.procedural for x in t.turns)
