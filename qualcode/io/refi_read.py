"""Read a whole REFI-QDA project (``.qdpx`` or ``.qde``) into plain records.

What qualcode can hold is read: text sources (and the text of PDF representations and
media transcripts where the file carries it), the codebook with hierarchy, descriptions,
colours, ``isCodable`` and GUIDs, every text coding with its exact span and its coder
(REFI users by GUID → name), notes on the project, sources, codes and codings, cases with
their variables. Everything else is counted by kind in :attr:`RefiRead.skipped`, so the
summary says plainly what did not come in (audio, video, pictures, PDF areas, sets, links,
graphs, sources whose text is not in the file). The XML itself is parsed by
:func:`qualcode.io.refi._parse` and zip members read by :func:`qualcode.io.refi.read_member`
(one place each, hardened at merge).
"""

from __future__ import annotations

import re
import zipfile
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from qualcode.errors import CodebookError
from qualcode.io import safe
from qualcode.io.refi import _children, _local, _parse, read_member, read_refi_codebook
from qualcode.records import Codebook, Participant

UNKNOWN_USER = "imported"


@dataclass(frozen=True)
class ReadCoding:
    code_id: str
    coder: str
    created_at: str = ""


@dataclass(frozen=True)
class ReadSelection:
    start: int
    end: int
    coder: str
    codings: tuple[ReadCoding, ...]
    memos: tuple[str, ...] = ()  # the selection's Description and the notes it refers to
    created_at: str = ""


@dataclass(frozen=True)
class ReadNote:
    coder: str
    text: str
    created_at: str = ""


@dataclass(frozen=True)
class ReadSource:
    guid: str
    name: str
    text: str
    kind: str  # TextSource, PDFSource (its text representation), Transcript (of audio or video)
    selections: tuple[ReadSelection, ...] = ()
    notes: tuple[ReadNote, ...] = ()


@dataclass
class RefiRead:
    name: str
    origin: str
    codebook: Codebook | None
    users: dict[str, str]  # GUID (upper case) → name
    sources: list[ReadSource] = field(default_factory=list)
    participants: list[Participant] = field(default_factory=list)
    case_sources: dict[str, list[str]] = field(default_factory=dict)  # participant → source names
    project_notes: list[ReadNote] = field(default_factory=list)
    code_notes: dict[str, list[ReadNote]] = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)

    def counts(self) -> dict[str, int]:
        selections = [sel for s in self.sources for sel in s.selections]
        return {"sources": len(self.sources), "codes": len(self.codebook) if self.codebook else 0,
                "codings": sum(len(sel.codings) for sel in selections),
                "coders": len({c.coder for sel in selections for c in sel.codings}),
                "notes": (len(self.project_notes) + sum(len(v) for v in self.code_notes.values())
                          + sum(len(s.notes) for s in self.sources) + sum(len(sel.memos) for sel in selections)),
                "cases": len(self.participants)}


def offset_map(raw: str, text: str, spans: list[tuple[int, int]]):  # noqa: ANN201
    """How this file counts offsets, as a function: file offset → index in ``text``.

    ``text`` is ``raw`` with ``\\r\\n`` as ``\\n``. The standard counts characters, and
    QualCoder and ATLAS.ti count ``\\r\\n`` as one; NVivo 12 counts UTF-16 code units (an
    emoji is two) and ``\\r\\n`` as two. The reading under which most selections begin
    and end at word boundaries is taken (the standard's wins ties)."""
    crlf = [m.start() - k for k, m in enumerate(re.finditer("\r\n", raw))]  # text index of each such \n
    astral = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF]
    if not spans or (not crlf and not astral):
        return lambda offset: offset

    def reading(utf16: bool, cr: bool):  # noqa: ANN202
        def units(i: int) -> int:
            return i + (bisect_left(astral, i) if utf16 else 0) + (bisect_right(crlf, i) if cr else 0)

        top = units(len(text))

        def where(u: int) -> int | None:
            if not 0 <= u <= top:
                return None
            lo, hi = 0, len(text)
            while lo < hi:  # the first index whose unit offset is at least u (a \r maps to its \n)
                mid = (lo + hi) // 2
                lo, hi = (lo, mid) if units(mid) >= u else (mid + 1, hi)
            return lo
        return where

    def at_start(p: int | None) -> bool:
        return p is not None and (p == 0 or not text[p - 1].isalnum())

    def at_end(p: int | None) -> bool:
        return p is not None and (p == len(text) or not text[p].isalnum())

    readings = [reading(u, c) for u in ((False, True) if astral else (False,))
                for c in ((False, True) if crlf else (False,))]
    return max(readings, key=lambda w: sum(at_start(w(a)) + at_end(w(b)) for a, b in spans))


