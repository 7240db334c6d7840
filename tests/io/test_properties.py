"""Property-based tests of every reader: any input is a correct result or one QualcodeError line.

Inputs are generated (hypothesis, derandomized so a CI run is reproducible) from the
pieces real files are made of — speaker labels, time stamps, cue lines, CSV quoting,
YAML keys and anchors, Word XML paragraphs and tables, REFI-QDA codes — mixed with
arbitrary text and bytes. A reader either returns a result whose offsets hold
(``plain_text[start:end] == text`` for every turn and segment) or raises a
:class:`QualcodeError` whose message is one line; any other exception is a bug.
``bench/reliability.py`` runs the same cases and counts them.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.errors import QualcodeError

_TMP = Path(tempfile.mkdtemp(prefix="qualcode-properties-"))
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'

# ----------------------------------------------------------------------------- pieces
_chars = st.text(alphabet=st.sampled_from(list("abcXYZ é’\t:;,.[]()<>-\"'&#*!|{}0123456789\n\r\ufeff")),
                 max_size=40)
_word = st.sampled_from(["Anna", "Interviewer", "INTERVIEWER", "Dr Dixon", "P07", "Q", "speaker 2", "Bob",
                         "i", "What I said", "x" * 60])
_time = st.one_of(st.sampled_from(["00:01:02", "01:02", "62.5", "00:00:01,500", "99:99:99", "inf", "nan",
                                   "1e400", "1:inf", "-5", "", "00:00:05.000"]),
                  st.from_regex(r"\d{1,12}(:\d{1,3}){0,3}([.,]\d{1,4})?", fullmatch=True))
_line = st.one_of(
    st.builds(lambda n, t: f"{n}: {t}", _word, _chars),
    st.builds(lambda ts, n, t: f"[{ts}] {n}: {t}", _time, _word, _chars),
    st.builds(lambda n, ts, t: f"{n} ({ts}): {t}", _word, _time, _chars),
    st.builds(lambda n: f"{n}:", _word), _word, st.builds(lambda t: f"[{t}]", _chars), _chars, st.just(""),
)
_text = st.lists(_line, max_size=12).map("\n".join)


def _encode(text: str, how: str) -> bytes:
    if how == "utf-16":
        return text.encode("utf-16")
    if how == "cp1252":
        return text.encode("cp1252", errors="replace")
    return ("\ufeff" if how == "bom" else "").encode() + text.encode("utf-8", errors="surrogatepass")


_encoded = st.builds(_encode, _text, st.sampled_from(["utf-8", "utf-8", "bom", "utf-16", "cp1252"]))
_bytes = st.one_of(_encoded, _encoded, _encoded, st.binary(max_size=200))

_good_time = st.builds(lambda h, m, sec, ms: f"{h:02d}:{m:02d}:{sec:02d}{ms}", st.integers(0, 99), st.integers(0, 59),
                       st.integers(0, 59), st.sampled_from(["", ",000", ".500", ",25"]))
_cue_time = st.one_of(_good_time, _good_time, _good_time, _good_time, _time)
_cue = st.builds(lambda a, b, voice, t: f"{a} --> {b}\n{voice}{t}", _cue_time, _cue_time,
                 st.sampled_from(["", "<v Anna>", "<v.loud Bob>", "Anna: ", "- "]), _chars)
_captions = st.lists(st.one_of(_cue, _cue, _cue, _line, st.just("NOTE a note"), st.just("1")), max_size=8)
_srt = st.builds(lambda cues, how: _encode("\n\n".join(cues), how), _captions, st.sampled_from(["utf-8", "bom"]))
_vtt = st.builds(lambda head, cues: _encode(head + "\n\n".join(cues), "utf-8"),
                 st.sampled_from(["WEBVTT\n\n", "WEBVTT - title\n\n", "", "webvtt\n"]), _captions)

_cell = st.one_of(_chars, _word, _time, st.sampled_from(['"quoted, cell"', '"broken', "1", "0", "", "inf",
                                                         "nan", "3.5", "yes"]))
_header = st.sampled_from(["speaker,text,start", "Speaker,Utterance,Time", "participant_id,group,role,site,speaker",
                           "unit,a,b", "unit,a,b,c", "code,definition", "id,text,access,money", "", "a"])
_csv_any = st.builds(lambda h, rows: _encode("\n".join([h] + [",".join(r) for r in rows]), "utf-8"),
                     _header, st.lists(st.lists(_cell, max_size=5), max_size=8))


def _csv_of(header: str, cells: list) -> st.SearchStrategy:
    """CSVs with ``header`` and rows of the right width (so that many of them are read)."""
    return st.builds(lambda rows: _encode("\n".join([header] + [",".join(r) for r in rows]), "utf-8"),
                     st.lists(st.tuples(*cells), min_size=1, max_size=14))


_ids = st.sampled_from(["access", "phones", "money", "a.b", "c-1", "access", "bad id", ""])
_name_cell = st.one_of(_word, _cell)
_csv_transcript = st.one_of(_csv_any, _csv_of("speaker,text,start", [_name_cell, _cell, _cell]),
                            _csv_of("Speaker,Utterance", [_name_cell, _cell]))
_csv_participants = st.one_of(_csv_any, _csv_of("participant_id,group,role,site,speaker",
                                                [st.sampled_from(["P1", "P2", "P3", "", "P1"]), _cell, _cell, _cell,
                                                 _name_cell]))
_digit = st.sampled_from(["1", "2", "3", "", "1.5", "x", "inf"])
_csv_table = st.one_of(_csv_any, _csv_of("unit,a,b", [_cell, _digit, _digit]))
_csv_codebook = st.one_of(_csv_any, _csv_of("code,definition", [st.one_of(_ids, _word), _cell]))
_bit = st.sampled_from(["0", "1", "1", "0", "", "2"])
_csv_gold = st.one_of(_csv_any, st.builds(
    lambda rows: _encode("\n".join(["id,text,access,money"] + [",".join(r) for r in rows]), "utf-8"),
    st.lists(st.tuples(st.sampled_from(["1", "2", "x"]), _cell, _bit, _bit), min_size=8, max_size=16)))


def _docx_bytes(blocks: list[str], raw: bytes | None, member: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(member, raw if raw is not None else
                   f"<w:document {W}><w:body>{''.join(blocks)}</w:body></w:document>")
    return buf.getvalue()


def _xml_text(t: str) -> str:
    return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_para = st.builds(lambda style, t: (f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else "<w:p>")
                  + f"<w:r><w:t>{_xml_text(t)}</w:t><w:br/><w:tab/></w:r></w:p>",
                  st.sampled_from(["", "", "Heading1", "Title", "Normal"]), _line)
_table = st.builds(lambda rows: "<w:tbl>" + "".join("<w:tr>" + "".join(f"<w:tc>{c}</w:tc>" for c in r) + "</w:tr>"
                                                    for r in rows) + "</w:tbl>",
                   st.lists(st.lists(_para, max_size=3), max_size=3))
_docx = st.one_of(
    st.builds(_docx_bytes, st.lists(st.one_of(_para, _para, _table, st.sampled_from(["<w:p>", "&#0;", "<x/>"])),
                                    max_size=8), st.none(), st.just("word/document.xml")),
    st.builds(_docx_bytes, st.just([]), st.binary(max_size=100), st.sampled_from(["word/document.xml", "other.xml"])),
    st.binary(max_size=200),
)

_yaml_piece = st.sampled_from(["name: X\n", "codes:\n", "  - id: a\n", "    definition: d\n", "    children:\n",
                               "      - id: b\n", "        definition: e\n", "    parent: a\n", "  - id: a\n",
                               "    name: N\n", "    include: [x, y]\n", "    examples: {a: 1}\n", "version: 2\n",
                               "version: x\n", "codes: &c\n", "    children: *c\n", "  - *c\n", "codes: [\n",
                               "    definition:\n", "    unknown: 1\n", "  - id: 'bad id'\n", "--- \n", "\t", ": "])
_code_tree = st.deferred(lambda: st.fixed_dictionaries(
    {"id": _ids, "definition": st.one_of(_chars, st.just("A definition."))},
    optional={"name": _word, "include": st.lists(_chars, max_size=2), "parent": _ids,
              "children": st.lists(_code_tree, max_size=2)}))


def _yaml_dump(codes: list, name: str) -> bytes:
    import yaml
    return yaml.safe_dump({"name": name, "codes": codes}, allow_unicode=True).encode()


def _mutate(data: bytes, at: int, piece: bytes) -> bytes:
    at = at % (len(data) + 1)
    return data[:at] + piece + data[at:]


_good_yaml = st.builds(_yaml_dump, st.lists(_code_tree, min_size=1, max_size=4), _word)
_yaml = st.one_of(_good_yaml, _good_yaml,
                  st.builds(_mutate, _good_yaml, st.integers(0, 10_000), _yaml_piece.map(str.encode)),
                  st.lists(st.one_of(_yaml_piece, _yaml_piece, _chars), max_size=14).map(lambda p: "".join(p).encode()))

_code_leaf = st.builds(lambda n: f'<Code name="{_xml_text(n)}" guid="g"/>', st.one_of(_word, _chars))
_code_xml = st.one_of(_code_leaf, st.builds(
    lambda n, kids: f'<Code name="{_xml_text(n)}"><Description>d</Description>{"".join(kids)}</Code>',
    _word, st.lists(_code_leaf, max_size=3)))
_qdc = st.one_of(
    st.builds(lambda decl, root, codes: (decl + f'<{root} xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
                                         + "".join(codes) + f"</Codes></{root}>").encode(),
              st.sampled_from(['<?xml version="1.0"?>', '<?xml version="1.0"?>', '<?xml version="1.0" encoding="x-unknown"?>', "",
                               '<?xml version="1.0" encoding="utf-16"?>']),
              st.sampled_from(["CodeBook", "CodeBook", "Project", "Other"]), st.lists(_code_xml, max_size=4)),
    st.binary(max_size=100),
)


# ----------------------------------------------------------------------------- checks
def _file(name: str, data: bytes) -> Path:
    path = _TMP / name
    path.write_bytes(data)
    return path


def _transcript_check(suffix: str) -> Callable[[bytes], str]:
    def check(data: bytes) -> str:
        from qualcode.io.transcripts import read_transcript
        from qualcode.pipeline.segment import segment_transcript

        t = read_transcript(_file("t" + suffix, data))
        assert t.turns and t.plain_text
        for turn in t.turns:
            assert t.plain_text[turn.start:turn.end] == turn.text, turn
        for span in segment_transcript(t):
            assert 0 <= span.start < span.end <= len(t.plain_text)
        return "read"
    return check


def _reader_check(suffix: str, reader: Callable[[Path], object]) -> Callable[[bytes], str]:
    def check(data: bytes) -> str:
        reader(_file("r" + suffix, data))
        return "read"
    return check


def _participants(path: Path) -> object:
    from qualcode.io.participants import read_participants
    return read_participants(path)


def _table(path: Path) -> object:
    from qualcode.io.tables import read_rating_table
    return read_rating_table(path, numeric=True), read_rating_table(path)


def _codebook(path: Path) -> object:
    from qualcode.io.codebook import load_codebook
    book = load_codebook(path)
    assert len(set(book.ids())) == len(book.codes)
    return book


def _gold(path: Path) -> object:
    from qualcode.io.gold import read_gold
    return read_gold(path)


# reader name → (strategy, check, cases per CI run); 1,120 cases in all.
READERS: dict[str, tuple[st.SearchStrategy, Callable[[bytes], str], int]] = {
    "transcript .txt": (_bytes, _transcript_check(".txt"), 220),
    "transcript .srt": (_srt, _transcript_check(".srt"), 110),
    "transcript .vtt": (_vtt, _transcript_check(".vtt"), 90),
    "transcript .csv": (_csv_transcript, _transcript_check(".csv"), 120),
    "transcript .docx": (_docx, _transcript_check(".docx"), 110),
    "participants .csv": (_csv_participants, _reader_check(".csv", _participants), 80),
    "rating table .csv": (_csv_table, _reader_check(".csv", _table), 80),
    "codebook .yaml": (_yaml, _reader_check(".yaml", _codebook), 130),
    "codebook .csv": (_csv_codebook, _reader_check(".csv", _codebook), 40),
    "codebook .qdc": (_qdc, _reader_check(".qdc", _codebook), 100),
    "gold .csv": (_csv_gold, _reader_check(".csv", _gold), 40),
}


def outcome(check: Callable[[bytes], str], data: bytes) -> str:
    """``read``, ``refused`` (one QualcodeError line) — or AssertionError for a bug."""
    try:
        return check(data)
    except QualcodeError as exc:
        assert "\n" not in str(exc) and str(exc), repr(str(exc))
        return "refused"


def run_reader(name: str, max_examples: int | None = None, record: Callable[[str, bytes, str], None] | None = None) -> None:
    """Run one reader's generated cases; ``record`` (the bench) collects instead of failing."""
    strategy, check, n = READERS[name]

    @settings(max_examples=max_examples or n, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(data: bytes) -> None:
        if record is None:
            outcome(check, data)
            return
        try:
            record(name, data, outcome(check, data))
        except BaseException as exc:  # noqa: BLE001 - the bench counts every failure
            record(name, data, f"FAIL {type(exc).__name__}: {str(exc)[:200]}")

    run()


@pytest.mark.parametrize("name", list(READERS))
def test_reader_is_total(name: str) -> None:
    run_reader(name)
