"""YAML ⇄ :class:`Codebook`, validated, with file:line in every message.

The format (see ``data_templates/codebook_template.yaml``)::

    name: My codebook
    codes:
      - id: pivotal_gp
        name: Pivotal role of the GP
        definition: …
        include: [ … ]
        exclude: [ … ]
        examples: [ … ]
        children:            # nested codes, or give a code `parent: ID`
          - id: …

The YAML is read with ``yaml.safe_load`` semantics (SafeLoader); nodes keep their
line so that a duplicate id, an unknown parent, a cycle or an empty definition is
reported where it stands.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from qualcode.errors import CodebookError
from qualcode.io import safe
from qualcode.records import Code, Codebook

_ID = re.compile(r"^[^\W_][\w.\-]*$")  # letters (any script), digits, _ . -
_CODE_KEYS = {"id", "name", "definition", "include", "exclude", "examples", "children", "parent"}



def _compose(text: str, path: Path) -> yaml.Node | None:
    """The node tree: no aliases, nesting limited, one-line errors (see :func:`safe.load_yaml`)."""
    return safe.load_yaml(text, path, CodebookError)


def _mapping(node: yaml.Node, path: Path, what: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise CodebookError(path, what, node.tag.rsplit(":", 1)[-1], line=node.start_mark.line + 1)
    out: dict[str, yaml.Node] = {}
    for key, value in node.value:
        k = str(key.value)
        if k in out:
            raise CodebookError(path, f"the key '{k}' once", "it twice", line=key.start_mark.line + 1)
        out[k] = value
    return out


def _text(node: yaml.Node | None, path: Path, field: str, required: bool) -> str:
    if node is None or (isinstance(node, yaml.ScalarNode) and node.value == "" ):
        if required:
            line = node.start_mark.line + 1 if node is not None else None
            raise CodebookError(path, "a non-empty text", "nothing", line=line, field=field)
        return ""
    if not isinstance(node, yaml.ScalarNode):
        raise CodebookError(path, "a text", "a list or mapping", line=node.start_mark.line + 1, field=field)
    value = " ".join(str(node.value).split())
    if required and not value:
        raise CodebookError(path, "a non-empty text", "only spaces", line=node.start_mark.line + 1, field=field)
    return value


def _texts(node: yaml.Node | None, path: Path, field: str) -> tuple[str, ...]:
    if node is None:
        return ()
    if isinstance(node, yaml.ScalarNode):
        return (" ".join(node.value.split()),) if node.value.strip() else ()
    if not isinstance(node, yaml.SequenceNode):
        raise CodebookError(path, "a list of texts", "a mapping", line=node.start_mark.line + 1, field=field)
    return tuple(_text(item, path, field, required=True) for item in node.value)


def _walk(node: yaml.Node, path: Path, parent: str | None, out: list[tuple[Code, int]]) -> None:
    if not isinstance(node, yaml.SequenceNode):
        raise CodebookError(path, "a list of codes", "something else", line=node.start_mark.line + 1)
    for item in node.value:
        fields = _mapping(item, path, "a code (a mapping with id, name, definition …)")
        line = item.start_mark.line + 1
        unknown = sorted(set(fields) - _CODE_KEYS)
        if unknown:
            raise CodebookError(path, "keys among " + ", ".join(sorted(_CODE_KEYS)),
                                ", ".join(unknown), line=fields[unknown[0]].start_mark.line + 1)
        if "id" not in fields:
            raise CodebookError(path, "an 'id' for every code", "a code without one", line=line, field="id")
        code_id = _text(fields["id"], path, "id", required=True)
        if not _ID.match(code_id):
            raise CodebookError(path, "an id of letters, digits, '_', '-' or '.'", repr(code_id),
                                line=fields["id"].start_mark.line + 1, field="id")
        own_parent = parent
        if "parent" in fields:
            declared = _text(fields["parent"], path, "parent", required=False) or None
            if parent is not None and declared not in (None, parent):
                raise CodebookError(path, f"parent '{parent}' (the code it is nested in)",
                                    repr(declared), line=fields["parent"].start_mark.line + 1, field="parent")
            own_parent = declared or parent
        definition_node = fields.get("definition")
        if definition_node is None:
            raise CodebookError(path, f"a definition for code '{code_id}'", "none", line=line,
                                field="definition")
        code = Code(
            id=code_id,
            name=_text(fields.get("name"), path, "name", required=False) or code_id,
            definition=_text(definition_node, path, "definition", required=True),
            parent=own_parent,
            include=_texts(fields.get("include"), path, "include"),
            exclude=_texts(fields.get("exclude"), path, "exclude"),
            examples=_texts(fields.get("examples"), path, "examples"),
        )
        out.append((code, line))
        if "children" in fields:
            _walk(fields["children"], path, code_id, out)


def validate_codes(entries: list[tuple[Code, int]], path: Path | str) -> tuple[Code, ...]:
    """Duplicate ids, unknown parents and cycles; returns codes parents-first."""
    lines: dict[str, int] = {}
    for code, line in entries:
        if code.id in lines:
            raise CodebookError(path, f"each code id once; '{code.id}' is first defined on line {lines[code.id]}",
                                "a duplicate id", line=line, field="id")
        lines[code.id] = line
    safe.check_code_count(len(entries), path, CodebookError)
    by_id = {c.id: c for c, _ in entries}
    for code, line in entries:
        if code.parent is not None and code.parent not in by_id:
            raise CodebookError(path, "a parent that is the id of another code",
                                f"unknown parent '{code.parent}'", line=line, field="parent")
    # Depth of every code, iteratively and once per code (no recursion, linear time),
    # which also finds cycles and codes nested too deep.
    depth: dict[str, int] = {}
    for code, line in entries:
        chain: list[str] = []
        on_chain: set[str] = set()
        cur: str | None = code.id
        while cur is not None and cur not in depth:
            if cur in on_chain:
                raise CodebookError(path, "codes whose parents lead up to a theme",
                                    f"a cycle through '{code.id}'", line=line, field="parent")
            on_chain.add(cur)
            chain.append(cur)
            cur = by_id[cur].parent
        level = -1 if cur is None else depth[cur]
        for cid in reversed(chain):
            level += 1
            depth[cid] = level
        if depth[code.id] >= safe.MAX_NESTING:
            raise safe.nesting_error(path, safe.MAX_NESTING, "codes", line, CodebookError)
    ordered: list[Code] = []
    placed: set[str] = set()
    for code, _ in entries:
        pending: list[Code] = []
        cur_code: Code | None = code
        while cur_code is not None and cur_code.id not in placed:
            pending.append(cur_code)
            cur_code = by_id[cur_code.parent] if cur_code.parent is not None else None
        for c in reversed(pending):
            placed.add(c.id)
            ordered.append(c)
    return tuple(ordered)


def parse_codebook(text: str, path: str | Path = "<codebook>") -> Codebook:
    path = Path(path)
    root = _compose(text, path)
    if root is None:
        raise CodebookError(path, "a codebook with 'codes:'", "an empty file", line=1)
    top = _mapping(root, path, "a mapping with 'name' and 'codes'")
    if "codes" not in top:
        raise CodebookError(path, "a 'codes:' list", "no 'codes' key", line=1)
    entries: list[tuple[Code, int]] = []
    _walk(top["codes"], path, None, entries)
    if not entries:
        raise CodebookError(path, "at least one code", "an empty list", line=top["codes"].start_mark.line + 1)
    version = 1
    if "version" in top:
        node = top["version"]
        got = repr(node.value) if isinstance(node, yaml.ScalarNode) else "a list or mapping"
        try:
            version = int(node.value) if isinstance(node, yaml.ScalarNode) else None
        except ValueError:
            version = None
        if version is None or not 1 <= version <= 1_000_000:
            raise CodebookError(path, "a whole-number version from 1 to 1,000,000", got[:40],
                                line=node.start_mark.line + 1, field="version")
    return Codebook(
        name=_text(top.get("name"), path, "name", required=False) or path.stem,
        codes=validate_codes(entries, path),
        version=version,
        description=_text(top.get("description"), path, "description", required=False),
    )


def parse_definitions_csv(text: str, path: str | Path) -> Codebook:
    """A ``code,definition`` CSV (one flat level) as a codebook; ids are the code names."""
    path = Path(path)
    rows = safe.csv_rows(text, path, CodebookError)
    header = [h.strip().lower() for h in (rows[0][1] if rows else [])]
    if "code" not in header or "definition" not in header:
        raise CodebookError(path, "a header 'code,definition'", ",".join(header) or "nothing", line=1)
    ci, di = header.index("code"), header.index("definition")
    entries = []
    for n, row in rows[1:]:
        if not any(c.strip() for c in row):
            continue
        name = row[ci].strip() if len(row) > ci else ""
        definition = row[di].strip() if len(row) > di else ""
        if not name:
            raise CodebookError(path, "a code name", "an empty cell", line=n, field="code")
        if not definition:
            raise CodebookError(path, f"a definition for code '{name}'", "an empty cell", line=n,
                                field="definition")
        entries.append((Code(id=name, name=name, definition=definition), n))
    return Codebook(name=path.stem, codes=validate_codes(entries, path))


def load_codebook(path: str | Path) -> Codebook:
    """Read a YAML codebook, a ``code,definition`` CSV, or a REFI-QDA ``.qdc`` / ``.qdpx`` / ``.qde``."""
    from qualcode.io.transcripts import read_text

    path = Path(path)
    if path.suffix.lower() in (".qdc", ".qdpx", ".qde"):
        from qualcode.io.refi import read_refi_codebook

        return read_refi_codebook(path)
    text = read_text(path, "a readable codebook file", CodebookError)
    if path.suffix.lower() == ".csv":
        return parse_definitions_csv(text, path)
    return parse_codebook(text, path)


def dump_codebook(codebook: Codebook) -> str:
    """Codebook → YAML in the documented format (nested children)."""

    def node(code: Code) -> dict[str, Any]:
        out: dict[str, Any] = {"id": code.id, "name": code.name, "definition": code.definition}
        for key in ("include", "exclude", "examples"):
            if getattr(code, key):
                out[key] = list(getattr(code, key))
        kids = codebook.children(code.id)
        if kids:
            out["children"] = [node(k) for k in kids]
        return out

    doc = {"name": codebook.name, "version": codebook.version}
    if codebook.description:
        doc["description"] = codebook.description
    doc["codes"] = [node(c) for c in codebook.roots()]
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