def _date(el: ET.Element) -> str:
    value = el.get("creationDateTime") or el.get("modifiedDateTime") or ""
    return value.replace("T", " ").rstrip("Z")[:19]


def _text_of(el: ET.Element, name: str) -> str:
    found = _children(el, name)
    return (found[0].text or "") if found else ""


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.root = _parse(path)
        if _local(self.root.tag) != "Project":
            raise CodebookError(path, "a REFI-QDA <Project> (.qdpx or .qde)", f"<{_local(self.root.tag)}>")
        self.zip = safe.open_zip(path, path, "a REFI-QDA project (.qdpx, a zip archive)") if zipfile.is_zipfile(path) else None
        self.members = {n.lower(): n for n in self.zip.namelist()} if self.zip else {}
        self.users = {u.get("guid", "").upper(): (u.get("name") or u.get("id") or UNKNOWN_USER)
                      for us in _children(self.root, "Users") for u in _children(us, "User")}
        self.codebook = read_refi_codebook(path, root=self.root) if self._has_codes() else None
        self.code_ids = {c.guid.upper(): c.id for c in (self.codebook.codes if self.codebook else ())}
        self.notes: dict[str, ET.Element] = {n.get("guid", "").upper(): n for ns in _children(self.root, "Notes")
                                             for n in _children(ns, "Note")}
        self.used_notes: set[str] = set()
        self.skipped: Counter = Counter()

    def _has_codes(self) -> bool:
        return any(_local(el.tag) == "Code" for el in self.root.iter())

    def user(self, el: ET.Element, fallback: str = UNKNOWN_USER) -> str:
        g = (el.get("creatingUser") or el.get("modifyingUser") or "").upper()
        return self.users.get(g, fallback)

    def file_text(self, ref: str) -> str | None:
        """The text an ``internal://`` path points to, if this file holds it."""
        if not ref.startswith("internal://"):
            return None
        name = ref[len("internal://"):]
        what = f"the text of source {name!r}"
        if self.zip is None:  # a project.qde unzipped beside its sources/ folder
            if not safe.safe_member_name(name) or "/" in name.replace("\\", "/"):
                raise CodebookError(self.path, "a source file name inside the project's sources/ folder",
                                 repr(name[:200]))
            for folder in ("sources", "Sources"):
                beside = self.path.parent / folder / name
                if beside.is_file():
                    return safe.decode_utf8(safe.read_bytes(beside, what, CodebookError), beside, what, CodebookError)
            return None
        member = self.members.get(("sources/" + name).lower()) or self.members.get(name.lower())
        if member is None:
            return None
        return safe.decode_utf8(read_member(self.zip, member, self.path), self.path, f"{what} ({member})",
                               CodebookError)

    def source_text(self, el: ET.Element) -> str | None:
        inline = _children(el, "PlainTextContent")
        if inline:
            return inline[0].text or ""
        return self.file_text(el.get("plainTextPath") or "")

    def note(self, guid: str) -> ReadNote | None:
        el = self.notes.get(guid.upper())
        if el is None:
            return None
        self.used_notes.add(guid.upper())
        parts = [_text_of(el, "Description").strip(), (self.source_text(el) or "").strip()]
        text = "\n\n".join(p for p in parts if p) or (el.get("name") or "").strip()
        return ReadNote(self.user(el), text, _date(el)) if text else None

    def refs(self, el: ET.Element) -> list[ReadNote]:
        return [n for r in _children(el, "NoteRef") if (n := self.note(r.get("targetGUID", "")))]

    def selections(self, el: ET.Element, raw: str, text: str, source_user: str) -> list[ReadSelection]:
        out = []
        found = []
        for sel in _children(el, "PlainTextSelection"):
            try:
                found.append((sel, int(sel.get("startPosition", "")), int(sel.get("endPosition", ""))))
            except ValueError:
                raise CodebookError(self.path, "whole-number startPosition and endPosition",
                                    f"{sel.get('startPosition')!r}, {sel.get('endPosition')!r} on selection "
                                    f"{sel.get('guid')}", field="startPosition") from None
        where = offset_map(raw, text, [(a, b) for _, a, b in found])
        for sel, start, end in found:
            start, end = where(start), where(end)
            if start is None or end is None or not 0 <= start <= end <= len(text):
                if _children(sel, "Coding"):
                    self.skipped["codings outside their source's text"] += len(_children(sel, "Coding"))
                continue
            coder = self.user(sel, source_user)
            codings = []
            for c in _children(sel, "Coding"):
                ref = next(iter(_children(c, "CodeRef")), None)
                code_id = self.code_ids.get((ref.get("targetGUID", "") if ref is not None else "").upper())
                if code_id is None:
                    self.skipped["codings of a code not in the codebook (e.g. case codings)"] += 1
                    continue
                codings.append(ReadCoding(code_id, self.user(c, coder), _date(c) or _date(sel)))
            memos = [d for d in [_text_of(sel, "Description").strip()] if d]
            memos += [n.text for n in self.refs(sel)]
            memos += [n.text for c in _children(sel, "Coding") for n in self.refs(c)]  # notes on one coding
            if codings or memos:
                out.append(ReadSelection(start, end, coder, tuple(codings), tuple(memos), _date(sel)))
        return out

    def text_source(self, el: ET.Element, name: str, kind: str) -> ReadSource | None:
        raw = self.source_text(el)
        if raw is None:
            return None
        text = raw.replace("\r\n", "\n")
        user = self.user(el)
        notes = self.refs(el)
        description = _text_of(el, "Description").strip()
        if description:
            notes.insert(0, ReadNote(user, description, _date(el)))
        if _children(el, "VariableValue"):
            self.skipped["document variables"] += len(_children(el, "VariableValue"))
        return ReadSource(el.get("guid", "").upper(), name, text, kind,
                          tuple(self.selections(el, raw, text, user)), tuple(notes))

    def skip(self, el: ET.Element, kind: str) -> None:
        """Count ``el`` as skipped, with the codings inside it."""
        self.skipped[kind] += 1
        codings = sum(1 for c in el.iter() if _local(c.tag) == "Coding")
        if codings:
            self.skipped["codings on sources not imported"] += codings
        memos = sum(1 for c in el.iter() if _local(c.tag).endswith("Selection") and _text_of(c, "Description").strip())
        if memos:
            self.skipped["coding memos on sources not imported"] += memos

    def sources(self) -> list[ReadSource]:
        out: list[ReadSource] = []
        for sources in _children(self.root, "Sources"):
            for el in sources:
                kind, name = _local(el.tag), el.get("name") or el.get("guid", "source")
                if kind == "TextSource":
                    src = self.text_source(el, name, kind)
                    if src is None:
                        self.skip(el, "text sources whose text is not in the file")
                    else:
                        out.append(src)
                elif kind == "PDFSource":
                    reps = [src for rep in _children(el, "Representation")
                            if (src := self.text_source(rep, name, kind)) is not None]
                    if reps:
                        out.extend(reps)
                        for area in _children(el, "PDFSelection"):
                            self.skip(area, "PDF areas")
                    else:
                        self.skip(el, "PDF sources without text")
                elif kind in ("AudioSource", "VideoSource"):
                    texts = [(tr, self.text_source(tr, f"{name} (transcript)", "Transcript"))
                             for tr in _children(el, "Transcript")]
                    if not any(src for _, src in texts):
                        self.skip(el, "audio" if kind == "AudioSource" else "video")
                        continue
                    self.skipped["audio" if kind == "AudioSource" else "video"] += 1
                    for tr, src in texts:
                        if src is not None:
                            out.append(src)
                        for sel in _children(tr, "TranscriptSelection"):
                            self.skip(sel, "time-synced transcript selections")
                    for sel in el:
                        if _local(sel.tag) in ("AudioSelection", "VideoSelection", "Coding"):
                            self.skip(sel, "audio and video clips")
                elif kind == "PictureSource":
                    self.skip(el, "pictures")
        names: Counter = Counter()
        unique = []
        for src in out:  # two sources of one name: the second gets " (2)"
            names[src.name] += 1
            unique.append(src if names[src.name] == 1 else
                          ReadSource(src.guid, f"{src.name} ({names[src.name]})", src.text, src.kind,
                                     src.selections, src.notes))
        return unique

    def cases(self, source_names: dict[str, str]) -> tuple[list[Participant], dict[str, list[str]]]:
        variables = {v.get("guid", "").upper(): v.get("name", "") for vs in _children(self.root, "Variables")
                     for v in _children(vs, "Variable")}
        people, links = [], {}
        for cases in _children(self.root, "Cases"):
            for case in _children(cases, "Case"):
                pid = (case.get("name") or case.get("guid", "")).strip()
                values: dict[str, str] = {}
                for vv in _children(case, "VariableValue"):
                    ref = next(iter(_children(vv, "VariableRef")), None)
                    key = variables.get((ref.get("targetGUID", "") if ref is not None else "").upper())
                    value = next((c.text or "" for c in vv if _local(c.tag).endswith("Value")), "")
                    if key:
                        values[key] = value
                attrs = {k: v for k, v in values.items() if k not in ("group", "role", "site")}
                description = _text_of(case, "Description").strip()
                if description:
                    attrs.setdefault("description", description)
                people.append(Participant(pid, values.get("group", ""), values.get("role", ""),
                                          values.get("site", ""), (), attrs))
                links[pid] = [source_names[r.get("targetGUID", "").upper()] for r in _children(case, "SourceRef")
                              if r.get("targetGUID", "").upper() in source_names]
                refs = len(_children(case, "SelectionRef")) + len(_children(case, "CodeRef"))
                if refs:
                    self.skipped["case selections and case codes"] += refs
        return people, links

    def code_notes(self) -> dict[str, list[ReadNote]]:
        out: dict[str, list[ReadNote]] = {}
        for el in self.root.iter():
            if _local(el.tag) == "Code" and el.get("guid", "").upper() in self.code_ids:
                notes = self.refs(el)
                if notes:
                    out[self.code_ids[el.get("guid", "").upper()]] = notes
        return out

    def read(self) -> RefiRead:
        sources = self.sources()
        people, links = self.cases({s.guid: s.name for s in sources})
        code_notes = self.code_notes()
        project = self.refs(self.root)
        description = _text_of(self.root, "Description").strip()
        if description:
            project.insert(0, ReadNote(self.user(self.root), description, _date(self.root)))
        for g in self.notes:  # a note nothing refers to (a journal, a memo linked by a Link) is a project memo
            if g not in self.used_notes and (n := self.note(g)):
                project.append(n)
        for kind in ("Sets", "Links", "Graphs"):
            for el in _children(self.root, kind):
                if len(el):
                    self.skipped[kind.lower()] += len(el)
        return RefiRead(self.root.get("name") or self.path.stem, self.root.get("origin", ""), self.codebook,
                        self.users, sources, people, links, project, code_notes, self.skipped)


