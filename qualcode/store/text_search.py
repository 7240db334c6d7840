"""Where a query occurs in a transcript, found fast and exactly as the regular expression would.

The meaning of a search is :func:`qualcode.store.search.search_pattern`: the query's words
literally, any run of white space between them, case-insensitive unless asked, optionally
whole words. Running that expression over every transcript of a 50,000-segment study (8 MB)
took 100 ms of CPU before a single hit was built: ``re.IGNORECASE`` has no fast scan for a
literal. Here the first word is looked for with ``str.find`` (C speed) in a case-folded copy
of the text, and each place found is confirmed with the expression itself
(``pattern.match``), so the hits are the expression's, character for character.

Folding is exact for a first word in ASCII: besides ``str.lower``, exactly four other
characters match an ASCII letter under ``re.IGNORECASE`` (İ ı → i, ſ → s, the Kelvin sign
→ k; a test scans all of Unicode for more), and each is replaced by its letter, so the folded
copy keeps every offset. A query whose first word is not ASCII is searched with the
expression directly (still exact, only slower).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

import numpy as np

# the characters outside ASCII that re.IGNORECASE matches to an ASCII letter
ASCII_LOOKALIKES = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}


def ascii_fold(text: str) -> str | None:
    """``text`` lower-cased so that a position matches an ASCII word under
    ``re.IGNORECASE`` exactly where the folded text holds the word lower-cased; every
    offset kept. None if the text would change length (then search it with the expression)."""
    if text.isascii():
        return text.lower()
    for char, letter in ASCII_LOOKALIKES.items():
        if char in text:
            text = text.replace(char, letter)
    folded = text.lower()
    return folded if len(folded) == len(text) else None


def find_spans(plain: str, words: Sequence[str], pattern: re.Pattern, case_sensitive: bool,
               whole_words: bool) -> list[tuple[int, int]]:
    """(start, end) of every match of ``pattern`` (built from ``words``) in ``plain``, as
    ``pattern.finditer`` gives them: left to right, never overlapping."""
    first = words[0]
    if case_sensitive:
        haystack, needle = plain, first
    elif first.isascii():
        haystack, needle = ascii_fold(plain), first.lower()
    else:
        haystack = None
    if haystack is None:
        return [(m.start(), m.end()) for m in pattern.finditer(plain) if m.end() > m.start()]
    if len(words) > 1 and any((w if case_sensitive else w.lower()) not in haystack for w in words[1:] if w.isascii()):
        return []  # a word of the phrase is nowhere in this transcript
    simple = len(words) == 1 and not whole_words  # the word itself is the whole match
    spans: list[tuple[int, int]] = []
    last_end = 0
    pos = haystack.find(needle)
    while pos >= 0:
        if simple:
            spans.append((pos, pos + len(needle)))
            pos = haystack.find(needle, pos + len(needle))
            continue
        if pos >= last_end:
            m = pattern.match(plain, pos)
            if m is not None and m.end() > m.start():
                spans.append((m.start(), m.end()))
                last_end = m.end()
        pos = haystack.find(needle, max(pos + 1, last_end))
    return spans


class Layout:
    """A transcript's segments as sorted arrays: which segment holds an offset, and whether
    a span touches a codeable one (participants' turns, not interviewer or procedural lines)."""

    def __init__(self, rows: Sequence[tuple[int, int, int, bool]]) -> None:
        """``rows``: (segment id, start, end, codeable), in order of start."""
        self.ids = [r[0] for r in rows]
        self.starts = [r[1] for r in rows]
        self.ends = [r[2] for r in rows]
        cod = [(r[1], r[2]) for r in rows if r[3]]
        self._cod_starts = np.array([c[0] for c in cod], dtype=np.int64)
        self._cod_ends = np.array([c[1] for c in cod], dtype=np.int64)

    def home(self, start: int) -> int | None:
        """The segment holding offset ``start`` (None between segments: a speaker's label)."""
        i = max(bisect_right(self.starts, start) - 1, 0)
        if self.ids and self.starts[i] <= start < self.ends[i]:
            return self.ids[i]
        return None

    def codeable(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """For each span, whether it overlaps a codeable segment (segments never overlap, so
        the first codeable one ending after the span's start decides)."""
        if not len(self._cod_starts):
            return np.zeros(len(starts), dtype=bool)
        k = np.searchsorted(self._cod_ends, starts, side="right")
        inside = k < len(self._cod_starts)
        out = np.zeros(len(starts), dtype=bool)
        out[inside] = self._cod_starts[k[inside]] < ends[inside]
        return out


__all__ = ["ASCII_LOOKALIKES", "Layout", "ascii_fold", "find_spans"]
