"""Fast text search finds exactly what the regular expression finds: case, phrases, overlaps,
non-ASCII text, metacharacters typed by a user; paging and counts; both databases."""

from __future__ import annotations

import bisect
import re
import sys

import pytest

from qualcode.io.transcripts import read_transcript
from qualcode.store.search import search_pattern
from qualcode.store.text_search import (
    ASCII_LOOKALIKES,
    CodeableText,
    SearchableText,
    ascii_fold,
    find_spans,
    folded_pattern,
    home_segment,
)
from tests.conftest import write

TEXTS = [
    "P01: The phone\nis  always engaged. THE PHONE IS. the\tphone\n\nis",
    "banana bananas ananas aaaa abab a.b axb (x) $5 c++ [1] \\d a*b 50% so-called",
    "Zoë zoë ZOË école ÉCOLE Straße STRASSE İstanbul istanbul ıstanbul \u212aelvin kelvin ſeat seat",
    "ΟΔΟΣ οδος Σίσυφος σίσυφος, naïve NAÏVE café\u00a0au lait; ring-ring bring ringing Ring",
]
QUERIES = ["the phone is", "phone", "PHONE", "ana", "aa", "ab", "a.b", "(x)", "$5", "c++", "[1]", "\\d",
           "a*b", "50%", "so-called", "zoë", "ÉCOLE", "straße", "strasse", "istanbul", "kelvin", "seat",
           "οδος", "σίσυφος", "naïve", "café au lait", "ring", "ring ring", "is", "e", "the\tphone"]


def reference(plain: str, query: str, case_sensitive: bool, whole_words: bool) -> list[tuple[int, int]]:
    """What search did before: the expression run over the whole text."""
    pattern = search_pattern(query, case_sensitive, whole_words)
    return [m.span() for m in pattern.finditer(plain) if m.end() > m.start()]


def fast(plain: str, query: str, case_sensitive: bool, whole_words: bool) -> list[tuple[int, int]]:
    words = [w.lower() for w in query.split()]
    folded = None if case_sensitive else folded_pattern(words, whole_words)
    return find_spans(plain, words, search_pattern(query, case_sensitive, whole_words), folded)


@pytest.mark.parametrize("case_sensitive", [False, True])
@pytest.mark.parametrize("whole_words", [False, True])
def test_find_spans_equals_the_expression_on_every_text_and_query(case_sensitive, whole_words):
    for plain in TEXTS:
        for query in QUERIES:
            assert fast(plain, query, case_sensitive, whole_words) == reference(plain, query, case_sensitive, whole_words), (
                plain, query)


def test_the_awkward_cases_by_value():
    a = TEXTS[1].index("aaaa")
    assert fast(TEXTS[1], "aa", False, False) == [(a, a + 2), (a + 2, a + 4)]  # "aaaa": two hits, not three
    assert [a for a, _ in fast(TEXTS[1], "ana", False, False)] == [1, 8, 15]  # never overlapping ("banana": 1, not 3)
    b = TEXTS[1].index("abab")
    assert fast(TEXTS[1], "ab", False, False) == [(b, b + 2), (b + 2, b + 4)]  # adjacent hits both found
    assert [TEXTS[1][a:b] for a, b in fast(TEXTS[1], "a.b", False, False)] == ["a.b"]  # "." is a dot, not any
    assert [TEXTS[2][a:b] for a, b in fast(TEXTS[2], "kelvin", False, False)] == ["\u212aelvin", "kelvin"]
    assert [TEXTS[2][a:b] for a, b in fast(TEXTS[2], "istanbul", False, False)] == ["İstanbul", "istanbul", "ıstanbul"]
    assert [TEXTS[2][a:b] for a, b in fast(TEXTS[2], "seat", False, False)] == ["ſeat", "seat"]
    assert [TEXTS[0][a:b] for a, b in fast(TEXTS[0], "the phone is", False, False)] == [
        "The phone\nis", "THE PHONE IS", "the\tphone\n\nis"]  # any run of white space between words
    assert [TEXTS[3][a:b] for a, b in fast(TEXTS[3], "ring", False, True)] == ["ring", "ring", "Ring"]