def read_refi_project(path: str | Path) -> RefiRead:
    """Everything qualcode can hold from a ``.qdpx`` or ``.qde`` (see the module docstring)."""
    reader = _Reader(Path(path))
    try:
        return reader.read()
    finally:
        if reader.zip is not None:
            reader.zip.close()


def iter_refi_codings(path: str | Path) -> Iterable[tuple[str, int, int, str]]:
    """(source name, start, end, code name) of every coded text selection in a project."""
    path = Path(path)
    root = _parse(path)
    names = {}
    for code in root.iter():
        if _local(code.tag) == "Code" and code.get("guid"):
            names[code.get("guid").upper()] = code.get("name", "")
    for src in root.iter():
        if _local(src.tag) != "TextSource":
            continue
        for sel in _children(src, "PlainTextSelection"):
            for coding in _children(sel, "Coding"):
                for ref in _children(coding, "CodeRef"):
                    yield (src.get("name", ""), int(sel.get("startPosition")), int(sel.get("endPosition")),
                           names.get(ref.get("targetGUID", "").upper(), ""))


def source_texts(path: str | Path) -> dict[str, str]:
    """Source name → plain text of a ``.qdpx`` (from ``sources/`` or ``Sources/``, or inline)."""
    path = Path(path)
    root = _parse(path)
    out: dict[str, str] = {}
    with safe.open_zip(path, path, "a REFI-QDA project (.qdpx, a zip archive)") as z:
        members = {n.lower(): n for n in z.namelist()}
        for src in root.iter():
            if _local(src.tag) != "TextSource":
                continue
            inline = _children(src, "PlainTextContent")
            if inline:
                out[src.get("name", "")] = inline[0].text or ""
                continue
            ref = src.get("plainTextPath", "")
            if ref.startswith("internal://"):
                member = members.get(("sources/" + ref[len("internal://"):]).lower())
                if member:
                    out[src.get("name", "")] = safe.decode_utf8(read_member(z, member, path), path,
                                                                f"the text of source {member!r}", CodebookError)
    return out
