"""Read transcripts (.txt, .docx, .vtt, .srt, .csv) into :class:`Transcript` records.

Conventions, the same for .txt and .docx:

* a line ``Name: text`` starts a speaker turn; a timestamp may stand before or after
  the name (``[00:01:23] Name: …``, ``Name [00:01:23]: …``, ``Name (01:23): …``);
* lines without a speaker label continue the current turn (blank-line paragraphs
  inside a turn are kept); before any speaker label, each paragraph is a turn of an
  unknown speaker;
* a line wholly in square brackets (``[The witness withdrew]``) is procedural: kept in
  the text, never coded.

For .txt the stored plain text is the file itself, decoded (UTF-8, UTF-8 with BOM,
UTF-16 with BOM, or Windows-1252) with line ends normalised to ``\\n`` as Python
reads text; a BOM is not part of the text. For the other formats qualcode writes
a plain text of its own, one turn a paragraph (``[00:01:02] Name: text``), and every
offset indexes that text.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

from qualcode.errors import InputError
from qualcode.records import Transcript, Turn

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


def parse_time(value: str) -> float:
    """``01:02:03.5`` / ``02:03`` / ``62.5`` → seconds."""
    value = value.strip().replace(",", ".")
    parts = value.split(":")
    if not 1 <= len(parts) <= 3:
        raise ValueError(value)
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
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
        if b"\x00" in data[:65536]:
            raise InputError(path, "a text file (UTF-8 or Windows-1252)", "a binary file")
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
    if not text.strip():
        raise InputError(path, "a transcript with some text", "an empty file")
    return text


def read_text(path: str | Path, what: str, error: type[InputError] = InputError) -> str:
    """A text file's contents (see :func:`decode_text`); ``what`` names it in the error."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(path, what, exc.strerror or str(exc)) from None
    return decode_text(data, path)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_speaker_text(text: str) -> tuple[Turn, ...]:
    """Split plain text into speaker turns with exact offsets (see module docstring)."""
    turns: list[Turn] = []
    current: dict | None = None  # speaker, start, end, time

    def close() -> None:
        nonlocal current
        if current is not None and current["end"] > current["start"]:
            turns.append(Turn(current["speaker"], current["start"], current["end"],
                              text[current["start"]:current["end"]], current["time"]))
        current = None

    pos = 0
    prev_blank = True
    for line in text.split("\n"):
        line_start, line_end = pos, pos + len(line)
        pos = line_end + 1
        stripped = line.strip()
        if not stripped:
            prev_blank = True
            continue
        content_end = line_start + len(line.rstrip())
        if _PROCEDURAL.match(line):
            close()
            first = line_start + (len(line) - len(line.lstrip()))
            turns.append(Turn(None, first, content_end, text[first:content_end], procedural=True))
            prev_blank = False
            continue
        match = _SPEAKER_LINE.match(line)
        if match and is_speaker_label(match.group("name")):
            close()
            ts = match.group("ts1") or match.group("ts2")
            start = line_start + match.end()
            current = {"speaker": match.group("name").strip(), "start": start,
                       "end": max(start, content_end), "time": parse_time(ts) if ts else None}
            prev_blank = False
            continue
        lead = _LEADING_TS.match(line)
        first = line_start + (lead.end() if lead else len(line) - len(line.lstrip()))
        if current is None or (current["speaker"] is None and prev_blank):
            close()
            current = {"speaker": None, "start": first, "end": content_end,
                       "time": parse_time(lead.group("ts")) if lead else None}
        else:
            current["end"] = content_end
        prev_blank = False
    close()
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
    return "".join(parts) + "\n", tuple(out)


_CUE_TIME = re.compile(rf"^\s*(?P<a>(?:\d+:)?{_TS})\s*-->\s*(?P<b>(?:\d+:)?{_TS})")
_VOICE = re.compile(r"^\s*<v(?:\.[\w.-]+)?\s+(?P<name>[^>]+)>")
_TAG = re.compile(r"</?[^>]+>")


def _caption_turns(text: str, path: str | Path, kind: str) -> list:
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
            raise InputError(path, "a cue time like 00:00:01.000", line.strip(), line=line_no) from None
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


def _csv_turns(text: str, path: str | Path) -> list:
    rows = list(csv.reader(io.StringIO(text)))
    rows = [(n, r) for n, r in enumerate(rows, start=1) if any(cell.strip() for cell in r)]
    if not rows:
        raise InputError(path, "rows of speaker,text[,start]", "no rows")
    header = [c.strip().lower() for c in rows[0][1]]
    if "speaker" in header and "text" in header:
        si, ti = header.index("speaker"), header.index("text")
        ts = header.index("start") if "start" in header else None
        rows = rows[1:]
    else:
        si, ti, ts = 0, 1, 2
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
                raise InputError(path, "a start time like 00:01:02 or 62.5", repr(row[ts]),
                                 line=n, field="start") from None
        body = " ".join(row[ti].split())
        if body:
            turns.append((row[si].strip() or None, body, start, None))
    if not turns:
        raise InputError(path, "at least one row with text", "only empty text cells")
    return turns


def _docx_text(data: bytes, path: str | Path) -> str:
    import zipfile

    try:
        import docx  # python-docx, imported only for .docx
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(path, "a Word .docx document", f"unreadable file ({exc})") from None
    text = "\n".join(p.text for p in document.paragraphs)
    if not text.strip():
        raise InputError(path, "a Word document with some text", "an empty document")
    return text


def read_transcript(path: str | Path, name: str | None = None) -> Transcript:
    """Read one transcript file; raise :class:`InputError` naming what is wrong."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(path, "a transcript ending in " + ", ".join(SUPPORTED_SUFFIXES),
                         f"'{suffix or 'no extension'}'")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, "a readable file", exc.strerror or str(exc)) from None
    if not data.strip():
        raise InputError(path, "a transcript with some text", "an empty file")
    name = name or path.stem
    digest = content_hash(data)
    if suffix == ".docx":
        text = _docx_text(data, path)
        turns = parse_speaker_text(text)
        fmt = "docx"
    elif suffix == ".txt":
        text = decode_text(data, path)
        turns = parse_speaker_text(text)
        fmt = "txt"
    else:
        decoded = decode_text(data, path)
        fmt = suffix[1:]
        raw_turns = _csv_turns(decoded, path) if fmt == "csv" else _caption_turns(decoded, path, fmt)
        text, turns = _assemble(raw_turns)
    if not any(t.text.strip() for t in turns):
        raise InputError(path, "a transcript with some text", "no speech")
    return Transcript(name=name, plain_text=text, turns=turns, source_format=fmt,
                      source_path=str(path), content_hash=digest)
