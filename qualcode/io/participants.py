"""Read a participants sheet (``participants.csv``) into :class:`Participant` records.

Required columns: ``participant_id, group, role, site``. Optional: ``speaker`` (the
label(s) used in transcripts, several separated by ``;``) and any other columns,
kept as attributes (age band, gender, practice size …). Cells are separated by commas,
or by ``;`` or tabs when the header line has no comma (as spreadsheets in many European
locales save "CSV"). A participant whose group
or role is ``interviewer`` marks the interviewer: kept, never coded by default.
"""

from __future__ import annotations

from pathlib import Path

from qualcode.errors import InputError
from qualcode.io.safe import csv_rows
from qualcode.io.transcripts import read_text
from qualcode.records import INTERVIEWER_NAMES, Participant

REQUIRED_COLUMNS = ("participant_id", "group", "role", "site")


def read_participants(path: str | Path) -> list[Participant]:
    path = Path(path)
    text = read_text(path, "a readable participants sheet (CSV)")
    rows = csv_rows(text, path, one_line=True)
    if not rows:
        raise InputError(path, "a header row", "an empty file", line=1)
    header = rows[0][1]
    columns = [h.strip().lower().replace(" ", "_") for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        got = "no column " + ", ".join(repr(m) for m in missing)
        for sep, name in ((";", "';'"), ("\t", "tabs")):
            if any(sep in h for h in header):  # a header mixing separators: not split by csv_delimiter
                got += f" (the header seems to use {name} as separator: save the sheet as comma-separated CSV)"
                break
        raise InputError(path, "columns " + ", ".join(REQUIRED_COLUMNS) + " (and optionally speaker)",
                         got, line=1)
    twice = sorted({c for c in columns if c and columns.count(c) > 1})
    if twice:
        raise InputError(path, "each column named once", ", ".join(repr(c) for c in twice[:5]) + " more than once",
                         line=1)
    unnamed = [i for i, c in enumerate(columns) if not c]
    seen: dict[str, int] = {}
    out: list[Participant] = []
    for line_no, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            raise InputError(path, f"{len(columns)} cells as in the header", f"{len(row)}", line=line_no)
        filled = next((i for i in unnamed if i < len(row) and row[i].strip()), None)
        if filled is not None:  # an attribute without a name would be lost: say so
            raise InputError(path, f"a name in the header for column {filled + 1}, which holds data",
                             "an empty header cell", line=line_no)
        values = {c: (row[i].strip() if i < len(row) else "") for i, c in enumerate(columns)}
        pid = values["participant_id"]
        if not pid:
            raise InputError(path, "a participant_id", "an empty cell", line=line_no,
                             field="participant_id")
        if pid in seen:
            raise InputError(path, "each participant_id once",
                             f"{pid!r} again (first on line {seen[pid]})", line=line_no,
                             field="participant_id")
        seen[pid] = line_no
        speakers = tuple(s.strip() for s in values.get("speaker", "").split(";") if s.strip())
        extra = {c: v for c, v in values.items()
                 if c not in REQUIRED_COLUMNS and c != "speaker" and c}
        out.append(Participant(pid, values["group"], values["role"], values["site"],
                               speakers or (pid,), extra))
    if not out:
        raise InputError(path, "at least one participant row", "only a header")
    return out


def match_speaker(speaker: str | None, participants: list[Participant],
                  transcript_name: str = "") -> Participant | None:
    """The participant a speaker label belongs to, by speaker label or id (case-insensitive).

    A label shared by several participants (``Interviewer`` in every transcript) is
    resolved by a participant whose id or ``transcript`` attribute names the transcript.
    """
    if not speaker:
        return None
    key = speaker.strip().lower()
    hits = [p for p in participants
            if key in {s.lower() for s in p.speakers} or key == p.participant_id.lower()]
    if len(hits) > 1 and transcript_name:
        narrowed = [p for p in hits if p.attributes.get("transcript", "").lower() == transcript_name.lower()]
        hits = narrowed or hits
    return hits[0] if hits else None


def is_interviewer_label(speaker: str | None) -> bool:
    return bool(speaker) and speaker.strip().lower() in INTERVIEWER_NAMES
