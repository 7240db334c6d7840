"""Quotable text: whole sentences of a useful length, the most representative first.

A segment is a speaker turn (or part of one); quoting it whole gives fragments such as
"-- within the process of commissioning --" or a 300-word ramble. A quote here is one
whole sentence, or two consecutive ones, of :data:`MIN_WORDS`–:data:`MAX_WORDS` words,
that starts with a capital letter or digit and ends with ``.``, ``!`` or ``?``. Among a
segment's quotable sentences the one sharing most words with the code's name,
definition, include rules and examples is "the most representative" (the framework
matrix's machine draft uses the same choice).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from qualcode.records import Code

MIN_WORDS = 8
MAX_WORDS = 60

_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+[\"'”’)\]]*|$)")
_OPEN = "\"'“‘(["
_STOP = frozenset("""about above after again against also because been before being between both
could does doing down during each from further have having here into just more most much only other
over same should some such than that their them then there these they this those through under until
very were what when where which while with would your yours about things thing really""".split())


@dataclass(frozen=True)
class Sentence:
    """A quotable span of a segment's text: offsets relative to the segment's start."""

    start: int
    end: int
    text: str
    pair: bool = False  # two consecutive sentences

    @property
    def words(self) -> int:
        return len(self.text.split())


def _stem(word: str) -> str:
    return word[:5]


def keywords(code: Code) -> frozenset[str]:
    """The content words (stemmed to five letters) describing a code."""
    text = " ".join([code.name, code.definition, *code.include, *code.examples])
    return frozenset(_stem(w) for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in _STOP)


def sentences(text: str) -> list[Sentence]:
    """Every sentence of ``text`` with its offsets (leading/trailing space trimmed)."""
    out = []
    for m in _SENTENCE.finditer(text):
        raw = m.group(0)
        lead = len(raw) - len(raw.lstrip())
        body = raw.strip()
        if body:
            start = m.start() + lead
            out.append(Sentence(start, start + len(body), body))
    return out


def is_whole(s: Sentence) -> bool:
    body = s.text.lstrip(_OPEN)
    if not body or not (body[0].isupper() or body[0].isdigit()):
        return False
    return bool(re.search(r"[.!?][\"'”’)\]]*$", s.text))


@lru_cache(maxsize=65536)  # a segment is read once per code of its theme and once per matrix cell
def quotable(text: str) -> tuple[Sentence, ...]:
    """Whole sentences (or two consecutive whole sentences) of MIN_WORDS–MAX_WORDS words."""
    found = sentences(text)
    out = [s for s in found if is_whole(s) and MIN_WORDS <= s.words <= MAX_WORDS]
    for a, b in zip(found, found[1:], strict=False):
        if is_whole(a) and is_whole(b) and a.words < MIN_WORDS <= a.words + b.words <= MAX_WORDS:
            out.append(Sentence(a.start, b.end, text[a.start:b.end], pair=True))
    return tuple(out)


@lru_cache(maxsize=65536)
def _stems(sentence: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in re.findall(r"[a-z]{4,}", sentence.lower()))


def overlap(sentence: str, words: frozenset[str]) -> int:
    return len(_stems(sentence) & words)


def best_sentence(text: str, words: frozenset[str]) -> tuple[Sentence, int] | None:
    """The most representative quotable sentence and its keyword overlap, or None."""
    ranked = sorted(((s, overlap(s.text, words)) for s in quotable(text)),
                    key=lambda x: (-x[1], x[0].pair, abs(x[0].words - 25), x[0].start))
    return ranked[0] if ranked else None
