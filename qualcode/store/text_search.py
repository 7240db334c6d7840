"""Where a query occurs in a transcript, found fast and exactly as the regular expression would.

The meaning of a search is :func:`qualcode.store.search.search_pattern`: the query's words
literally, any run of white space between them, case-insensitive unless asked, optionally
whole words. Running that expression over every transcript of a 50,000-segment study (8 MB)
took 100 ms of CPU before a single hit was built: ``re.IGNORECASE`` has no fast scan for a
literal. Here an ASCII query is run as a case-sensitive expression (which has one) over a
case-folded copy of each transcript, a transcript lacking any of the words is skipped with
``in`` (C speed), and the folded copy keeps every offset, so the hits are the expression's,
character for character.

Folding is exact for an ASCII query: besides ``str.lower``, exactly four other characters
match an ASCII letter under ``re.IGNORECASE`` (İ ı → i, ſ → s, the Kelvin sign → k; a test
scans all of Unicode for more), and each is replaced by its letter. A query with a word
outside ASCII, and a case-sensitive one, is run as the expression itself (still exact; the
case-insensitive kind about 100 ms slower on 50,000 segments).
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


class SearchableText:
    """A transcript's plain text and its :func:`ascii_fold`, made when first needed and then
    kept (with the text, until the study changes: ``Search._texts``), so a search folds no text twice."""

    __slots__ = ("_folded", "plain")

    def __init__(self, plain: str) -> None:
        self.plain = plain
        self._folded: str | None | bool = False  # False: not folded yet (None: cannot be)

    @property
    def folded(self) -> str | None:
        if self._folded is False:
            self._folded = ascii_fold(self.plain)
        return self._folded  # type: ignore[return-value]


def find_spans(text: str | SearchableText, words: Sequence[str], pattern: re.Pattern,
               folded: re.Pattern | None) -> list[tuple[int, int]]:
    """(start, end) of every match of ``pattern`` in ``text``, as ``pattern.finditer``
    gives them (left to right, never overlapping). ``folded``: the same expression
    case-sensitive over the query lower-cased (:func:`folded_pattern`), run on the folded
    text instead where it gives the same matches (an ASCII query)."""
    if isinstance(text, str):
        text = SearchableText(text)
    plain = text.plain
    if folded is not None:
        haystack = text.folded
        if haystack is not None:
            if any(w not in haystack for w in words):
                return []  # a word of the query is nowhere in this transcript
            return [m.span() for m in folded.finditer(haystack)]
    return [m.span() for m in pattern.finditer(plain) if m.end() > m.start()]


def folded_pattern(words: Sequence[str], whole_words: bool) -> re.Pattern | None:
    """The case-insensitive search of ``words`` as a case-sensitive expression over folded
    text, or None when the query is not ASCII. Why it matches at the same places: each
    literal character matches exactly where its fold does (:data:`ASCII_LOOKALIKES`), and
    folding changes neither white space nor what is a word character (``\\w``), so
    ``\\s+`` and the whole-word guards see the same text (a test checks both over Unicode)."""
    if not all(w.isascii() for w in words):
        return None
    body = r"\s+".join(re.escape(w.lower()) for w in words)
    return re.compile(rf"(?<!\w){body}(?!\w)" if whole_words else body)


class CodeableText:
    """Where the study's codeable segments lie (participants' turns, not interviewer or
    procedural lines): three arrays sorted by transcript and start, so whether each of
    thousands of hits touches one is one vectorised search (segments never overlap)."""

    def __init__(self, transcript_ids: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        self.transcript_ids = np.asarray(transcript_ids, dtype=np.int64)
        self.starts = np.asarray(starts, dtype=np.int64)
        self._end_keys = self.transcript_ids * _SPAN + np.asarray(ends, dtype=np.int64)

    def touches(self, transcript_ids: Sequence[int], starts: Sequence[int], ends: Sequence[int]) -> np.ndarray:
        """For each span, whether it overlaps a codeable segment of its transcript: the
        first one ending after the span's start decides."""
        tids = np.asarray(transcript_ids, dtype=np.int64)
        starts_ = np.asarray(starts, dtype=np.int64)
        k = np.searchsorted(self._end_keys, tids * _SPAN + starts_, side="right")
        inside = k < len(self._end_keys)
        out = np.zeros(len(tids), dtype=bool)
        kk = k[inside]
        out[inside] = (self.transcript_ids[kk] == tids[inside]) & (self.starts[kk] < np.asarray(ends, dtype=np.int64)[inside])
        return out


_SPAN = 1 << 40  # larger than any transcript: (transcript, offset) as one sortable number


def home_segment(rows: Sequence[tuple[int, int, int]], start: int) -> int | None:
    """The segment (id, start, end; in order of start) holding offset ``start``; None
    between segments (a speaker's label)."""
    i = max(bisect_right([r[1] for r in rows], start) - 1, 0)
    if rows and rows[i][1] <= start < rows[i][2]:
        return rows[i][0]
    return None


__all__ = ["ASCII_LOOKALIKES", "CodeableText", "SearchableText", "ascii_fold", "find_spans", "folded_pattern",
           "home_segment"]
