"""Speaker turns → coding segments with exact character offsets.

A turn of at most ``max_words`` words is one segment. A longer turn is cut at
sentence ends (or paragraph breaks) into segments of at most ``max_words`` words;
a single sentence longer than that is cut between words. Every span is a slice of the
transcript's plain text with no leading or trailing white space, so
``plain_text[start:end] == text`` always holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qualcode.records import Transcript

# A sentence ends after . ! ? or … (with closing quotes/brackets) before white space,
# or at a blank line.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*(?=\s)|\n\s*\n")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class SegmentSpan:
    turn_index: int
    start: int
    end: int


def _sentences(text: str, offset: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    last = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((last, match.end()))
        last = match.end()
    spans.append((last, len(text)))
    out = []
    for a, b in spans:
        piece = text[a:b]
        stripped = piece.strip()
        if stripped:
            a2 = a + (len(piece) - len(piece.lstrip()))
            out.append((offset + a2, offset + a2 + len(stripped)))
    return out


def split_span(plain_text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    """Cut ``plain_text[start:end]`` into spans of at most ``max_words`` words."""
    text = plain_text[start:end]
    words = list(_WORD.finditer(text))
    if not words:
        return []
    if len(words) <= max_words:
        return [(start + words[0].start(), start + words[-1].end())]
    pieces: list[tuple[int, int]] = []
    for a, b in _sentences(text, start):
        sentence_words = list(_WORD.finditer(plain_text, a, b))
        if len(sentence_words) <= max_words:
            pieces.append((a, b))
            continue
        for i in range(0, len(sentence_words), max_words):
            chunk = sentence_words[i:i + max_words]
            pieces.append((chunk[0].start(), chunk[-1].end()))
    out: list[tuple[int, int]] = []
    cur_start, cur_end, cur_words = None, None, 0
    for a, b in pieces:
        n = len(_WORD.findall(plain_text, a, b))
        if cur_start is not None and cur_words + n <= max_words:
            cur_end, cur_words = b, cur_words + n
        else:
            if cur_start is not None:
                out.append((cur_start, cur_end))
            cur_start, cur_end, cur_words = a, b, n
    if cur_start is not None:
        out.append((cur_start, cur_end))
    return out


def segment_transcript(transcript: Transcript, max_words: int = 80) -> list[SegmentSpan]:
    """All segments of a transcript, procedural turns included (they are marked later)."""
    if max_words < 1:
        raise ValueError("max_words must be at least 1")
    spans: list[SegmentSpan] = []
    for index, turn in enumerate(transcript.turns):
        for a, b in split_span(transcript.plain_text, turn.start, turn.end, max_words):
            spans.append(SegmentSpan(index, a, b))
    return spans
