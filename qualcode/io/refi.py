"""REFI-QDA exchange files: codebooks (``.qdc``) and projects (``.qdpx``), out and in.

The Rotterdam Exchange Format Initiative's XML is what NVivo, ATLAS.ti, MAXQDA, QualCoder
and Taguette exchange. What is written validates against the standard's XSDs
(``Codebook.xsd``, namespace ``urn:QDA-XML:codebook:1.0``; ``Project.xsd``,
``urn:QDA-XML:project:1.0``; checked in the tests):

* a code's ``Description`` carries its definition, then ``Include:``, ``Exclude:`` and
  ``Examples:`` lines, which :func:`read_refi_codebook` reads back;
* GUIDs are UUID 5 of the study's name and the object's id, so exporting twice gives
  the same file and a tool re-importing it recognises its codes;
* a ``.qdpx`` is a zip of ``project.qde`` and ``sources/<guid>.txt`` (UTF-8, the exact
  plain text the offsets index); each coded segment is a ``PlainTextSelection`` (start
  and end are character offsets) holding one ``Coding`` per code and coder
  (``creatingUser``); memos are ``Notes``; participants are ``Cases`` with their group,
  role, site and other attributes as ``Variables``.

Reading is tolerant, as real files demand (see ``shared/data/refi-samples``): an empty
``<Sets/>`` (Taguette), ``Sources/`` or ``sources/``, ``project.qde`` or
``Project.qde``, GUIDs in either case, codebooks of version 0.4 or 1.0.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from qualcode.errors import CodebookError
from qualcode.io.atomic import write_atomic
from qualcode.records import Code, Codebook, Participant

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
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
        guids[code.id] = guid(scope, "code", code.id)
        el = ET.SubElement(into, f"{{{ns}}}Code", {"guid": guids[code.id], "name": code.name, "isCodable": "true"})
        ET.SubElement(el, f"{{{ns}}}Description").text = code_description(code)
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
class RefiSource:
    name: str
    plain_text: str
    selections: tuple[RefiSelection, ...] = ()


@dataclass(frozen=True)
class RefiSelection:
    """A coded stretch of a source: codes as (code id, coder) pairs; memos as (coder, text)."""

    key: str  # stable identity, e.g. the segment id
    start: int
    end: int
    codings: tuple[tuple[str, str], ...] = ()
    memos: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RefiProject:
    name: str
    codebook: Codebook
    users: tuple[str, ...]
    sources: tuple[RefiSource, ...]
    participants: tuple[Participant, ...] = ()
    cases_sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # participant → source names
    origin: str = "qualcode"


def project_qde(project: RefiProject) -> tuple[bytes, dict[str, str]]:
    """``project.qde`` XML and the source files it points to (zip member → text)."""
    ns, scope = PROJECT_NS, project.name
    q = lambda tag: f"{{{ns}}}{tag}"  # noqa: E731
    root = ET.Element(q("Project"), {"name": project.name, "origin": project.origin})
    users = ET.SubElement(root, q("Users"))
    user_guid = {}
    for name in project.users:
        user_guid[name] = guid(scope, "user", name)
        ET.SubElement(users, q("User"), {"guid": user_guid[name], "name": name})
    codebook = ET.SubElement(root, q("CodeBook"))
    code_guid = _codes_element(codebook, ns, project.codebook, scope)
    keys = ["group", "role", "site"] + sorted({k for p in project.participants for k in p.attributes})
    keys = [k for k in dict.fromkeys(keys) if any(_attribute(p, k) for p in project.participants)]
    if keys:
        variables = ET.SubElement(root, q("Variables"))
        for k in keys:
            ET.SubElement(variables, q("Variable"), {"guid": guid(scope, "variable", k), "name": k,
                                                     "typeOfVariable": "Text"})
    source_guid = {s.name: guid(scope, "source", s.name) for s in project.sources}
    if project.participants:
        cases = ET.SubElement(root, q("Cases"))
        for p in project.participants:
            case = ET.SubElement(cases, q("Case"), {"guid": guid(scope, "case", p.participant_id),
                                                    "name": p.participant_id})
            for k in keys:
                if _attribute(p, k):
                    value = ET.SubElement(case, q("VariableValue"))
                    ET.SubElement(value, q("VariableRef"), {"targetGUID": guid(scope, "variable", k)})
                    ET.SubElement(value, q("TextValue")).text = _attribute(p, k)
            for name in project.cases_sources.get(p.participant_id, ()):
                if name in source_guid:
                    ET.SubElement(case, q("SourceRef"), {"targetGUID": source_guid[name]})
    files: dict[str, str] = {}
    notes: list[tuple[str, str, str]] = []  # guid, coder, text
    if project.sources:
        sources = ET.SubElement(root, q("Sources"))
        for src in project.sources:
            g = source_guid[src.name]
            el = ET.SubElement(sources, q("TextSource"), {"guid": g, "name": src.name,
                                                          "plainTextPath": f"internal://{g}.txt"})
            files[f"sources/{g}.txt"] = src.plain_text
            for sel in src.selections:
                sg = guid(scope, "selection", src.name, sel.key)
                sel_el = ET.SubElement(el, q("PlainTextSelection"), {
                    "guid": sg, "name": src.plain_text[sel.start:sel.end][:60],
                    "startPosition": str(sel.start), "endPosition": str(sel.end)})
                for code_id, coder in sel.codings:
                    if code_id not in code_guid:
                        continue
                    attrs = {"guid": guid(scope, "coding", src.name, sel.key, code_id, coder)}
                    if coder in user_guid:
                        attrs["creatingUser"] = user_guid[coder]
                    coding = ET.SubElement(sel_el, q("Coding"), attrs)
                    ET.SubElement(coding, q("CodeRef"), {"targetGUID": code_guid[code_id]})
                for i, (coder, text) in enumerate(sel.memos):
                    ng = guid(scope, "note", src.name, sel.key, i)
                    notes.append((ng, coder, text))
                    ET.SubElement(sel_el, q("NoteRef"), {"targetGUID": ng})
    if notes:
        notes_el = ET.SubElement(root, q("Notes"))
        for ng, coder, text in notes:
            attrs = {"guid": ng, "name": f"Memo by {coder}"}
            if coder in user_guid:
                attrs["creatingUser"] = user_guid[coder]
            note = ET.SubElement(notes_el, q("Note"), attrs)
            ET.SubElement(note, q("PlainTextContent")).text = text
    return _xml_bytes(root, ns), files


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
    s = re.sub(r"[^A-Za-z0-9_.\-]+", "_", name.strip()).strip("_.-").lower()
    return s or "code"


def _xml_from(path: Path) -> bytes:
    from qualcode.io import safe

    if zipfile.is_zipfile(path):
        with safe.open_zip(path, path, "a REFI-QDA project (.qdpx, a zip archive)") as z:
            names = {n.lower(): n for n in z.namelist()}
            member = names.get("project.qde")
            if member is None:
                raise CodebookError(path, "a REFI-QDA project (.qdpx) with project.qde inside",
                                    ", ".join(sorted(z.namelist())[:5]) or "an empty zip")
            return safe.read_zip_member(z, member, path)
    return safe.read_bytes(path, "a readable REFI-QDA file", CodebookError, safe.MAX_XML_BYTES)


def _parse(path: Path) -> ET.Element:
    """The XML root of a ``.qdc``, ``.qde`` or ``.qdpx``; a bad file is a one-line error.

    Parsing is hardened in :func:`qualcode.io.safe.parse_xml` (no DTD or entities, size,
    depth and element limits, unknown encodings refused)."""
    from qualcode.io import safe

    return safe.parse_xml(_xml_from(path), path, "REFI-QDA XML", CodebookError, code_tag="Code")


def read_refi_codebook(path: str | Path) -> Codebook:
    """The codebook of a ``.qdc``, ``.qde`` or ``.qdpx`` file.

    Ids come from the code names (lower case, ``_`` for spaces and punctuation, made unique
    with ``_2``, ``_3`` …); a code without a description gets its name as definition, so
    that the codebook prior still has something to read.
    """
    path = Path(path)
    root = _parse(path)
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
            out.append(Code(code_id, name, definition or name, parent, include, exclude, examples))
            walk(c, code_id)

    for codes in codes_parent:
        walk(codes, None)
    if not out:
        raise CodebookError(path, "at least one <Code>", "none")
    name = root.get("name") or path.stem
    return Codebook(name=name, codes=tuple(out))


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
    from qualcode.io import safe

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
                    out[src.get("name", "")] = safe.read_zip_member(z, member, path).decode("utf-8-sig")
    return out
