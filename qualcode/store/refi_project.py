"""The study as a REFI-QDA project (:class:`qualcode.io.refi.RefiProject`).

Everything a QDA tool can hold comes along: each coder's segment codes and span codings
as that coder's own selections, the final codes as user ``final`` (with adjudicator and
rationale in the selection's description), machine suggestions only above a threshold
(user ``qualcode``), memos on segments, spans, transcripts, codes and the project, and
participants as cases. Everything is read through the Study API, so a project built
from :meth:`Study.for_user` holds only what that person may see (the blind rule).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qualcode.io.refi import RefiProject
    from qualcode.store.study import Study

FINAL_NOTE = "Adjudicated by {by}: {code}"  # one line per final code; ": rationale" follows when given


def _study_dates(study: Study) -> tuple[str, dict[int, str]]:
    imported = {t.id: t.imported_at for t in study.transcripts()}
    return study.created_at(), imported


def _final_line(code_name: str, by: str, reason: str) -> str:
    line = FINAL_NOTE.format(by=by or "unknown", code=code_name)
    reason = " ".join((reason or "").split())
    return f"{line}: {reason}" if reason else line


def refi_project(study: Study, machine_threshold: float | None = None) -> RefiProject:
    """The study as a REFI-QDA project (see the module docstring)."""
    from qualcode.io.refi import RefiCoding, RefiNote, RefiProject, RefiSelection, RefiSource

    codebook = study.codebook()
    names = {c.id: c.name for c in codebook.codes}
    segments = {s.id: s for s in study.segments()}
    # (transcript id, start, end, coder) → [(code id, created_at)], plus final notes and memos
    picks: dict[tuple[int, int, int, str], list[tuple[str, str]]] = defaultdict(list)
    descriptions: dict[tuple[int, int, int, str], list[str]] = defaultdict(list)
    for app in study.applications():
        seg = segments.get(app.segment_id)
        if not app.present or seg is None:
            continue
        if app.source == "human":
            who = app.coder or "unknown"
        elif app.source == "final":
            who = "final"
            descriptions[(seg.transcript_id, seg.start, seg.end, who)].append(
                _final_line(names.get(app.code_id, app.code_id), app.coder or "", app.reason))
        elif machine_threshold is not None and (app.confidence or 0.0) >= machine_threshold:
            who = "qualcode"
        else:
            continue
        picks[(seg.transcript_id, seg.start, seg.end, who)].append((app.code_id, app.created_at))
    spans = {r.id: r for r in study.span_codings()}
    for r in spans.values():
        who = "final" if r.source == "final" else r.coder
        key = (r.transcript_id, r.start, r.end, who)
        picks[key].append((r.code_id, r.created_at))
        if r.source == "final":
            descriptions[key].append(_final_line(names.get(r.code_id, r.code_id), r.coder, ""))
    transcript_notes: dict[int, list] = defaultdict(list)
    code_notes: dict[str, list] = defaultdict(list)
    project_notes: list = []
    for m in study.memos():
        note = RefiNote(m.coder, m.text, m.created_at, m.updated_at, str(m.id))
        if m.span_id in spans:
            r = spans[m.span_id]
            descriptions[(r.transcript_id, r.start, r.end, m.coder)].append(m.text)
        elif m.segment_id in segments:
            seg = segments[m.segment_id]
            descriptions[(seg.transcript_id, seg.start, seg.end, m.coder)].append(m.text)
        elif m.code_id:
            code_notes[m.code_id].append(note)
        elif m.transcript_id:
            transcript_notes[m.transcript_id].append(note)
        else:
            project_notes.append(note)
    created, imported = _study_dates(study)
    sources, speaks = [], defaultdict(set)
    for t in study.transcripts():
        keys = sorted(k for k in set(picks) | set(descriptions) if k[0] == t.id)
        selections = []
        for key in keys:
            first: dict[str, str] = {}
            for cid, at in picks.get(key, []):
                first.setdefault(cid, at)
            codings = tuple(RefiCoding(cid, at) for cid, at in first.items())
            dates = [at for _, at in picks.get(key, []) if at]
            selections.append(RefiSelection(f"{key[1]}-{key[2]}", key[1], key[2], key[3], codings,
                                            "\n\n".join(descriptions.get(key, [])), min(dates, default="")))
        sources.append(RefiSource(t.name, study.plain_text(t.id), tuple(selections),
                                  tuple(transcript_notes.get(t.id, [])), imported.get(t.id, "")))
        for pid in t.participants:
            speaks[pid].add(t.name)
    users = [name for name, _ in study.coders()]
    used = {k[3] for k in picks} | {k[3] for k in descriptions}
    users = tuple(dict.fromkeys([u for u in users if u in used] + sorted(used)))
    participants = tuple(p for p in study.participants() if not p.is_interviewer)
    return RefiProject(name=study.folder.name, codebook=codebook, users=users, sources=tuple(sources),
                       participants=participants, cases_sources={p: tuple(sorted(n)) for p, n in speaks.items()},
                       notes=tuple(project_notes), code_notes={k: tuple(v) for k, v in code_notes.items()},
                       created_at=created)
