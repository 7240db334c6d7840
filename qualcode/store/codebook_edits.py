"""Codebook edits: every change (new code, new wording, rename, merge, split) writes a
new codebook version, audited; earlier versions and the coding done under them stay.

Mixed into :class:`qualcode.store.study.Study`. Errors name the field a form shows, so
the app can put the message next to it: ``name``, ``definition``, ``id``, ``target``.

* merge SOURCE into TARGET: SOURCE leaves the codebook; every human and final decision
  that applied SOURCE is carried over to TARGET under the new version (a decision already
  on TARGET is kept as it is), and SOURCE's sub-codes move under TARGET. The decisions on
  SOURCE themselves are kept, as history.
* every edit takes ``expected_version`` (the version the person's form was opened on):
  when the codebook has moved on since, the edit is refused with a
  :class:`StaleEditError` naming who made the newer version and when, instead of
  silently overwriting their change.
* split CODE into NEW codes: NEW codes take CODE's place in the tree (same parent);
  CODE's decisions are kept as history and its segments listed for re-coding
  (:meth:`segments_to_recode`). A code with sub-codes is split after moving them.
"""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.errors import StaleEditError, StoreError
from qualcode.records import Code, Codebook
from qualcode.store.core import StudyCore
from qualcode.store.locking import lock_codebook
from qualcode.store.models import CodeApplicationRow, CodebookVersion

_ID = re.compile(r"^[^\W_][\w.\-]*$")  # letters (any script), digits, _ . -
EDITABLE = ("name", "definition", "include", "exclude", "examples", "parent")