def test_exactly_four_characters_outside_ascii_match_an_ascii_letter():
    """The fold is exact only if re.IGNORECASE matches no other character to a-z."""
    letter = re.compile("[a-z]", re.IGNORECASE)
    found = {chr(cp): chr(cp).lower() if chr(cp).lower().isascii() else None for cp in range(128, sys.maxunicode + 1)
             if letter.fullmatch(chr(cp))}
    assert set(found) == set(ASCII_LOOKALIKES)
    for char, ascii_letter in ASCII_LOOKALIKES.items():
        assert re.fullmatch(ascii_letter, char, re.IGNORECASE)


def test_folding_keeps_white_space_and_word_characters():
    r"""The folded expression's \s+ and whole-word guards see what the real one sees."""
    space, word = re.compile(r"\s"), re.compile(r"\w")
    for cp in range(sys.maxunicode + 1):
        char = chr(cp)
        low = ASCII_LOOKALIKES.get(char, char).lower()
        if low != char and len(low) == 1:
            assert bool(space.fullmatch(char)) == bool(space.fullmatch(low)), hex(cp)
            assert bool(word.fullmatch(char)) == bool(word.fullmatch(low)), hex(cp)
    assert ascii_fold("İstanbul \u212a") == "istanbul k"
    assert len(ascii_fold("ΟΔΟΣ İ ſ")) == len("ΟΔΟΣ İ ſ")


def test_home_segment_and_codeable_text_as_before():
    rows = [(1, 5, 10), (2, 12, 20), (3, 20, 25)]
    assert [home_segment(rows, x) for x in (0, 5, 9, 10, 12, 20, 24, 25)] == [None, 1, 1, None, 2, 3, 3, None]
    assert home_segment([], 3) is None
    # transcript 7: segment 1 is the interviewer's (left out), 2 and 3 codeable; transcript 9: one
    layout = CodeableText([7, 7, 9], [12, 20, 0], [20, 25, 4])
    tids, starts, ends = [7, 7, 7, 7, 7, 7, 9, 9], [0, 6, 9, 10, 19, 25, 3, 4], [4, 8, 13, 12, 21, 30, 9, 9]
    assert layout.touches(tids, starts, ends).tolist() == [False, False, True, False, True, False, True, False]
    assert CodeableText([], [], []).touches([7], [0], [5]).tolist() == [False]


# ---------------------------------------------------------------- through the study, both databases
A = ("Interviewer: Do you ring the surgery? Ring ring.\n\n"
     "P01: I ring at eight. The phone\nis always engaged; ringing is hopeless.\n\n"
     "P01: Zoë said the ÉCOLE budget (50%) was cut.\n")
B = "P02: Ringing is hopeless, the Phone is engaged. a.b axb\n"


@pytest.fixture
def two(study, tmp_path):
    study.import_transcripts([read_transcript(write(tmp_path / "a.txt", A)),
                              read_transcript(write(tmp_path / "b.txt", B))])
    return study


def old_search(study, query: str, case_sensitive: bool = False, whole_words: bool = False) -> list[tuple]:
    """The search before this change, written out: the expression over each transcript, a
    hit's home the segment holding its start, codeable if it touches a codeable segment."""
    pattern = search_pattern(query, case_sensitive, whole_words)
    out = []
    for t in sorted(study.transcripts(), key=lambda t: t.name):
        plain = study.plain_text(t.id)
        rows = [(s.id, s.start, s.end, not s.is_interviewer) for s in study.segments(transcript_id=t.id)]  # or procedural
        starts = [r[1] for r in rows]
        for m in pattern.finditer(plain):
            i = max(bisect.bisect_right(starts, m.start()) - 1, 0)
            home = rows[i][0] if rows and rows[i][1] <= m.start() < rows[i][2] else None
            codeable = any(r[1] < m.end() and r[2] > m.start() and r[3] for r in rows[i:])
            out.append((t.name, m.start(), m.end(), m.group(), home, codeable))
    return out


