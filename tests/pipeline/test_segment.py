from __future__ import annotations

import re

from qualcode.io.transcripts import read_transcript
from qualcode.pipeline.segment import segment_transcript, split_span
from tests.conftest import EXAMPLE


def test_short_turn_is_one_segment_without_outer_space():
    text = "  Hello there.  "
    assert split_span(text, 0, len(text), 80) == [(2, 14)]


def test_long_turn_split_at_sentences_within_limit():
    sentences = [f"Sentence number {i} has exactly seven words." for i in range(10)]
    text = " ".join(sentences)
    spans = split_span(text, 0, len(text), 15)
    assert [len(text[a:b].split()) for a, b in spans] == [14] * 5
    assert all(text[a:b].endswith("words.") for a, b in spans)


def test_run_on_sentence_cut_between_words():
    text = " ".join(f"w{i}" for i in range(25))
    spans = split_span(text, 0, len(text), 10)
    assert [text[a:b].split()[0] for a, b in spans] == ["w0", "w10", "w20"]


def test_offsets_round_trip_on_every_example_segment():
    for path in sorted((EXAMPLE / "transcripts").iterdir()):
        t = read_transcript(path)
        spans = segment_transcript(t, max_words=40)
        assert spans
        for sp in spans:
            piece = t.plain_text[sp.start:sp.end]
            assert piece == piece.strip() and len(re.findall(r"\S+", piece)) <= 40
            turn = t.turns[sp.turn_index]
            assert turn.start <= sp.start and sp.end <= turn.end


def test_offsets_round_trip_on_shared_transcripts(shared):
    for path in sorted((shared / "data" / "transcripts").glob("*.txt")):
        t = read_transcript(path)
        text = path.read_text(encoding="utf-8")
        covered = 0
        for sp in segment_transcript(t, 80):
            assert text[sp.start:sp.end] == t.plain_text[sp.start:sp.end]
            covered += len(text[sp.start:sp.end].split())
        assert covered == sum(len(turn.text.split()) for turn in t.turns)  # no word lost
