"""Read transcripts (.txt, .docx, .vtt, .srt, .csv) into :class:`Transcript` records.

Conventions, the same for .txt and .docx:

* a line ``Name: text`` starts a speaker turn; a timestamp may stand before or after
  the name (``[00:01:23] Name: …``, ``Name [00:01:23]: …``, ``Name (01:23): …``);
* lines without a speaker label continue the current turn (blank-line paragraphs
  inside a turn are kept); before any speaker label, each paragraph is a turn of an
  unknown speaker;
* a line wholly in square brackets (``[The witness withdrew]``) is procedural: kept in
  the text, never coded; so are a .docx's headings;
* the "label on its own line" layout (``Interviewer:`` or ``INTERVIEWER`` alone on a
  line, the words on the lines below) is read as labels of the text below, with a
  warning to check the turns; a .docx table row ``Name | text`` is a turn of Name.

Suspicious but readable input imports with warnings (``Transcript.warnings``): no
speaker labels at all, labels on their own lines, a caption cue that ends before it
starts. Limits (file size, line length, CSV cell length) are in :mod:`qualcode.io.safe`.

For .txt the stored plain text is the file itself, decoded (UTF-8, UTF-8 with BOM,
UTF-16 with BOM, or Windows-1252) with line ends normalised to ``\\n`` as Python
reads text; a BOM is not part of the text. For the other formats qualcode writes
a plain text of its own, one turn a paragraph (``[00:01:02] Name: text``), and every
offset indexes that text.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from pathlib import Path

from qualcode.errors import InputError
from qualcode.io import safe
from qualcode.records import INTERVIEWER_NAMES, Transcript, Turn

SUPPORTED_SUFFIXES = (".txt", ".docx", ".vtt", ".srt", ".csv")

_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# A name: 1-6 words of letters, digits and a little punctuation, starting with a
# letter, at most 48 characters. The first colon after it ends the label, so a colon
# later in the speech ("a ratio of 3:1") is text.
_NAME = r"[^\W\d_][\w.'’()\-]*(?:[ \t]+[\w.'’()\-]+){0,4}"
_NAME_PARTICLES = frozenset({"of", "de", "da", "van", "von", "der", "le", "la", "the", "and", "&"})


def is_speaker_label(name: str) -> bool:
    """A plausible speaker label: one lower-case word, or capitalised words.

    Keeps "What I said was this: …" inside a turn, while "Dr Jennifer Dixon",
    "Lead Inquiry", "P07", "Speaker 2" and "interviewer" are labels.
    """
    words = name.split()
    if not words or len(name) > 48:
        return False
    if len(words) == 1:
        return True
    return all(w[0].isupper() or w[0].isdigit() or w.lower() in _NAME_PARTICLES
               or w[0] in "(" for w in words)
_SPEAKER_LINE = re.compile(
    rf"^[ \t]*(?:\[(?P<ts1>{_TS})\][ \t]*)?(?P<name>{_NAME}?)[ \t]*"
    rf"(?:[\[(](?P<ts2>{_TS})[\])][ \t]*)?:(?:[ \t]+|$)"
)
_PROCEDURAL = re.compile(r"^[ \t]*\[[^\]]*\][ \t]*$")
_LEADING_TS = re.compile(rf"^[ \t]*\[(?P<ts>{_TS})\][ \t]*")


_TIME_PART = re.compile(r"^\d{1,9}(?:\.\d{1,9})?$")


def parse_time(value: str) -> float:
    """``01:02:03.5`` / ``02:03`` / ``62.5`` → seconds.

    Only plain digits: ``inf``, ``nan``, ``1e400``, ``-5`` and ``1:inf`` are a
    ValueError (the callers turn it into an InputError naming the line), as is a time
    beyond :data:`qualcode.io.safe.MAX_SECONDS`.
    """
    value = value.strip().replace(",", ".")
    parts = value.split(":")
    if not 1 <= len(parts) <= 3 or not all(_TIME_PART.match(p) for p in parts):
        raise ValueError(value)
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    if seconds > safe.MAX_SECONDS:
        raise ValueError(value)
    return seconds


def format_time(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def decode_text(data: bytes, path: str | Path) -> str:
    """Bytes of a text file → str, refusing binary and empty files."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(path, "text in UTF-16 as its byte-order mark says",
                             "bytes that are not UTF-16") from None
    else:
        if b"\x00" in data:
            raise InputError(path, "a text file (UTF-8 or Windows-1252)", "a binary file (NUL bytes)")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError as exc:
                raise InputError(path, "a text file (UTF-8 or Windows-1252)",
                                 f"undecodable byte 0x{data[exc.start]:02x} at byte {exc.start}")\
                    from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise InputError(path, "a text file", "NUL characters")
    if not text.strip():
        raise InputError(path, "a transcript with some text", "an empty file")
    return text


