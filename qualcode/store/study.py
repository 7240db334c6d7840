"""The :class:`Study` API: one way in for the CLI, the app and the reports.

A study is a folder holding ``study.json`` (which database, which format version) and,
by default, ``study.sqlite``. Every public method that changes anything runs in one
transaction and appends to the audit log (who, when, what, before, after); nothing is
half-written. Methods return records from :mod:`qualcode.records`, never ORM rows.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qualcode.errors import StoreError
from qualcode.io.atomic import private_dir, private_file, write_atomic
from qualcode.io.participants import is_interviewer_label, match_speaker
from qualcode.pipeline.segment import segment_transcript
from qualcode.records import (
    AuditEntry,
    Code,
    Codebook,
    CodebookVersionInfo,
    Participant,
    Segment,
    Transcript,
)
from qualcode.store.accounts import Accounts, check_person_name
from qualcode.store.codebook_edits import CodebookEdits
from qualcode.store.coding import Coding
from qualcode.store.core import _json
from qualcode.store.discovery import Discovery
from qualcode.store.double_coding import DoubleCoding
from qualcode.store.jobs import Jobs
from qualcode.store.locking import insert_ignore, lock_codebook
from qualcode.store.matrix import FrameworkMatrix
from qualcode.store.memos import Memos
from qualcode.store.models import (
    AuditRow,
    CodebookVersion,
    CodeRow,
    CoderRow,
    ParticipantRow,
    SegmentRow,
    StudyInfo,
    TranscriptRow,
    TranscriptStatusRow,
    utcnow,
)
from qualcode.store.page_reads import PageReads
from qualcode.store.participant_edits import ParticipantEdits
from qualcode.store.review_index import ReviewIndexReads
from qualcode.store.search import Search
from qualcode.store.segment_rows import insert_segments, link_segments
from qualcode.store.spans import Spans
from qualcode.store.undo import Undo

CONFIG_NAME = "study.json"
DB_NAME = "study.sqlite"
SYSTEM_CODERS = {"machine": "system", "final": "system"}
SOURCES = ("human", "machine", "final")


FORMAT_VERSION = 1  # of study.json


def _config_url(path: Path, config: object) -> str | None:
    """The database URL in study.json (None: the SQLite file beside it), its shape checked."""
    if not isinstance(config, dict):
        raise StoreError(f"{path}: expected a JSON object written by 'qualcode init', "
                         f"got a JSON {type(config).__name__}")
    version = config.get("format_version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= FORMAT_VERSION:
        raise StoreError(f"{path}: field 'format_version': expected {FORMAT_VERSION} (or older) as written by "
                         f"'qualcode init', got {str(version)[:40]!r} (a newer qualcode made it? upgrade qualcode)")
    url = config.get("database_url")
    if url is not None and not isinstance(url, str):
        raise StoreError(f"{path}: field 'database_url': expected a database URL (text) or null, "
                         f"got a JSON {type(url).__name__}")
    return url or None


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    segments: int = 0
    participants: int = 0
    warnings: list[str] = field(default_factory=list)  # "NAME: what to check", one per line


@dataclass(frozen=True)
class TranscriptInfo:
    id: int
    name: str
    source_format: str
    n_segments: int
    participants: tuple[str, ...]
    imported_at: str
    warnings: tuple[str, ...] = ()  # what the import found suspicious (see Transcript.warnings)


class Study(Coding, CodebookEdits, DoubleCoding, FrameworkMatrix, Accounts, Discovery, Spans, Memos, Search,
            Undo, ParticipantEdits, PageReads, Jobs, ReviewIndexReads):
    """An open study. Use :meth:`init` to create one and :meth:`open` to open one.

    Each part is a :class:`~qualcode.store.core.StudyCore` (transactions, audit, coders)."""

    def __init__(self, folder: Path, url: str) -> None:
        self.folder = Path(folder)
        self.url = url
        self._make_private()
        self._connect(url)

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def init(cls, folder: str | Path, codebook: Codebook | None = None, db_url: str | None = None,
             actor: str = "system") -> Study:
        """Create a study folder and its database, all or nothing."""
        folder = Path(folder)
        if (folder / CONFIG_NAME).exists():
            raise StoreError(f"{folder}: expected a new folder, got an existing study "
                             f"(open it instead, or choose another folder)")
        if folder.exists() and not folder.is_dir():
            raise StoreError(f"{folder}: expected a folder for the study, got a file")
        created = not folder.exists()
        url = db_url or f"sqlite:///{(folder / DB_NAME).resolve()}"
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            study = cls(folder, url)
            with study._tx() as s:
                if s.scalar(select(func.count()).select_from(StudyInfo)):
                    raise StoreError(f"database {study.engine.url.render_as_string(hide_password=True)}:"
                                     " expected an empty database, got one that already holds a study")
                s.add(StudyInfo(key="name", value=folder.name))
                s.add(StudyInfo(key="created_at", value=utcnow().isoformat()))
                for name, role in SYSTEM_CODERS.items():
                    s.add(CoderRow(name=name, role=role))
                if codebook is not None:
                    study._write_codebook(s, codebook, actor, "initial codebook")
                study._audit(s, actor, "init", "study", folder.name, None, {"database": "sqlite"
                             if url.startswith("sqlite") else "url"})
            config = {"format": "qualcode-study", "format_version": FORMAT_VERSION,
                      "database_url": db_url}  # None: the SQLite file beside this one
            write_atomic(folder / CONFIG_NAME, json.dumps(config, indent=2) + "\n", private=True)
            return study
        except BaseException:
            if created:
                shutil.rmtree(folder, ignore_errors=True)
            else:
                for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", CONFIG_NAME):
                    (folder / name).unlink(missing_ok=True)
            raise

    def _make_private(self) -> None:
        """Interview text is confidential: the study folder 0700, the SQLite database and its
        -wal/-shm/-journal files 0600 (also tightening a study made by an older qualcode).
        A study folder someone else owns is left as its owner set it."""
        db = Path(self.url.removeprefix("sqlite:///")) if self.url.startswith("sqlite:///") else None
        try:
            if self.folder.is_dir():
                private_dir(self.folder)
            if db is not None and db.name != ":memory:" and db.parent.is_dir():
                private_file(db)
                for suffix in ("-wal", "-shm", "-journal"):
                    if db.with_name(db.name + suffix).exists():
                        os.chmod(db.with_name(db.name + suffix), 0o600)
        except PermissionError:
            pass

    @classmethod
    def open(cls, folder: str | Path) -> Study:
        folder = Path(folder)
        if not folder.is_dir():
            raise StoreError(f"{folder}: expected a study folder made by 'qualcode init', "
                             f"got {'a file' if folder.exists() else 'no such folder'}")
        config_path = folder / CONFIG_NAME
        if not config_path.exists():
            raise StoreError(f"{folder}: expected a study folder made by 'qualcode init', "
                             f"got a folder without {CONFIG_NAME}")
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            raise StoreError(f"{config_path}: expected the JSON written by 'qualcode init', got {exc}") from None
        url = _config_url(config_path, config)
        if url is None:  # the SQLite file beside study.json: opening must never create it
            db = folder / DB_NAME
            if not db.is_file():
                raise StoreError(f"{folder}: expected a study database {DB_NAME}, got "
                                 f"{'a folder' if db.exists() else 'none'} (was it moved or deleted?)")
            url = f"sqlite:///{db.resolve()}"
        elif url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
            raise StoreError(f"{config_path}: field 'database_url': expected an existing study database, got "
                             f"{url[:200]!r}, which does not exist (was it moved or deleted?)")
        return cls(folder, url)

    def created_at(self) -> str:
        """When the study was made (ISO 8601), or "" for a study made before this was kept."""
        with self._read() as s:
            row = s.get(StudyInfo, "created_at")
            return row.value if row is not None else ""

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Study:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ coders
    def for_user(self, name: str | None):  # noqa: ANN201 - UserStudy, imported lazily
        """The study as ``name`` may use it (role checks, the blind rule): what the app uses."""
        from qualcode.store.access import UserStudy

        return UserStudy(self, name)

    def ensure_coder(self, name: str, role: str | None = None) -> str:
        check_person_name(name)
        with self._tx() as s:
            return self._coder(s, name, role).name

    def coders(self) -> list[tuple[str, str]]:
        with self._read() as s:
            rows = s.execute(select(CoderRow.name, CoderRow.role).where(CoderRow.role != "system")
                             .order_by(CoderRow.name)).all()
        return [(n, r) for n, r in rows]

    # ------------------------------------------------------------------ codebook
    def _write_codebook(self, s: Session, codebook: Codebook, actor: str, note: str) -> int:
        lock_codebook(s)  # the next version number is read and written under one lock
        version = (s.scalar(select(func.max(CodebookVersion.id))) or 0) + 1
        s.add(CodebookVersion(id=version, name=codebook.name, description=codebook.description,
                              note=note, created_by=actor))
        s.flush()
        for position, code in enumerate(codebook.codes):
            s.add(CodeRow(version=version, code_id=code.id, parent_id=code.parent, name=code.name,
                          definition=code.definition, include=_json(list(code.include)),
                          exclude=_json(list(code.exclude)), examples=_json(list(code.examples)),
                          position=position, color=code.color, guid=code.guid, is_codable=code.is_codable))
        self._audit(s, actor, "codebook_version", "codebook", version, None,
                    {"name": codebook.name, "codes": codebook.ids(), "note": note})
        return version

    def set_codebook(self, codebook: Codebook, actor: str = "system", note: str = "") -> int:
        """Store ``codebook`` as a new version; earlier versions stay as they were."""
        with self._tx() as s:
            return self._write_codebook(s, codebook, actor, note or "new version")

    def codebook_version(self) -> int | None:
        with self._read() as s:
            return s.scalar(select(func.max(CodebookVersion.id)))

    def codebook(self, version: int | None = None) -> Codebook:
        with self._read() as s:
            return self._read_codebook(s, version)

    def _read_codebook(self, s: Session, version: int | None = None) -> Codebook:
        if version is None:
            version = s.scalar(select(func.max(CodebookVersion.id)))
        head = s.get(CodebookVersion, version) if version is not None else None
        if head is None:
            raise StoreError(f"{self.folder}: expected a codebook" +
                             (f" version {version}" if version is not None else "") +
                             ", got none (add one with 'qualcode codebook STUDY FILE')")
        rows = s.scalars(select(CodeRow).where(CodeRow.version == version)
                         .order_by(CodeRow.position)).all()
        codes = tuple(Code(id=r.code_id, name=r.name, definition=r.definition, parent=r.parent_id,
                           include=tuple(json.loads(r.include)), exclude=tuple(json.loads(r.exclude)),
                           examples=tuple(json.loads(r.examples)), color=r.color or "",
                           guid=r.guid or "", is_codable=bool(r.is_codable)) for r in rows)
        return Codebook(name=head.name, codes=codes, version=version, description=head.description)

    def codebook_versions(self) -> list[CodebookVersionInfo]:
        with self._read() as s:
            return [CodebookVersionInfo(v.id, v.name, v.note, v.created_by, v.created_at.isoformat())
                    for v in s.scalars(select(CodebookVersion).order_by(CodebookVersion.id))]

    # ------------------------------------------------------------------ participants & import
    def participants(self) -> list[Participant]:
        with self._read() as s:
            return [self._participant(r) for r in s.scalars(select(ParticipantRow).order_by(ParticipantRow.id))]

    def _upsert_participants(self, s: Session, participants: Iterable[Participant], actor: str) -> int:
        changed = 0
        for p in participants:
            row = s.get(ParticipantRow, p.participant_id)
            after = {"group": p.group, "role": p.role, "site": p.site, "speakers": list(p.speakers),
                     "attributes": dict(p.attributes)}
            if row is None:
                s.add(ParticipantRow(id=p.participant_id, group=p.group, role=p.role, site=p.site,
                                     speakers=_json(list(p.speakers)), attributes=_json(dict(p.attributes))))
                self._audit(s, actor, "create", "participant", p.participant_id, None, after)
                changed += 1
                continue
            before = {"group": row.group, "role": row.role, "site": row.site,
                      "speakers": json.loads(row.speakers), "attributes": json.loads(row.attributes)}
            if before != after:
                row.group, row.role, row.site = p.group, p.role, p.site
                row.speakers, row.attributes = _json(list(p.speakers)), _json(dict(p.attributes))
                self._audit(s, actor, "update", "participant", p.participant_id, before, after)
                changed += 1
        s.flush()
        return changed

    def _link_segments(self, s: Session, transcript_ids: Iterable[int] | None = None) -> None:
        """(Re)attach segments to participants by their speaker label."""
        link_segments(s, [self._participant(r) for r in s.scalars(select(ParticipantRow))], transcript_ids)

    def import_transcripts(self, transcripts: list[Transcript],
                           participants: list[Participant] | None = None,
                           max_words: int = 80, actor: str = "system") -> ImportReport:
        """Store transcripts (and participants) and their segments in one transaction.

        A file whose content hash is already in the study is left as it is.
        """
        report = ImportReport()
        with self._tx() as s:
            if participants:
                report.participants = self._upsert_participants(s, participants, actor)
            people = [self._participant(r) for r in s.scalars(select(ParticipantRow))]
            batch_hashes: set[str] = set()
            batch_names: dict[str, str] = {}  # transcript name → the file in this import that gave it
            for t in transcripts:
                if t.content_hash in batch_hashes or s.scalar(
                        select(TranscriptRow.id).where(TranscriptRow.content_hash == t.content_hash)):
                    report.unchanged.append(t.name)
                    continue
                if t.name in batch_names:
                    raise StoreError(f"{t.source_path or t.name}: expected a transcript name of its own, got "
                                     f"'{t.name}', the name of another file in this import "
                                     f"({batch_names[t.name]}); rename one of the two")
                batch_names[t.name] = str(t.source_path or t.name)
                if s.scalar(select(TranscriptRow.id).where(TranscriptRow.name == t.name)):
                    raise StoreError(f"{t.source_path or t.name}: expected a new transcript name, got "
                                     f"'{t.name}' which the study already holds with other content "
                                     "(rename the file to import it as a new transcript)")
                batch_hashes.add(t.content_hash)
                warnings = list(t.warnings) + self._speaker_warnings(people, t)
                report.warnings.extend(f"{t.name}: {w}" for w in warnings)
                row = TranscriptRow(name=t.name, source_path=t.source_path, source_format=t.source_format,
                                    content_hash=t.content_hash, plain_text=t.plain_text,
                                    warnings=_json(warnings))
                s.add(row)
                s.flush()
                # Segments go in as plain INSERTs, already linked to their participant
                # (see store/segment_rows.py: ORM rows one by one were the slow part).
                n = insert_segments(s, row.id, t, segment_transcript(t, max_words), people)
                report.imported.append(t.name)
                report.segments += n
                self._audit(s, actor, "import", "transcript", row.id, None,
                            {"name": t.name, "file": t.source_path, "sha256": t.content_hash,
                             "format": t.source_format, "segments": n, "warnings": warnings})
            s.flush()
            if participants:  # a changed sheet may re-link transcripts imported earlier
                link_segments(s, people)
        return report

    @staticmethod
    def _speaker_warnings(people: list[Participant], t: Transcript) -> list[str]:
        """Speakers of ``t`` that the study's participants sheet does not know (if it has one)."""
        if not people:
            return []
        unknown = [sp for sp in t.speakers()
                   if match_speaker(sp, people, t.name) is None and not is_interviewer_label(sp)]
        if not unknown:
            return []
        return ["speaker(s) not in the participants sheet: " + ", ".join(repr(u) for u in unknown[:10]) +
                (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "") +
                " (their turns are not linked to a participant: add them to the sheet or correct the labels)"]

    # ------------------------------------------------------------------ reading
    def transcripts(self) -> list[TranscriptInfo]:
        with self._read() as s:
            counts = dict(s.execute(select(SegmentRow.transcript_id, func.count())
                                    .group_by(SegmentRow.transcript_id)).all())
            people: dict[int, set[str]] = {}
            for tid, pid in s.execute(select(SegmentRow.transcript_id, SegmentRow.participant_id)
                                      .where(SegmentRow.participant_id.is_not(None)).distinct()):
                people.setdefault(tid, set()).add(pid)
            return [TranscriptInfo(r.id, r.name, r.source_format, counts.get(r.id, 0),
                                   tuple(sorted(people.get(r.id, ()))), r.imported_at.isoformat(),
                                   tuple(json.loads(r.warnings or "[]")))
                    for r in s.scalars(select(TranscriptRow).order_by(TranscriptRow.name))]

    def transcript_id(self, name_or_id: str | int) -> int:
        with self._read() as s:
            if isinstance(name_or_id, int) or str(name_or_id).isdigit():
                row = s.get(TranscriptRow, int(name_or_id))
            else:
                row = s.scalar(select(TranscriptRow).where(TranscriptRow.name == name_or_id))
            if row is None:
                raise StoreError(f"transcript: expected the name or id of a transcript in the study, "
                                 f"got {name_or_id!r}")
            return row.id

    def plain_text(self, transcript_id: int) -> str:
        with self._read() as s:
            row = s.get(TranscriptRow, transcript_id)
            if row is None:
                raise StoreError(f"transcript: expected an id in the study, got {transcript_id}")
            return row.plain_text

    def segments(self, transcript_id: int | None = None, codeable_only: bool = False,
                 ids: Iterable[int] | None = None) -> list[Segment]:
        """Segments in transcript order, with their participant's attributes.

        ``codeable_only`` leaves out the interviewer's turns and procedural lines.
        """
        query = (select(SegmentRow, TranscriptRow.name, ParticipantRow)
                 .join(TranscriptRow, SegmentRow.transcript_id == TranscriptRow.id)
                 .outerjoin(ParticipantRow, SegmentRow.participant_id == ParticipantRow.id))
        if transcript_id is not None:
            query = query.where(SegmentRow.transcript_id == transcript_id)
        if codeable_only:
            query = query.where(SegmentRow.is_interviewer.is_(False), SegmentRow.procedural.is_(False))
        if ids is not None:
            query = query.where(SegmentRow.id.in_(list(ids)))
        query = query.order_by(TranscriptRow.name, SegmentRow.start)
        with self._read() as s:
            return [Segment(id=r.id, transcript_id=r.transcript_id, transcript=tname,
                            turn_index=r.turn_index, start=r.start, end=r.end, text=r.text,
                            speaker=r.speaker, participant_id=r.participant_id,
                            group=p.group if p else "", role=p.role if p else "", site=p.site if p else "",
                            start_time=r.start_time, end_time=r.end_time,
                            is_interviewer=r.is_interviewer or r.procedural)
                    for r, tname, p in s.execute(query)]

    # ------------------------------------------------------------------ progress (memos: store/memos.py)
    def mark_done(self, transcript_id: int, coder: str) -> None:
        """``coder`` has finished ``transcript_id``: their coding on it is locked until a
        supervisor reopens it (:meth:`reopen`)."""
        with self._tx() as s:
            who = self._person(s, coder)
            if insert_ignore(s, TranscriptStatusRow, ["transcript_id", "coder_id"],
                             transcript_id=transcript_id, coder_id=who.id):
                self._audit(s, coder, "done", "transcript", transcript_id, None, {"coder": coder})

    def audit_log(self, limit: int | None = None) -> list[AuditEntry]:
        """The audit log, newest first (``limit``: only the newest so many)."""
        query = select(AuditRow).order_by(AuditRow.id.desc())
        if limit:
            query = query.limit(limit)
        with self._read() as s:
            return [AuditEntry(a.id, a.at.isoformat(), a.actor, a.action, a.entity, a.entity_id,
                               json.loads(a.before) if a.before else None,
                               json.loads(a.after) if a.after else None) for a in s.scalars(query)]

    def check_integrity(self) -> None:
        """Raise if any stored segment does not match its transcript text (never expected)."""
        with self._read() as s:
            texts = dict(s.execute(select(TranscriptRow.id, TranscriptRow.plain_text)).all())
            for seg in s.scalars(select(SegmentRow)):
                if texts[seg.transcript_id][seg.start:seg.end] != seg.text:
                    raise StoreError(f"segment {seg.id}: offsets do not match the transcript text")


__all__ = ["ImportReport", "Study", "TranscriptInfo"]