@pytest.mark.parametrize("query", ["ring", "RING", "the phone is", "zoë", "école", "(50%)", "a.b", "p01", "is"])
@pytest.mark.parametrize("whole_words", [False, True])
def test_search_text_and_pages_equal_the_old_search(two, query, whole_words):
    want = old_search(two, query, whole_words=whole_words)
    hits = two.search_text(query, whole_words=whole_words)
    assert [(h.transcript, h.start, h.end, h.text, h.segment_id, h.codeable) for h in hits] == want
    for h in hits:
        assert two.plain_text(h.transcript_id)[h.start:h.end] == h.text
    page = two.search_page(query, whole_words=whole_words, offset=1, size=2)
    assert (page.total, page.codeable, page.transcripts, page.offset) == (
        len(want), sum(w[5] for w in want), len({w[0] for w in want}), 1)
    assert page.hits == tuple(hits[1:3])


def test_case_sensitive_search_equals_the_old_search(two):
    for query in ("Ring", "ring", "ÉCOLE", "école", "Phone"):
        assert [(h.transcript, h.start, h.end) for h in two.search_text(query, case_sensitive=True)] == [
            w[:3] for w in old_search(two, query, case_sensitive=True)]


def test_a_search_sees_a_change_made_after_it(two, tmp_path):
    assert two.search_page("hopeless").total == 2
    two.import_transcripts([read_transcript(write(tmp_path / "c.txt", "P03: Hopeless, says everyone.\n"))])
    page = two.search_page("hopeless")
    assert (page.total, page.transcripts, page.codeable) == (3, 3, 3)
    assert page.hits[-1].segment_id is not None and page.hits[-1].attribution.startswith("P03")
    with pytest.raises(Exception, match="offset"):
        two.search_page("hopeless", offset=-1)


def test_code_all_hits_codes_every_codeable_hit_in_one_audited_action(two):
    page = two.search_page("ring")  # 3 in the interviewer's question, 2 + 1 in answers
    assert (page.total, page.codeable) == (6, 3)
    before = len(two.audit_log())
    assert two.code_all_hits("ring", "phones", "alice") == 3
    log = two.audit_log()
    assert len(log) == before + 2 and log[0].action == "code_all_hits"  # alice made, then one row
    assert sorted((x.start, x.end) for x in two.span_codings()) == sorted(
        (h.start, h.end) for h in two.search_text("ring") if h.codeable)


def test_searches_read_the_text_once_until_a_change(two):
    from tests.store.test_review_index import Statements

    reads = lambda sent: sum("plain_text" in s for s in sent)  # noqa: E731 - the transcripts' text read
    with Statements(two) as first:
        two.search_page("ring")
    with Statements(two) as again:
        page = two.search_page("hopeless")
        two.search_page("RING", case_sensitive=True)
    assert reads(first.sent) == 1 and reads(again.sent) == 0  # kept, with the folded copies, until a change
    assert (page.total, page.transcripts) == (2, 2)
    two.decide(two.segments(codeable_only=True)[0].id, "phones", "alice")  # any change: read afresh
    with Statements(two) as after:
        assert two.search_page("hopeless").total == 2
    assert reads(after.sent) == 1


def test_searchable_text_folds_once_and_finds_as_the_plain_text():
    text = SearchableText("P01: İstanbul \u212aelvin RING ring")
    words, pattern = ["ring"], search_pattern("ring")
    assert find_spans(text, words, pattern, folded_pattern(words, False)) == \
        find_spans(text.plain, words, pattern, folded_pattern(words, False)) == [(21, 25), (26, 30)]
    assert text.folded == "p01: istanbul kelvin ring ring" and text.folded is text.folded


def test_a_hits_context_is_cut_between_words_not_inside_one():
    from qualcode.store.search import context

    plain = "alpha beta gamma delta NEEDLE epsilon zeta eta theta"
    start = plain.index("NEEDLE")
    before, after = context(plain, start, start + 6, chars=10)
    assert (before, after) == ("delta ", " epsilon")  # not "mma delta " / " epsilon ze"
    assert plain[:start].endswith(before) and plain[start + 6:].startswith(after)
    assert context(plain, start, start + 6, chars=100) == (plain[:start], plain[start + 6:])  # nothing to cut
    word = "x" * 30 + "NEEDLE" + "y" * 30  # one long word: cut at the limit
    assert context(word, 30, 36, chars=10) == ("x" * 10, "y" * 10)