def read_text(path: str | Path, what: str, error: type[InputError] = InputError) -> str:
    """A text file's contents (see :func:`decode_text`); ``what`` names it in the error."""
    path = Path(path)
    data = safe.read_bytes(path, what, error)
    try:
        return decode_text(data, path)
    except InputError as exc:
        if error is InputError:
            raise
        raise error(exc.file, exc.expected, exc.got, exc.line, exc.field) from None


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


OWN_LINE_LABELS = ("speaker labels stand on their own line (e.g. {example!r}); the text below each "
                   "is read as that speaker's turn, check the turns")
NO_LABELS = ("no speaker labels ('Name: text') found: every paragraph is a turn of an unknown "
             "speaker and all of it is codeable, the interviewer's questions too")


def _own_line_labels(lines: list[str]) -> set[str]:
    """Labels written alone on a line without a colon (``INTERVIEWER`` then the words below).

    Taken as labels only where the layout is clear: a name standing alone, after a blank
    line (or the start) and before text, used at least twice, and either two such names
    or an interviewer's name (a single repeated word like "Yes" is not a layout).
    """
    counts: dict[str, int] = {}
    for i, line in enumerate(lines):
        name = line.strip()
        if not name or ":" in name or len(name) > 48 or (i > 0 and lines[i - 1].strip()):
            continue
        if i + 1 >= len(lines) or not lines[i + 1].strip() or not is_speaker_label(name):
            continue
        if not re.fullmatch(_NAME, name) or len(name.split()) > 3 or name[-1] in ".?!,;":
            continue
        counts[name] = counts.get(name, 0) + 1
    repeated = {n for n, c in counts.items() if c >= 2}
    if len(repeated) >= 2 or any(n.lower() in INTERVIEWER_NAMES for n in repeated):
        return repeated
    return set()


def parse_speaker_text(text: str, procedural_lines: frozenset[int] = frozenset(),
                       warnings: list[str] | None = None) -> tuple[Turn, ...]:
    """Split plain text into speaker turns with exact offsets (see module docstring).

    ``procedural_lines`` are line indices kept as procedural turns (a .docx's headings);
    ``warnings``, when given, collects what a coder should check.
    """
    turns: list[Turn] = []
    current: dict | None = None  # speaker, start (None: label seen, text not yet), end, time
    lines = text.split("\n")
    own_line = _own_line_labels(lines)
    own_line_seen: list[str] = []

    def close() -> None:
        nonlocal current
        if current is not None and current["start"] is not None and current["end"] > current["start"]:
            turns.append(Turn(current["speaker"], current["start"], current["end"],
                              text[current["start"]:current["end"]], current["time"]))
        current = None

    pos = 0
    prev_blank = True
    for index, line in enumerate(lines):
        line_start, line_end = pos, pos + len(line)
        pos = line_end + 1
        stripped = line.strip()
        if not stripped:
            prev_blank = True
            continue
        content_end = line_start + len(line.rstrip())
        first = line_start + (len(line) - len(line.lstrip()))
        if index in procedural_lines or _PROCEDURAL.match(line):
            close()
            turns.append(Turn(None, first, content_end, text[first:content_end], procedural=True))
            prev_blank = False
            continue
        match = _SPEAKER_LINE.match(line)
        if match and is_speaker_label(match.group("name")):
            close()
            ts = match.group("ts1") or match.group("ts2")
            start = line_start + match.end()
            if start >= content_end:  # "Name:" alone: the turn's text is on the lines below
                own_line_seen.append(stripped)
                start = None
            current = {"speaker": match.group("name").strip(), "start": start,
                       "end": content_end, "time": parse_time(ts) if ts else None}
            prev_blank = False
            continue
        if stripped in own_line and prev_blank:
            close()
            own_line_seen.append(stripped)
            current = {"speaker": stripped, "start": None, "end": content_end, "time": None}
            prev_blank = False
            continue
        lead = _LEADING_TS.match(line)
        if lead:
            first = line_start + lead.end()
        if current is not None and current["start"] is None:  # the text under a lone label
            current["start"], current["end"] = first, content_end
            if lead and current["time"] is None:
                current["time"] = parse_time(lead.group("ts"))
        elif current is None or (current["speaker"] is None and prev_blank):
            close()
            current = {"speaker": None, "start": first, "end": content_end,
                       "time": parse_time(lead.group("ts")) if lead else None}
        else:
            current["end"] = content_end
        prev_blank = False
    close()
    if warnings is not None:
        if own_line_seen:
            warnings.append(OWN_LINE_LABELS.format(example=own_line_seen[0]))
        spoken = [t for t in turns if not t.procedural]
        if spoken and all(t.speaker is None for t in spoken):
            warnings.append(NO_LABELS)
    return tuple(turns)