class FieldError(StoreError):
    """A form field with a value the codebook cannot take; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


def _check_text(field: str, value: str | None) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise FieldError(field, f"expected some text for the {field}, got an empty {field}")
    return text


class CodebookEdits(StudyCore):
    def _current_for_edit(self, s: Session, expected_version: int | None) -> Codebook:
        """The current codebook, locked for this edit; stale when ``expected_version`` is older."""
        lock_codebook(s)
        current = self._read_codebook(s)
        if expected_version is not None and current.version != expected_version:
            newest = s.get(CodebookVersion, current.version)
            when = f"{newest.created_at:%Y-%m-%d %H:%M:%S} UTC"
            raise StaleEditError(
                f"codebook: expected version {expected_version} (the one you opened), got version "
                f"{current.version}: changed by {newest.created_by} at {when} since you opened it "
                "(reload it and make your change again)")
        return current

    def _new_version(self, s: Session, codebook: Codebook, actor: str, note: str) -> int:
        from qualcode.io.codebook import validate_codes

        validate_codes([(c, 0) for c in codebook.codes], "codebook")  # cycles, parents, ids
        return self._write_codebook(s, codebook, actor, note)

    def add_code(self, code: Code, actor: str, note: str = "", *, expected_version: int | None = None) -> int:
        """Add a code (a new theme, or a sub-code with ``parent``)."""
        if not _ID.match(code.id or ""):
            raise FieldError("id", f"expected letters, digits, '_', '-' or '.', got {code.id!r}")
        code = replace(code, name=_check_text("name", code.name),
                       definition=_check_text("definition", code.definition))
        with self._tx() as s:
            current = self._current_for_edit(s, expected_version)
            if code.id in current.ids():
                raise FieldError("id", f"expected a new id, got {code.id!r} which the codebook already has")
            if code.parent is not None and code.parent not in current.ids():
                raise FieldError("parent", f"expected an existing code, got {code.parent!r}")
            return self._new_version(s, replace(current, codes=current.codes + (code,)), actor,
                                     note or f"add {code.id}")

    def edit_code(self, code_id: str, actor: str, note: str = "", *, expected_version: int | None = None,
                  **changes: object) -> int:
        """Change a code's name, definition, include/exclude rules, examples or parent."""
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise StoreError(f"edit: expected fields among {', '.join(EDITABLE)}, got {', '.join(sorted(unknown))}")
        for field in ("name", "definition"):
            if field in changes:
                changes[field] = _check_text(field, changes[field])  # type: ignore[arg-type]
        for field in ("include", "exclude", "examples"):
            if field in changes:
                changes[field] = tuple(" ".join(str(x).split()) for x in changes[field] if str(x).strip())  # type: ignore[union-attr]
        with self._tx() as s:
            current = self._current_for_edit(s, expected_version)
            old = self._existing(current, code_id)
            if "parent" in changes and changes["parent"] is not None:
                parent = changes["parent"]
                if parent == code_id or parent not in current.ids():
                    raise FieldError("parent", f"expected another existing code, got {parent!r}")
                ancestor = current.get(str(parent))
                while ancestor.parent is not None:
                    if ancestor.parent == code_id:
                        raise FieldError("parent", f"expected a code outside {code_id}'s own sub-codes, got {parent!r}")
                    ancestor = current.get(ancestor.parent)
            new = replace(old, **changes)  # type: ignore[arg-type]
            if new == old:
                return current.version
            codes = tuple(new if c.id == code_id else c for c in current.codes)
            what = ", ".join(f"{k}" for k in changes)
            version = self._new_version(s, replace(current, codes=codes), actor, note or f"edit {code_id}: {what}")
            self._audit(s, actor, "edit_code", "code", code_id,
                        {k: getattr(old, k) for k in changes}, {k: getattr(new, k) for k in changes})
            return version

    def rename_code(self, code_id: str, name: str, actor: str, note: str = "", *,
                    expected_version: int | None = None) -> int:
        return self.edit_code(code_id, actor, note or f"rename {code_id}", name=name,
                              expected_version=expected_version)

    def add_example(self, code_id: str, text: str, actor: str, *, expected_version: int | None = None) -> int:
        """Add a quote (e.g. a coded segment's text) to a code's examples."""
        example = _check_text("example", text)
        code = self._existing(self.codebook(), code_id)
        if example in code.examples:
            raise FieldError("example", f"expected a new example, got one that {code_id} already has")
        return self.edit_code(code_id, actor, f"example added to {code_id}", examples=code.examples + (example,),
                              expected_version=expected_version)

    def merge_codes(self, source_id: str, target_id: str, actor: str, note: str = "", *,
                    expected_version: int | None = None) -> int:
        if source_id == target_id:
            raise FieldError("target", f"expected another code to merge {source_id} into, got itself")
        with self._tx() as s:
            current = self._current_for_edit(s, expected_version)
            self._existing(current, source_id)
            target = self._existing(current, target_id, field="target")
            ancestor = target
            while ancestor.parent is not None:
                if ancestor.parent == source_id:
                    raise FieldError("target", f"expected a code outside {source_id}'s sub-codes, got {target_id!r}")
                ancestor = current.get(ancestor.parent)
            codes = tuple(replace(c, parent=target_id) if c.parent == source_id else c
                          for c in current.codes if c.id != source_id)
            version = self._new_version(s, replace(current, codes=codes), actor,
                                        note or f"merge {source_id} into {target_id}")
            carried = 0
            for row in s.scalars(select(CodeApplicationRow).where(
                    CodeApplicationRow.code_id == source_id, CodeApplicationRow.source.in_(("human", "final")))):
                twin = s.scalar(select(CodeApplicationRow).where(
                    CodeApplicationRow.segment_id == row.segment_id, CodeApplicationRow.code_id == target_id,
                    CodeApplicationRow.source == row.source, CodeApplicationRow.coder_id == row.coder_id))
                if twin is None:
                    s.add(CodeApplicationRow(segment_id=row.segment_id, code_id=target_id, codebook_version=version,
                                             source=row.source, coder_id=row.coder_id, present=row.present,
                                             reason=row.reason or f"merged from {source_id}",
                                             decided_by=row.decided_by))
                    carried += 1
            self._audit(s, actor, "merge_codes", "code", source_id, {"code": source_id},
                        {"into": target_id, "decisions_carried": carried, "version": version})
            return version

    def split_code(self, code_id: str, new_codes: list[Code], actor: str, note: str = "", *,
                   expected_version: int | None = None) -> int:
        if len(new_codes) < 2:
            raise FieldError("into", f"expected at least two new codes to split {code_id} into, got {len(new_codes)}")
        with self._tx() as s:
            current = self._current_for_edit(s, expected_version)
            old = self._existing(current, code_id)
            if current.children(code_id):
                raise FieldError("id", f"expected a code without sub-codes; move or merge the sub-codes of "
                                 f"{code_id} first")
            made = []
            for code in new_codes:
                if not _ID.match(code.id or ""):
                    raise FieldError("id", f"expected letters, digits, '_', '-' or '.', got {code.id!r}")
                if code.id in current.ids() and code.id != code_id or code.id in [m.id for m in made]:
                    raise FieldError("id", f"expected a new id, got {code.id!r} which is already in use")
                made.append(replace(code, parent=old.parent, name=_check_text("name", code.name),
                                    definition=_check_text("definition", code.definition or old.definition)))
            codes: list[Code] = []
            for c in current.codes:
                codes.extend(made if c.id == code_id else [c])
            version = self._new_version(s, replace(current, codes=tuple(codes)), actor,
                                        note or f"split {code_id} into {', '.join(m.id for m in made)}")
            self._audit(s, actor, "split_code", "code", code_id, {"code": code_id},
                        {"into": [m.id for m in made], "version": version})
            return version

    def segments_to_recode(self, code_id: str) -> list[int]:
        """Segments that a coder or the final coding gave ``code_id``: after a split, to re-code."""
        with self._read() as s:
            return sorted(set(s.scalars(select(CodeApplicationRow.segment_id).where(
                CodeApplicationRow.code_id == code_id, CodeApplicationRow.present.is_(True),
                CodeApplicationRow.source.in_(("human", "final"))))))

    @staticmethod
    def _existing(codebook: Codebook, code_id: str, field: str = "code") -> Code:
        try:
            return codebook.get(code_id)
        except KeyError:
            raise FieldError(field, f"expected a code of the current codebook, got {code_id!r}") from None
