"""REFI-QDA exchange files: codebooks (``.qdc``) and projects (``.qdpx``), out and in.

The Rotterdam Exchange Format Initiative's XML is what NVivo, ATLAS.ti, MAXQDA, QualCoder
and Taguette exchange. What is written validates against the standard's XSDs
(``Codebook.xsd``, namespace ``urn:QDA-XML:codebook:1.0``; ``Project.xsd``,
``urn:QDA-XML:project:1.0``; checked in the tests), and is written for what each tool's
importer reads (QualCoder's ``RefiImport`` was run on it, headless):

* ``Project``: ``name``, ``origin``, ``creationDateTime``; ``Users`` only when someone coded
  or wrote a memo (an empty ``<Users/>`` fails the XSD); no empty ``Notes``/``Cases``/…;
* ``Code``: ``guid`` (the one it was imported with, else UUID 5 of study and id: stable
  across exports, so a tool recognises its codes), ``name``, ``isCodable``, ``color``
  (``#RRGGBB``); ``Description`` = definition, then ``Include:``, ``Exclude:`` and
  ``Examples:`` lines, which :func:`read_refi_codebook` reads back (QualCoder: the code
  memo); a code memo is a ``NoteRef`` on the code (NVivo, ATLAS.ti);
* ``TextSource``: ``plainTextPath="internal://GUID.txt"`` (the zip's ``sources/GUID.txt``,
  UTF-8, the exact plain text the offsets index, in characters), ``creationDateTime``;
* ``PlainTextSelection``: ONE PER CODER, since QualCoder takes every coding's owner from the
  selection's ``creatingUser``; ``creationDateTime``/``modifiedDateTime``; its
  ``Description`` is the coding memo (QualCoder, MAXQDA, ATLAS.ti read it there; a memo with
  no coding becomes a QualCoder annotation); the user ``final``'s selection holds the
  adjudicated codes and, as description, ``Adjudicated by NAME: CODE: rationale`` lines;
  each ``Coding`` has ``creatingUser`` and ``creationDateTime``; span codings are
  selections at their own offsets;
* transcript memos: a ``NoteRef`` directly under ``TextSource``; its ``Note`` (with
  ``creatingUser`` and ``creationDateTime``, which QualCoder needs) holds
  ``PlainTextContent`` and a ``PlainTextSelection`` over the whole text (QualCoder: an
  annotation; NVivo/ATLAS.ti: a linked memo);
* project memos: a ``Note`` with ``plainTextPath`` to ``sources/GUID.txt`` (QualCoder: a
  journal) and a ``NoteRef`` at the end of ``Project`` (the standard's project notes);
* participants: ``Cases`` with ``VariableValue``/``TextValue`` for group, role, site and
  every attribute (``Variables``, ``typeOfVariable="Text"``) and ``SourceRef`` to their
  transcripts.

Characters XML 1.0 forbids (``\x0b``, ``\x0c`` from Word, other C0 controls) become one
space each, in the XML and in the exported source text alike, so the file is well formed
and every offset still indexes the same characters.

Reading is tolerant, as real files demand (see ``shared/data/refi-samples``): an empty
``<Sets/>`` (Taguette), ``Sources/`` or ``sources/``, ``project.qde`` or
``Project.qde``, GUIDs in either case, codebooks of version 0.4 or 1.0. Whole projects are
read by :mod:`qualcode.io.refi_read`; all XML parsing happens in :func:`_parse` and every
zip member is read by :func:`read_member`.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from qualcode.errors import CodebookError
from qualcode.io.atomic import write_atomic
from qualcode.records import Code, Codebook, Participant

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
_RGB = re.compile(r"#[0-9A-Fa-f]{6}")
_GUID_ROOT = uuid.UUID("6f1c1b0e-2d4b-5a53-9a52-7175616c636f")  # fixed: stable GUIDs across exports


def guid(*parts: object) -> str:
    return str(uuid.uuid5(_GUID_ROOT, "/".join(str(p) for p in parts))).upper()


def code_description(code: Code) -> str:
    lines = [code.definition.strip()]
    if code.include:
        lines.append("Include: " + "; ".join(code.include))
    if code.exclude:
        lines.append("Exclude: " + "; ".join(code.exclude))
    if code.examples:
        lines.append("Examples:")
        lines += [f"- {e}" for e in code.examples]
    return "\n".join(lines)


def _codes_element(parent: ET.Element, ns: str, codebook: Codebook, scope: str) -> dict[str, str]:
    """Nested ``<Codes>``; returns code id → GUID."""
    guids: dict[str, str] = {}
    codes = ET.SubElement(parent, f"{{{ns}}}Codes")

    def add(into: ET.Element, code: Code) -> None:
        guids[code.id] = code.guid or guid(scope, "code", code.id)
        attrs = {"guid": guids[code.id], "name": xml_safe(code.name),
                 "isCodable": "true" if code.is_codable else "false"}
        if _RGB.fullmatch(code.color or ""):
            attrs["color"] = code.color.upper()
        el = ET.SubElement(into, f"{{{ns}}}Code", attrs)
        description = code_description(code)
        if description.strip():
            ET.SubElement(el, f"{{{ns}}}Description").text = xml_safe(description)
        for child in codebook.children(code.id):
            add(el, child)

    for root in codebook.roots():
        add(codes, root)
    return guids


def _xml_bytes(root: ET.Element, ns: str) -> bytes:
    ET.register_namespace("", ns)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def codebook_qdc(codebook: Codebook, scope: str = "qualcode", origin: str = "qualcode") -> bytes:
    """The ``.qdc`` XML of a codebook."""
    root = ET.Element(f"{{{CODEBOOK_NS}}}CodeBook", {"origin": origin})
    _codes_element(root, CODEBOOK_NS, codebook, scope)
    return _xml_bytes(root, CODEBOOK_NS)


@dataclass(frozen=True)
class RefiNote:
    """A memo: who wrote it, when (ISO date-times, UTC) and its text."""

    coder: str
    text: str
    created_at: str = ""
    updated_at: str = ""
    key: str = ""  # stable identity, e.g. the memo id


@dataclass(frozen=True)
class RefiCoding:
    code_id: str
    created_at: str = ""


@dataclass(frozen=True)
class RefiSelection:
    """One coder's coded (or annotated) stretch ``[start, end)`` of a source.

    QualCoder takes the coder of every coding from the selection's ``creatingUser``, so
    each coder gets a selection of their own; ``description`` is the coding memo
    (QualCoder, MAXQDA and ATLAS.ti read it there). For the user ``final`` it names the
    adjudicator and rationale of each code.
    """

    key: str  # stable identity, e.g. the segment id
    start: int
    end: int
    coder: str
    codings: tuple[RefiCoding, ...] = ()
    description: str = ""
    created_at: str = ""


@dataclass(frozen=True)
class RefiSource:
    name: str
    plain_text: str
    selections: tuple[RefiSelection, ...] = ()
    notes: tuple[RefiNote, ...] = ()  # transcript memos
    created_at: str = ""


@dataclass(frozen=True)
class RefiProject:
    name: str
    codebook: Codebook
    users: tuple[str, ...]
    sources: tuple[RefiSource, ...]
    participants: tuple[Participant, ...] = ()
    cases_sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # participant → source names
    origin: str = "qualcode"
    notes: tuple[RefiNote, ...] = ()  # project memos
    code_notes: Mapping[str, tuple[RefiNote, ...]] = field(default_factory=dict)  # code id → memos
    created_at: str = ""


# XML 1.0 allows only these characters; text pasted from Word often has \x0b or \x0c.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """``text`` with each character XML 1.0 forbids replaced by one space.

    One character for one keeps every offset: the exported source text and the
    selections' positions still index each other (and the study's own text, apart from
    those characters)."""
    return _NOT_XML.sub(" ", text)


def _date(value: str) -> str | None:
    """An ISO date-time from the store (UTC, naive) as ``xsd:dateTime`` with ``Z``."""
    value = (value or "").strip()
    if len(value) < 19:
        return None
    return value[:10] + "T" + value[11:19] + "Z"


def _attrs(**items: str | None) -> dict[str, str]:
    return {k: xml_safe(v) for k, v in items.items() if v}


def project_qde(project: RefiProject) -> tuple[bytes, dict[str, str]]:
    """``project.qde`` XML and the files it points to (zip member → text).

    Written for the importers of QualCoder, NVivo, ATLAS.ti and MAXQDA (see the module
    docstring for which element each reads); every optional container is left out when
    it would be empty, since the XSD refuses an empty ``<Users/>`` or ``<Notes/>``.
    """
    ns, scope = PROJECT_NS, project.name
    q = lambda tag: f"{{{ns}}}{tag}"  # noqa: E731
    root = ET.Element(q("Project"), _attrs(name=project.name, origin=project.origin,
                                           creationDateTime=_date(project.created_at)))
    coders = list(dict.fromkeys(project.users))
    for note in _all_notes(project):
        if note.coder not in coders:
            coders.append(note.coder)
    user_guid = {name: guid(scope, "user", name) for name in coders}
    if coders:
        users = ET.SubElement(root, q("Users"))
        for name in coders:
            ET.SubElement(users, q("User"), _attrs(guid=user_guid[name], name=name))
    code_guid = _project_codebook(root, q, project, scope)
    keys = ["group", "role", "site"] + sorted({k for p in project.participants for k in p.attributes})
    keys = [k for k in dict.fromkeys(keys) if any(_attribute(p, k) for p in project.participants)]
    if keys:
        variables = ET.SubElement(root, q("Variables"))
        for k in keys:
            ET.SubElement(variables, q("Variable"), _attrs(guid=guid(scope, "variable", k), name=k,
                                                           typeOfVariable="Text"))
    source_guid = {s.name: guid(scope, "source", s.name) for s in project.sources}
    if project.participants:
        cases = ET.SubElement(root, q("Cases"))
        for p in project.participants:
            case = ET.SubElement(cases, q("Case"), _attrs(guid=guid(scope, "case", p.participant_id),
                                                          name=p.participant_id))
            for k in keys:
                if _attribute(p, k):
                    value = ET.SubElement(case, q("VariableValue"))
                    ET.SubElement(value, q("VariableRef"), {"targetGUID": guid(scope, "variable", k)})
                    ET.SubElement(value, q("TextValue")).text = xml_safe(_attribute(p, k))
            for name in project.cases_sources.get(p.participant_id, ()):
                if name in source_guid:
                    ET.SubElement(case, q("SourceRef"), {"targetGUID": source_guid[name]})
    files: dict[str, str] = {}
    notes: list[tuple[str, RefiNote, ET.Element | None]] = []  # guid, note, selection it annotates
    if project.sources:
        sources = ET.SubElement(root, q("Sources"))
        for src in project.sources:
            g = source_guid[src.name]
            el = ET.SubElement(sources, q("TextSource"), _attrs(
                guid=g, name=src.name, plainTextPath=f"internal://{g}.txt",
                creationDateTime=_date(src.created_at)))
            files[f"sources/{g}.txt"] = xml_safe(src.plain_text)
            for sel in src.selections:
                _selection(el, q, scope, src, sel, user_guid, code_guid)
            for note in src.notes:
                ng = guid(scope, "note", "source", src.name, note.key)
                ET.SubElement(el, q("NoteRef"), {"targetGUID": ng})
                whole = ET.Element(q("PlainTextSelection"), _attrs(
                    guid=guid(scope, "note-selection", src.name, note.key), startPosition="0",
                    endPosition=str(len(src.plain_text)), creatingUser=user_guid.get(note.coder),
                    creationDateTime=_date(note.created_at)))
                notes.append((ng, note, whole))
    code_refs = {cid: [(guid(scope, "note", "code", cid, n.key), n) for n in ns_]
                 for cid, ns_ in project.code_notes.items() if cid in code_guid}
    for el in root.iter(q("Code")):
        for ng, note in code_refs.get(_code_id_of(el, code_guid), ()):
            _insert_code_noteref(el, q, ng)
            notes.append((ng, note, None))
    project_refs = []
    for note in project.notes:
        ng = guid(scope, "note", "project", note.key)
        files[f"sources/{ng}.txt"] = xml_safe(note.text)
        project_refs.append(ng)
        notes.append((ng, note, None))
    if notes:
        notes_el = ET.SubElement(root, q("Notes"))
        project_set = set(project_refs)
        for ng, note, whole in notes:
            title = note.text.strip().splitlines()[0][:60] if note.text.strip() else "Memo"
            attrs = _attrs(guid=ng, name=f"{title} ({note.coder})", creatingUser=user_guid.get(note.coder),
                           creationDateTime=_date(note.created_at) or _date(project.created_at),
                           modifyingUser=user_guid.get(note.coder), modifiedDateTime=_date(note.updated_at))
            if ng in project_set:  # QualCoder reads a Note with a plainTextPath as a journal
                attrs["plainTextPath"] = f"internal://{ng}.txt"
            el = ET.SubElement(notes_el, q("Note"), attrs)
            if ng not in project_set:
                ET.SubElement(el, q("PlainTextContent")).text = xml_safe(note.text)
            if whole is not None:
                el.append(whole)
    for ng in project_refs:  # notes on the project as a whole
        ET.SubElement(root, q("NoteRef"), {"targetGUID": ng})
    return _xml_bytes(root, ns), files


def _all_notes(project: RefiProject) -> list[RefiNote]:
    out = list(project.notes)
    for notes in project.code_notes.values():
        out.extend(notes)
    for src in project.sources:
        out.extend(src.notes)
    return out


def _project_codebook(root: ET.Element, q, project: RefiProject, scope: str) -> dict[str, str]:  # noqa: ANN001
    if not len(project.codebook):
        return {}
    codebook = ET.SubElement(root, q("CodeBook"))
    return _codes_element(codebook, PROJECT_NS, project.codebook, scope)


def _code_id_of(el: ET.Element, code_guid: dict[str, str]) -> str | None:
    by_guid = {g: cid for cid, g in code_guid.items()}
    return by_guid.get(el.get("guid"))


def _insert_code_noteref(code_el: ET.Element, q, note_guid: str) -> None:  # noqa: ANN001
    """NoteRef after the Description and before child Codes (the XSD's order)."""
    position = sum(1 for c in code_el if c.tag in (q("Description"), q("NoteRef")))
    ref = ET.Element(q("NoteRef"), {"targetGUID": note_guid})
    code_el.insert(position, ref)


def _selection(parent: ET.Element, q, scope: str, src: RefiSource, sel: RefiSelection,  # noqa: ANN001
               user_guid: dict[str, str], code_guid: dict[str, str]) -> None:
    codings = [c for c in sel.codings if c.code_id in code_guid]
    if not codings and not sel.description.strip():
        return
    user = user_guid.get(sel.coder)
    created = _date(sel.created_at) or min((_date(c.created_at) or "" for c in codings), default="") or None
    el = ET.SubElement(parent, q("PlainTextSelection"), _attrs(
        guid=guid(scope, "selection", src.name, sel.key, sel.coder),
        name=" ".join(src.plain_text[sel.start:sel.end].split())[:60],
        startPosition=str(sel.start), endPosition=str(sel.end), creatingUser=user,
        creationDateTime=created, modifyingUser=user, modifiedDateTime=created))
    if sel.description.strip():
        ET.SubElement(el, q("Description")).text = xml_safe(sel.description)
    for c in codings:
        coding = ET.SubElement(el, q("Coding"), _attrs(
            guid=guid(scope, "coding", src.name, sel.key, c.code_id, sel.coder), creatingUser=user,
            creationDateTime=_date(c.created_at) or created))
        ET.SubElement(coding, q("CodeRef"), {"targetGUID": code_guid[c.code_id]})


def _attribute(p: Participant, key: str) -> str:
    if key in ("group", "role", "site"):
        return getattr(p, key) or ""
    return str(p.attributes.get(key, "") or "")


def qdpx_bytes(project: RefiProject) -> bytes:
    """The ``.qdpx`` zip: ``project.qde`` and ``sources/<guid>.txt``."""
    xml, files = project_qde(project)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", xml)
        for name, text in files.items():
            z.writestr(name, text.encode("utf-8"))
    return buf.getvalue()


def write_qdpx(project: RefiProject, path: str | Path) -> Path:
    """Write the ``.qdpx`` zip atomically (a temporary name, then renamed)."""
    write_atomic(path, qdpx_bytes(project))
    return Path(path)


def write_qdc(codebook: Codebook, path: str | Path, scope: str = "qualcode") -> Path:
    write_atomic(path, codebook_qdc(codebook, scope))
    return Path(path)


# ---------------------------------------------------------------------------- reading
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _parse_description(text: str) -> tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    definition, include, exclude, examples = [], (), (), []
    in_examples = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("Include:"):
            include, in_examples = tuple(x.strip() for x in stripped[8:].split(";") if x.strip()), False
        elif stripped.startswith("Exclude:"):
            exclude, in_examples = tuple(x.strip() for x in stripped[8:].split(";") if x.strip()), False
        elif stripped == "Examples:":
            in_examples = True
        elif in_examples and stripped.startswith("- "):
            examples.append(stripped[2:])
        else:
            in_examples = False
            definition.append(line)
    return "\n".join(definition).strip(), include, exclude, tuple(examples)


def _slug(name: str) -> str:
    """A code id from a name: Unicode letters kept ("sárga" stays "sárga"), lower case, ``_`` between words."""
    s = re.sub(r"[^\w.\-]+", "_", name.strip()).strip("_.-").lower()
    return s or "code"


MAX_MEMBER_BYTES = 200 * 1024 * 1024  # one source text or project.qde; larger is refused, not read


def read_member(z: zipfile.ZipFile, member: str, path: Path) -> bytes:
    """One zip member's bytes: every read from a ``.qdpx`` goes through here, bounded and
    hardened by :func:`qualcode.io.safe.read_zip_member` (corrupt, encrypted or unknown
    compression members refused, sizes and ratios checked while reading)."""
    from qualcode.io import safe

    info = z.getinfo(member)
    if info.file_size > MAX_MEMBER_BYTES:
        raise CodebookError(path, f"zip members of at most {MAX_MEMBER_BYTES // 2**20} MB",
                            f"{member} of {info.file_size // 2**20} MB")
    return safe.read_zip_member(z, member, path, MAX_MEMBER_BYTES)


def _xml_from(path: Path) -> bytes:
    from qualcode.io import safe

    if zipfile.is_zipfile(path):
        with safe.open_zip(path, path, "a REFI-QDA project (.qdpx, a zip archive)") as z:
            names = {n.lower(): n for n in z.namelist()}
            member = names.get("project.qde") or next((n for k, n in names.items() if k.endswith(".qde")), None)
            if member is None:
                raise CodebookError(path, "a REFI-QDA project (.qdpx) with project.qde inside",
                                    ", ".join(sorted(z.namelist())[:5]) or "an empty zip")
            return safe.read_zip_member(z, member, path, MAX_MEMBER_BYTES)
    return safe.read_bytes(path, "a readable REFI-QDA file", CodebookError, safe.MAX_XML_BYTES)


def _parse(path: Path) -> ET.Element:
    """The XML root of a ``.qdc``, ``.qde`` or ``.qdpx``; a bad file is a one-line error.

    Parsing is hardened in :func:`qualcode.io.safe.parse_xml` (no DTD or entities, size,
    depth and element limits, unknown encodings refused)."""
    from qualcode.io import safe

    return safe.parse_xml(_xml_from(path), path, "REFI-QDA XML", CodebookError, code_tag="Code")


def read_refi_codebook(path: str | Path, root: ET.Element | None = None) -> Codebook:
    """The codebook of a ``.qdc``, ``.qde`` or ``.qdpx`` file.

    Ids come from the code names (lower case, Unicode letters kept, ``_`` for spaces and
    punctuation, made unique with ``_2``, ``_3`` …); a code without a description gets its
    name as definition, so that the codebook prior still has something to read. GUIDs
    (upper case), colours and ``isCodable`` are kept.
    """
    path = Path(path)
    root = _parse(path) if root is None else root
    if _local(root.tag) == "Project":
        books = _children(root, "CodeBook")
        codes_parent = _children(books[0], "Codes") if books else []
    elif _local(root.tag) == "CodeBook":
        codes_parent = _children(root, "Codes")
    else:
        raise CodebookError(path, "a REFI-QDA <CodeBook> or <Project>", f"<{_local(root.tag)}>")
    out: list[Code] = []
    seen: set[str] = set()

    def walk(el: ET.Element, parent: str | None) -> None:
        for c in _children(el, "Code"):
            name = (c.get("name") or "").strip()
            if not name:
                raise CodebookError(path, "a name on every <Code>", f"none on code {c.get('guid', '?')}",
                                    field="name")
            base = code_id = _slug(name)
            n = 2
            while code_id in seen:
                code_id, n = f"{base}_{n}", n + 1
            seen.add(code_id)
            desc = next((d.text or "" for d in _children(c, "Description")), "")
            definition, include, exclude, examples = _parse_description(desc)
            color = (c.get("color") or "").upper()
            if re.fullmatch(r"#[0-9A-F]{3}", color):
                color = "#" + "".join(ch * 2 for ch in color[1:])
            out.append(Code(code_id, name, definition or name, parent, include, exclude, examples,
                            color=color if _RGB.fullmatch(color) else "", guid=(c.get("guid") or "").upper(),
                            is_codable=(c.get("isCodable") or "true").strip().lower() not in ("false", "0")))
            walk(c, code_id)

    for codes in codes_parent:
        walk(codes, None)
    if not out:
        raise CodebookError(path, "at least one <Code>", "none")
    name = root.get("name") or path.stem
    return Codebook(name=name, codes=tuple(out))