def _assemble(turns: list[tuple[str | None, str, float | None, float | None]]) -> tuple[str, tuple[Turn, ...]]:
    """Write a plain text of our own from (speaker, text, start, end) turns."""
    parts: list[str] = []
    out: list[Turn] = []
    pos = 0
    for speaker, body, t0, t1 in turns:
        prefix = f"[{format_time(t0)}] " if t0 is not None else ""
        if speaker:
            prefix += f"{speaker}: "
        if parts:
            parts.append("\n\n")
            pos += 2
        parts.append(prefix + body)
        start = pos + len(prefix)
        pos += len(prefix) + len(body)
        out.append(Turn(speaker, start, pos, body, t0, t1))
    parts.append("\n")
    return "".join(parts), tuple(out)  # one join: no second copy of the whole text


_CUE_TIME = re.compile(rf"^\s*(?P<a>(?:\d+:)?{_TS})\s*-->\s*(?P<b>(?:\d+:)?{_TS})")
_VOICE = re.compile(r"^\s*<v(?:\.[\w.-]+)?\s+(?P<name>[^>]+)>")
_TAG = re.compile(r"</?[^>]+>")


CUE_BACKWARDS = "cue at line {line} ends ({end}) before it starts ({start}); its end was taken as its start"


def _caption_turns(text: str, path: str | Path, kind: str, warnings: list[str] | None = None) -> list:
    cues: list[tuple[float, float, str | None, str, int]] = []
    lines = text.split("\n")
    i = 0
    if kind == "vtt":
        if not lines or not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
            raise InputError(path, "a WebVTT file starting with 'WEBVTT'", repr(lines[0][:40]), line=1)
    while i < len(lines):
        line = lines[i]
        if kind == "vtt" and re.match(r"^(NOTE|STYLE|REGION)\b", line):
            while i < len(lines) and lines[i].strip():
                i += 1
            continue
        match = _CUE_TIME.match(line)
        if not match:
            i += 1
            continue
        line_no = i + 1
        try:
            t0, t1 = parse_time(match.group("a")), parse_time(match.group("b"))
        except ValueError:
            raise InputError(path, "a cue time like 00:00:01.000", line.strip()[:80], line=line_no) from None
        if t1 < t0:
            if warnings is not None:
                warnings.append(CUE_BACKWARDS.format(line=line_no, start=match.group("a"), end=match.group("b")))
            t1 = t0
        i += 1
        payload: list[str] = []
        while i < len(lines) and lines[i].strip():
            payload.append(lines[i].strip())
            i += 1
        speaker = None
        body_lines = []
        for raw in payload:
            voice = _VOICE.match(raw)
            if voice:
                speaker = voice.group("name").strip()
            clean = _TAG.sub("", raw).strip()
            if not voice and speaker is None and not body_lines:
                label = _SPEAKER_LINE.match(clean)
                if label and is_speaker_label(label.group("name")):
                    speaker = label.group("name").strip()
                    clean = clean[label.end():]
            if clean:
                body_lines.append(clean)
        body = " ".join(body_lines).strip()
        if body:
            cues.append((t0, t1, speaker, body, line_no))
    if not cues:
        raise InputError(path, f"at least one {kind.upper()} cue with a time line "
                         "'00:00:01.000 --> 00:00:04.000' and text", "none")
    # Overlapping or unordered cues: order by start time, keep file order for ties.
    cues.sort(key=lambda c: (c[0], c[4]))
    merged: list[list] = []
    for t0, t1, speaker, body, _ in cues:
        if merged and merged[-1][0] == speaker:
            last = merged[-1]
            if body == last[4]:  # a repeated (rolling) caption adds nothing
                last[3] = max(last[3], t1)
                continue
            last[1] = f"{last[1]} {body}"
            last[3] = max(last[3], t1)
            last[4] = body
        else:
            merged.append([speaker, body, t0, t1, body])
    return [(s, b, t0, t1) for s, b, t0, t1, _ in merged]


