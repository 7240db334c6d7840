"""Speaker turns → coding segments with exact character offsets.

A turn of at most ``max_words`` words is one segment. A longer turn is cut at
sentence ends (or paragraph breaks) into segments of at most ``max_words`` words;
a single sentence longer than that is cut between words. Every span is a slice of the
transcript's plain text with no leading or trailing white space, so
``plain_text[start:end] == text`` always holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

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


def _word_runs(plain_text: str, a: int, b: int, max_words: int) -> Iterator[tuple[int, int, int]]:
    """(start, end, words) of consecutive runs of at most ``max_words`` words in ``[a, b)``.

    Streams the words: a turn of a million words is never held as a million matches."""
    first, last, n = -1, -1, 0
    for m in _WORD.finditer(plain_text, a, b):
        if n == max_words:
            yield first, last, n
            n = 0
        if n == 0:
            first = m.start()
        last, n = m.end(), n + 1
    if n:
        yield first, last, n


def split_span(plain_text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    """Cut ``plain_text[start:end]`` into spans of at most ``max_words`` words."""
    head = list(islice(_WORD.finditer(plain_text, start, end), max_words + 1))
    if not head:
        return []
    if len(head) <= max_words:
        return [(head[0].start(), head[-1].end())]
    pieces: list[tuple[int, int, int]] = []  # (start, end, words)
    for a, b in _sentences(plain_text[start:end], start):
        runs = list(_word_runs(plain_text, a, b, max_words))
        if len(runs) == 1:
            pieces.append((a, b, runs[0][2]))
        else:
            pieces.extend(runs)
    out: list[tuple[int, int]] = []
    cur_start, cur_end, cur_words = None, None, 0
    for a, b, n in pieces:
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
