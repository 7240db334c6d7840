"""Read a codebook file back into a study without orphaning any coding.

A codebook exported to NVivo or ATLAS.ti and edited there comes back with its codes'
GUIDs; a YAML codebook comes back with its ids. Each incoming code is matched to a code of
the study by GUID (the one stored, or the one qualcode's export gives it), then id, then
name; a matched code keeps its study id, so every decision and span coding stays attached.
:func:`plan_codebook_import` shows what would change (matched, changed fields, added,
removed); a study code that has codings and no incoming match would lose them, so
:func:`apply_codebook_import` refuses unless it is mapped to an incoming code (its codings
are then carried over, as a merge does).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from qualcode.errors import StoreError
from qualcode.records import Code, Codebook
from qualcode.store.models import CodeApplicationRow, CodebookVersion, SpanCodingRow

if TYPE_CHECKING:
    from qualcode.store.study import Study

FIELDS = ("name", "definition", "include", "exclude", "examples", "parent", "color", "is_codable")


@dataclass
class CodebookPlan:
    codebook: Codebook  # what would be stored
    matched: Counter = field(default_factory=Counter)  # how codes were matched: guid, id, name
    changed: dict[str, list[str]] = field(default_factory=dict)  # study id → changed fields
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # study codes left out, none of them coded
    orphans: dict[str, int] = field(default_factory=dict)  # study code → codings it would lose
    mapped: dict[str, str] = field(default_factory=dict)  # study code → incoming code taking its codings

    @property
    def changes_anything(self) -> bool:
        return bool(self.changed or self.added or self.removed or self.mapped)

    def lines(self) -> list[str]:
        how = ", ".join(f"{n} by {k}" for k, n in sorted(self.matched.items())) or "none"
        out = [f"matched {sum(self.matched.values())} code(s) ({how}); {len(self.changed)} changed, "
               f"{len(self.added)} new, {len(self.removed)} removed, {len(self.mapped)} mapped, "
               f"{len(self.orphans)} would lose codings"]
        out += [f"  changed {cid}: {', '.join(fs)}" for cid, fs in sorted(self.changed.items())]
        out += [f"  new {cid}" for cid in self.added]
        out += [f"  removed {cid} (no codings)" for cid in self.removed]
        out += [f"  mapped {old} -> {new}" for old, new in sorted(self.mapped.items())]
        out += [f"  {cid}: {n} coding(s) with no code in the file (map it: --map {cid}=NEW_ID)"
                for cid, n in sorted(self.orphans.items())]
        return out


def coding_counts(study: Study) -> Counter:
    """Codings per code id: human and final decisions that apply it, and span codings."""
    with study._tx() as s:
        counts = Counter(dict(s.execute(select(CodeApplicationRow.code_id, func.count()).where(
            CodeApplicationRow.source.in_(("human", "final")), CodeApplicationRow.present.is_(True))
            .group_by(CodeApplicationRow.code_id)).all()))
        counts.update(dict(s.execute(select(SpanCodingRow.code_id, func.count()).group_by(SpanCodingRow.code_id)).all()))
    return counts


def _same(a: Code, b: Code, name: str) -> bool:
    x, y = getattr(a, name), getattr(b, name)
    return (x or "").upper() == (y or "").upper() if name == "color" else x == y


def plan_codebook_import(study: Study, incoming: Codebook, mapping: dict[str, str] | None = None) -> CodebookPlan:
    """What storing ``incoming`` would change (nothing is written)."""
    from qualcode.io.refi import guid as refi_guid

    mapping = dict(mapping or {})
    with study._tx() as s:
        has = s.scalar(select(func.max(CodebookVersion.id))) is not None
    if not has:
        return CodebookPlan(incoming, added=incoming.ids())
    current = study.codebook()
    scope = study.folder.name
    by_guid = {(c.guid or refi_guid(scope, "code", c.id)).upper(): c for c in current.codes}
    by_id = {c.id: c for c in current.codes}
    by_name: dict[str, Code] = {}
    for c in current.codes:
        by_name.setdefault(c.name.strip().lower(), c)
    plan = CodebookPlan(incoming)
    taken: set[str] = set()
    ids: dict[str, str] = {}  # incoming id → id in the stored codebook
    for c in incoming.codes:
        for how, hit in (("GUID", by_guid.get(c.guid.upper()) if c.guid else None), ("id", by_id.get(c.id)),
                         ("name", by_name.get(c.name.strip().lower()))):
            if hit is not None and hit.id not in taken:
                ids[c.id] = hit.id
                taken.add(hit.id)
                plan.matched[how] += 1
                break
    used = set(ids.values())
    for c in incoming.codes:
        if c.id not in ids:
            new_id, n = c.id, 2
            while new_id in used or new_id in by_id:
                new_id, n = f"{c.id}_{n}", n + 1
            ids[c.id] = new_id
            used.add(new_id)
            plan.added.append(new_id)
    codes = []
    for c in incoming.codes:
        cid = ids[c.id]
        old = by_id.get(cid) if cid in taken else None
        code = replace(c, id=cid, parent=ids.get(c.parent) if c.parent else None,
                       guid=(old.guid if old is not None and old.guid else c.guid))
        if old is not None:
            diff = [f for f in FIELDS if not _same(old, code, f)]
            if diff:
                plan.changed[cid] = diff
            else:
                code = old
        codes.append(code)
    plan.codebook = Codebook(incoming.name or current.name, tuple(codes), description=incoming.description
                             or current.description)
    counts = coding_counts(study)
    for c in current.codes:
        if c.id in taken:
            continue
        if c.id in mapping:
            target = ids.get(mapping[c.id], mapping[c.id])
            if target not in used:
                raise StoreError(f"--map {c.id}={mapping[c.id]}: expected a code of the incoming codebook, "
                                 f"got {mapping[c.id]!r}")
            plan.mapped[c.id] = target
        elif counts.get(c.id):
            plan.orphans[c.id] = counts[c.id]
        else:
            plan.removed.append(c.id)
    if not plan.changes_anything and [c.id for c in codes] == current.ids() and not plan.orphans:
        plan.codebook = current
    return plan


def apply_codebook_import(study: Study, plan: CodebookPlan, actor: str, note: str) -> int | None:
    """Store the planned codebook as a new version; None when nothing changes.

    Refused while any study code with codings would be left without a code."""
    if plan.orphans:
        names = ", ".join(f"{cid} ({n})" for cid, n in sorted(plan.orphans.items()))
        raise StoreError(f"codebook: expected every coded code to stay or be mapped (--map OLD=NEW), got "
                         f"codings that would lose their code: {names}")
    if not plan.changes_anything and study.codebook_version() is not None:
        return None
    with study._tx() as s:
        version = study._write_codebook(s, plan.codebook, actor, note)
        for old, new in plan.mapped.items():
            for row in list(s.scalars(select(CodeApplicationRow).where(
                    CodeApplicationRow.code_id == old, CodeApplicationRow.source.in_(("human", "final"))))):
                if not s.scalar(select(CodeApplicationRow.id).where(
                        CodeApplicationRow.segment_id == row.segment_id, CodeApplicationRow.code_id == new,
                        CodeApplicationRow.source == row.source, CodeApplicationRow.coder_id == row.coder_id)):
                    s.add(CodeApplicationRow(segment_id=row.segment_id, code_id=new, codebook_version=version,
                                             source=row.source, coder_id=row.coder_id, present=row.present,
                                             reason=row.reason or f"mapped from {old}", decided_by=row.decided_by))
            for row in list(s.scalars(select(SpanCodingRow).where(SpanCodingRow.code_id == old))):
                if not s.scalar(select(SpanCodingRow.id).where(
                        SpanCodingRow.transcript_id == row.transcript_id, SpanCodingRow.start == row.start,
                        SpanCodingRow.end == row.end, SpanCodingRow.code_id == new,
                        SpanCodingRow.source == row.source, SpanCodingRow.coder_id == row.coder_id)):
                    s.add(SpanCodingRow(transcript_id=row.transcript_id, start=row.start, end=row.end, text=row.text,
                                        code_id=new, codebook_version=version, source=row.source,
                                        coder_id=row.coder_id, decided_by=row.decided_by))
        study._audit(s, actor, "codebook_import", "codebook", version, None,
                     {"changed": plan.changed, "added": plan.added, "removed": plan.removed, "mapped": plan.mapped})
    return version