_CSV_SPEAKER = ("speaker", "name", "participant", "who", "speaker_name")
_CSV_TEXT = ("text", "utterance", "transcript", "content", "speech", "turn", "words")
_CSV_TIME = ("start", "time", "timestamp", "start_time", "begin")


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    return next((header.index(n) for n in names if n in header), None)


def _csv_turns(text: str, path: str | Path) -> list:
    rows = ((n, r) for n, r in safe.iter_csv_rows(text, path) if any(cell.strip() for cell in r))
    first = next(rows, None)  # rows are read one at a time: only the turns are kept
    if first is None:
        raise InputError(path, "rows of speaker,text[,start]", "no rows")
    header = [c.strip().lower().replace(" ", "_") for c in first[1]]
    si, ti = _column(header, _CSV_SPEAKER), _column(header, _CSV_TEXT)
    if si is not None and ti is not None:
        ts = _column(header, _CSV_TIME)
        second = next(rows, None)
        if second is None:
            raise InputError(path, "rows of turns after the header", "only the header", line=2)
        rows = itertools.chain([second], rows)
    else:
        si, ti, ts = 0, 1, 2
        rows = itertools.chain([first], rows)
    turns = []
    for n, row in rows:
        if len(row) <= max(si, ti):
            raise InputError(path, "speaker,text[,start] (at least 2 columns)",
                             f"{len(row)} column(s)", line=n)
        start = None
        if ts is not None and len(row) > ts and row[ts].strip():
            try:
                start = parse_time(row[ts])
            except ValueError:
                raise InputError(path, "a start time like 00:01:02 or 62.5", repr(row[ts][:40]),
                                 line=n, field="start") from None
        body = " ".join(row[ti].split())
        if body:
            turns.append((" ".join(row[si].split()) or None, body, start, None))
    if not turns:
        raise InputError(path, "at least one row with text", "only empty text cells")
    return turns


def read_transcript(path: str | Path, name: str | None = None) -> Transcript:
    """Read one transcript file; raise :class:`InputError` naming what is wrong."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(path, "a transcript ending in " + ", ".join(SUPPORTED_SUFFIXES),
                         f"'{suffix or 'no extension'}'")
    data = safe.read_bytes(path, "a readable file")
    if not data.strip():
        raise InputError(path, "a transcript with some text", "an empty file")
    name = name or path.stem
    digest = content_hash(data)
    warnings: list[str] = []
    if suffix == ".docx":
        from qualcode.io.docx_text import docx_text

        text, headings = docx_text(data, path)  # text limited while it is read
        del data  # the zip is done with: freed before the text is split into turns
        safe.check_lines(text, path)
        turns = parse_speaker_text(text, headings, warnings)
        fmt = "docx"
    elif suffix == ".txt":
        text = decode_text(data, path)
        safe.check_lines(text, path)
        turns = parse_speaker_text(text, warnings=warnings)
        fmt = "txt"
    else:
        decoded = decode_text(data, path)
        fmt = suffix[1:]
        if fmt == "csv":
            raw_turns = _csv_turns(decoded, path)
        else:
            safe.check_lines(decoded, path)
            raw_turns = _caption_turns(decoded, path, fmt, warnings)
        if all(speaker is None for speaker, *_ in raw_turns):
            warnings.append(NO_LABELS)
        text, turns = _assemble(raw_turns)
    if not any(t.text.strip() for t in turns if not t.procedural):
        raise InputError(path, "a transcript with some text", "no speech")
    return Transcript(name=name, plain_text=text, turns=turns, source_format=fmt,
                      source_path=str(path), content_hash=digest, warnings=tuple(warnings))
