"""Import a whole REFI-QDA project (NVivo, ATLAS.ti, MAXQDA, QualCoder, Taguette, qualcode) into a study.

All in ONE transaction: the codebook (codes matched to the study's by GUID, then name;
new ones added as a new codebook version), the text sources as transcripts (segmented as
any transcript is), every coding with its exact span as a span coding by its coder, the
final codes of a qualcode export as final codes (with adjudicator and rationale), notes as
memos, cases as participants. :class:`ProjectImport` says what was read and, by kind and
count, what was skipped, so a user sees at once what did not come in.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from qualcode.errors import StoreError
from qualcode.io.refi_read import RefiRead, read_refi_project
from qualcode.io.transcripts import parse_speaker_text
from qualcode.pipeline.segment import segment_transcript
from qualcode.records import Code, Codebook, Transcript
from qualcode.store.core import _json
from qualcode.store.models import (
    CodeApplicationRow,
    CodebookVersion,
    MemoRow,
    SegmentRow,
    SpanCodingRow,
    TranscriptRow,
    utcnow,
)

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.orm import Session

    from qualcode.store.study import Study

_FINAL_LINE = re.compile(r"^Adjudicated by (?P<by>.+?): (?P<code>.+?)(?:: (?P<reason>.*))?$")
EMPTY_SOURCE = "the source has no text in the project file, so there is nothing to code (check it in the other tool)"
RESERVED_RENAMED = {"machine": "machine (imported)"}  # a REFI user may not take a system coder's name


@dataclass
class ProjectImport:
    """What a project import read and skipped (shown by the CLI, kept in the audit log)."""

    file: str
    read: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    transcripts: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    codebook_version: int | None = None
    new_codes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # "NAME: what to check", as a transcript import says

    def lines(self) -> list[str]:
        r = self.read
        out = [f"read {self.file}: {r.get('sources', 0)} text source(s) ({len(self.unchanged)} already in the study), "
               f"{r.get('codes', 0)} code(s) ({len(self.new_codes)} new), {r.get('codings', 0)} coding(s), "
               f"{r.get('coders', 0)} coder(s) or memo writer(s), {r.get('memos', 0)} memo(s), {r.get('cases', 0)} case(s), "
               f"{r.get('users', 0)} REFI user(s)"]
        if self.skipped:
            out.append("skipped: " + "; ".join(f"{n} {kind}" for kind, n in sorted(self.skipped.items())))
        else:
            out.append("skipped: nothing")
        out += [f"warning: {w}" for w in self.warnings]
        return out


def _when(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _merge_codebook(current: Codebook | None, read: Codebook | None, scope: str) -> tuple[Codebook | None, dict, list]:
    """The study's codebook with the file's new codes added; file code id → study code id."""
    from qualcode.io.refi import guid as make_guid

    if read is None:
        return None, {}, []
    if current is None:
        return read, {c.id: c.id for c in read.codes}, [c.id for c in read.codes]
    by_guid = {(c.guid or make_guid(scope, "code", c.id)).upper(): c.id for c in current.codes}
    by_name = {c.name.strip().lower(): c.id for c in current.codes}
    mapping, added = {}, []
    taken = set(current.ids())
    for c in read.codes:
        hit = by_guid.get(c.guid.upper()) if c.guid else None
        hit = hit or by_name.get(c.name.strip().lower())
        if hit:
            mapping[c.id] = hit
            continue
        new_id, n = c.id, 2
        while new_id in taken:
            new_id, n = f"{c.id}_{n}", n + 1
        taken.add(new_id)
        mapping[c.id] = new_id
        added.append(Code(new_id, c.name, c.definition, mapping.get(c.parent) if c.parent else None, c.include,
                          c.exclude, c.examples, c.color, c.guid, c.is_codable))
    if not added:
        return current, mapping, []
    return Codebook(current.name, current.codes + tuple(added), description=current.description), mapping, \
        [c.id for c in added]


def import_project(study: Study, path: str | Path, actor: str = "system", max_words: int = 80) -> ProjectImport:
    """Read ``path`` and store all of it that a study can hold, in one transaction."""
    read = read_refi_project(path)
    return store_project(study, read, str(path), actor, max_words)


def store_project(study: Study, read: RefiRead, file: str, actor: str = "system",
                  max_words: int = 80) -> ProjectImport:
    report = ProjectImport(file, skipped=dict(read.skipped))
    counts = Counter()
    with study._tx() as s:
        current = study._read_codebook(s) if s.scalar(select(func.max(CodebookVersion.id))) else None
        codebook, mapping, added = _merge_codebook(current, read.codebook, study.folder.name)
        version = None
        if added:
            version = study._write_codebook(s, codebook, actor, f"imported from {file}")
        elif current is not None:
            version = current.version
        report.codebook_version, report.new_codes = version, added
        if read.participants:
            study._upsert_participants(s, read.participants, actor)
        tids = {}
        for src in read.sources:
            tids[src.guid] = _transcript(study, s, src.name, src.text, f"{file}#{src.guid}", max_words, actor, report)
        s.flush()
        study._link_segments(s, None)
        for src in read.sources:
            tid = tids[src.guid]
            for note in src.notes:
                _memo(study, s, note.coder, note.text, note.created_at, counts, transcript_id=tid)
            names = {c.id: c.name for c in codebook.codes} if codebook else {}
            for sel in src.selections:
                _selection(study, s, sel, tid, src.text, mapping, names, version, counts)
        for cid, notes in read.code_notes.items():
            for note in notes:
                _memo(study, s, note.coder, note.text, note.created_at, counts, code_id=mapping.get(cid, cid))
        for note in read.project_notes:
            _memo(study, s, note.coder, note.text, note.created_at, counts)
        got = read.counts()
        report.read = {"sources": got["sources"], "codes": got["codes"], "codings": counts["codings"],
                       "coders": len(counts.get("coder_names", ())), "memos": counts["memos"],
                       "cases": got["cases"], "users": len(read.users)}
        report.skipped.update({k: v for k, v in counts.items() if k.startswith("duplicate")})
        study._audit(s, actor, "import_project", "study", file, None,
                     {"read": report.read, "skipped": report.skipped, "transcripts": report.transcripts})
    return report


def _transcript(study: Study, s: Session, name: str, text: str, where: str, max_words: int, actor: str,
                report: ProjectImport) -> int:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    existing = s.scalar(select(TranscriptRow.id).where(TranscriptRow.content_hash == digest))
    if existing is not None:
        report.unchanged.append(name)
        return existing
    if s.scalar(select(TranscriptRow.id).where(TranscriptRow.name == name)):
        raise StoreError(f"{where}: expected a new transcript name, got '{name}' which the study already "
                         "holds with other content (rename it in the other tool, or import into a new study)")
    warnings: list[str] = []
    turns = parse_speaker_text(text, warnings=warnings) if text.strip() else ()
    if not turns:  # kept, so its memos and the other tool's count stay whole, but said
        warnings[:] = [EMPTY_SOURCE]
    t = Transcript(name, text, turns, "refi", where, digest, warnings=tuple(warnings))
    row = TranscriptRow(name=name, source_path=where, source_format="refi", content_hash=digest, plain_text=text,
                        warnings=_json(warnings))
    s.add(row)
    s.flush()
    spans = segment_transcript(t, max_words)
    s.add_all(SegmentRow(transcript_id=row.id, turn_index=sp.turn_index, start=sp.start, end=sp.end,
                         text=text[sp.start:sp.end], speaker=t.turns[sp.turn_index].speaker,
                         start_time=t.turns[sp.turn_index].start_time, end_time=t.turns[sp.turn_index].end_time,
                         procedural=t.turns[sp.turn_index].procedural) for sp in spans)
    study._audit(s, actor, "import", "transcript", row.id, None,
                 {"name": name, "file": where, "sha256": digest, "format": "refi", "segments": len(spans),
                  "warnings": warnings})
    report.warnings.extend(f"{name}: {w}" for w in warnings)
    report.transcripts.append(name)
    return row.id


def _coder_row(study: Study, s: Session, name: str, counts: Counter):  # noqa: ANN202
    name = RESERVED_RENAMED.get(name.strip(), name.strip()) or "imported"
    row = study._coder(s, name[:100])
    if row.role != "system":
        counts.setdefault("coder_names", set()).add(row.name)
    return row


def _memo(study: Study, s: Session, coder: str, text: str, created: str, counts: Counter, **where) -> int:  # noqa: ANN003
    who = _coder_row(study, s, coder if coder != "final" else "imported", counts)
    query = select(MemoRow.id).where(MemoRow.coder_id == who.id, MemoRow.text == text)
    for key in ("segment_id",) if where.get("segment_id") is not None else ("segment_id", "transcript_id", "code_id"):
        query = query.where(getattr(MemoRow, key) == where[key] if where.get(key) is not None
                            else getattr(MemoRow, key).is_(None))
    if where.get("span_id") is None and s.scalar(query):
        counts["duplicate memos (already in the study)"] += 1
        return 0
    row = MemoRow(coder_id=who.id, text=text, created_at=_when(created) or utcnow(), **where)
    row.updated_at = row.created_at
    s.add(row)
    s.flush()
    counts["memos"] += 1
    return row.id


def _selection(study: Study, s: Session, sel, tid: int, text: str, mapping: dict, names: dict,  # noqa: ANN001
               version: int | None, counts: Counter) -> None:
    segment = s.scalar(select(SegmentRow.id).where(SegmentRow.transcript_id == tid, SegmentRow.start == sel.start,
                                                   SegmentRow.end == sel.end))
    finals = {}
    if sel.coder == "final":
        for memo in sel.memos:
            for line in memo.splitlines():
                m = _FINAL_LINE.match(line.strip())
                if m:
                    finals[m.group("code").strip().lower()] = (m.group("by"), m.group("reason") or "")
    first_span = None
    for c in sel.codings:
        code_id = mapping.get(c.code_id, c.code_id)
        if sel.coder == "final" or c.coder == "final":
            by, reason = finals.get(names.get(code_id, code_id).lower(), ("", ""))
            final = study._coder(s, "final")
            if by:
                _coder_row(study, s, by, counts)
            if segment is not None:
                if not s.scalar(select(CodeApplicationRow.id).where(
                        CodeApplicationRow.segment_id == segment, CodeApplicationRow.code_id == code_id,
                        CodeApplicationRow.source == "final")):
                    s.add(CodeApplicationRow(segment_id=segment, code_id=code_id, codebook_version=version,
                                             source="final", coder_id=final.id, present=True, reason=reason,
                                             decided_by=by, created_at=_when(c.created_at) or utcnow()))
                    counts["codings"] += 1
                else:
                    counts["duplicate codings (already in the study)"] += 1
                continue
            who, source, decided = final, "final", by
        else:
            who, source, decided = _coder_row(study, s, c.coder, counts), "human", ""
            if segment is not None and s.scalar(select(CodeApplicationRow.id).where(
                    CodeApplicationRow.segment_id == segment, CodeApplicationRow.code_id == code_id,
                    CodeApplicationRow.source == "human", CodeApplicationRow.coder_id == who.id,
                    CodeApplicationRow.present.is_(True))):
                counts["duplicate codings (already in the study)"] += 1  # e.g. the study's own export
                continue
        exists = s.scalar(select(SpanCodingRow.id).where(
            SpanCodingRow.transcript_id == tid, SpanCodingRow.start == sel.start, SpanCodingRow.end == sel.end,
            SpanCodingRow.code_id == code_id, SpanCodingRow.source == source, SpanCodingRow.coder_id == who.id))
        if exists:
            counts["duplicate codings (already in the study)"] += 1
            first_span = first_span or exists
            continue
        row = SpanCodingRow(transcript_id=tid, start=sel.start, end=sel.end, text=text[sel.start:sel.end],
                            code_id=code_id, codebook_version=version, source=source, coder_id=who.id,
                            decided_by=decided or who.name, created_at=_when(c.created_at) or utcnow())
        s.add(row)
        s.flush()
        first_span = first_span or row.id
        counts["codings"] += 1
    if sel.coder == "final":
        return  # its description is the adjudication, stored above
    for memo in sel.memos:
        if segment is not None and (first_span is None or not sel.codings):
            _memo(study, s, sel.coder, memo, sel.created_at, counts, segment_id=segment, transcript_id=tid)
        elif first_span is not None:
            _memo(study, s, sel.coder, memo, sel.created_at, counts, span_id=first_span, transcript_id=tid)
        else:
            _memo(study, s, sel.coder, memo, sel.created_at, counts, transcript_id=tid)
