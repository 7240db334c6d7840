"""Double-coding: samples assigned to coders, the blind rule, and present/absent tables.

The blind rule: on a transcript assigned for double-coding, everybody who is not a
supervisor or admin (an assigned coder, a coder not in the sample, a name the study has
never seen) sees only their own codes and memos (no other coder's, no machine
suggestions, no final codes) until every coder assigned to it has marked it done. It is
applied here, in the store, so the CLI and the app cannot show what the API does not
return. Marking a transcript done locks that coder's coding on it until a supervisor
reopens it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qualcode.errors import AccessDenied, StoreError
from qualcode.records import CodeApplication, Disagreement
from qualcode.store.core import StudyCore
from qualcode.store.models import (
    AssignmentRow,
    CodeApplicationRow,
    CoderRow,
    ParticipantRow,
    SegmentRow,
    SpanCodingRow,
    TranscriptRow,
    TranscriptStatusRow,
)

MACHINE_PRESENT = 0.5  # a suggestion counts as the machine applying the code from this confidence
UNBLIND_ROLES = ("supervisor", "admin")  # never blind: they assign, compare and adjudicate


class DoubleCoding(StudyCore):
    """Mixed into :class:`qualcode.store.study.Study`."""

    def assign(self, coders: list[str], fraction: float, stratify: str | None = None, seed: int = 42,
               actor: str = "supervisor", sample: str = "double-coding",
               include_seen: bool = False) -> list[str]:
        """Assign a random ``fraction`` of transcripts (at least one) to every coder in ``coders``.

        ``stratify="group"`` (or ``site``, ``role``) draws the fraction within each value of
        the transcript's main participant's attribute. Transcripts that one of ``coders``
        has already coded with the machine's suggestions in view (:meth:`seen_transcripts`)
        are left out of the draw, since that coder is no longer blind on them, unless
        ``include_seen``; either way the audit entry lists them.
        """
        if len(coders) < 2:
            raise StoreError(f"--coders: expected at least two coders for double-coding, got {len(coders)}")
        if not 0 < fraction <= 1:
            raise StoreError(f"--fraction: expected a number above 0 and at most 1, got {fraction}")
        if stratify not in (None, "group", "site", "role"):
            raise StoreError(f"--stratify: expected group, site or role, got {stratify!r}")
        with self._tx() as s:
            rows = s.execute(select(SegmentRow.transcript_id, ParticipantRow, func.count())
                             .join(ParticipantRow, SegmentRow.participant_id == ParticipantRow.id)
                             .where(SegmentRow.is_interviewer.is_(False))
                             .group_by(SegmentRow.transcript_id, ParticipantRow.id)).all()
            main: dict[int, tuple[int, str]] = {}
            for tid, person, n in rows:
                value = getattr(person, stratify) if stratify else ""
                if tid not in main or n > main[tid][0]:
                    main[tid] = (n, value or "unknown")
            all_ids = list(s.scalars(select(TranscriptRow.id).order_by(TranscriptRow.id)))
            if not all_ids:
                raise StoreError("assign: expected a study with transcripts, got none")
            seen = self._seen(s, coders)
            if not include_seen:
                all_ids = [tid for tid in all_ids if tid not in seen]
                if not all_ids:
                    raise StoreError("assign: expected transcripts the coders have not coded with "
                                     "suggestions in view, got none (--include-seen to use them anyway)")
            strata: dict[str, list[int]] = defaultdict(list)
            for tid in all_ids:
                strata[main.get(tid, (0, "unknown"))[1] if stratify else ""].append(tid)
            rng = random.Random(seed)
            chosen: list[int] = []
            for key in sorted(strata):
                ids = strata[key]
                k = max(1, round(fraction * len(ids)))
                chosen.extend(sorted(rng.sample(ids, k)))
            people = [self._person(s, c) for c in coders]
            for tid in chosen:
                for who in people:
                    exists = s.scalar(select(AssignmentRow.id).where(AssignmentRow.transcript_id == tid,
                                                                     AssignmentRow.coder_id == who.id))
                    if not exists:
                        s.add(AssignmentRow(transcript_id=tid, coder_id=who.id, sample=sample))
            names = [s.get(TranscriptRow, tid).name for tid in chosen]
            self._audit(s, actor, "assign", "sample", sample, None,
                        {"coders": coders, "fraction": fraction, "stratify": stratify, "seed": seed,
                         "transcripts": names, "include_seen": include_seen,
                         "seen": {s.get(TranscriptRow, tid).name: who for tid, who in sorted(seen.items())}})
            return names

    def seen_transcripts(self, coders: list[str]) -> dict[str, list[str]]:
        """Transcript name -> the coders among ``coders`` who already coded it while its
        machine suggestions were visible to them (it was not assigned to them blind)."""
        with self._read() as s:
            return {s.get(TranscriptRow, tid).name: who for tid, who in sorted(self._seen(s, coders).items())}

    def _seen(self, s: Session, coders: list[str]) -> dict[int, list[str]]:
        suggested = set(s.scalars(select(SegmentRow.transcript_id).join(
            CodeApplicationRow, CodeApplicationRow.segment_id == SegmentRow.id)
            .where(CodeApplicationRow.source == "machine").distinct()))
        out: dict[int, list[str]] = defaultdict(list)
        for name in coders:
            who = s.scalar(select(CoderRow).where(CoderRow.name == name))
            if who is None:
                continue
            blind = set(s.scalars(select(AssignmentRow.transcript_id).where(AssignmentRow.coder_id == who.id)))
            decided = set(s.scalars(select(SegmentRow.transcript_id).join(
                CodeApplicationRow, CodeApplicationRow.segment_id == SegmentRow.id)
                .where(CodeApplicationRow.coder_id == who.id, CodeApplicationRow.source == "human").distinct()))
            for tid in sorted((decided & suggested) - blind):
                out[tid].append(name)
        return dict(out)

    def reopen(self, transcript_id: int, coder: str, by: str) -> None:
        """Undo ``coder``'s *done* on a transcript so they can code it again (audited)."""
        with self._tx() as s:
            who = s.scalar(select(CoderRow).where(CoderRow.name == coder))
            row = None if who is None else s.get(TranscriptStatusRow, (transcript_id, who.id))
            if row is None:
                raise StoreError(f"reopen: expected a transcript {coder!r} marked done, got transcript "
                                 f"{transcript_id} not marked done by them")
            s.delete(row)
            self._audit(s, by, "reopen", "transcript", transcript_id, {"done_by": coder}, None)

    def _check_open(self, s: Session, who: CoderRow, segment_id: int | None = None,
                    transcript_id: int | None = None) -> None:
        """Refuse to change ``who``'s coding on a transcript they marked done (the Done lock)."""
        if transcript_id is None and segment_id is not None:
            transcript_id = s.scalar(select(SegmentRow.transcript_id).where(SegmentRow.id == segment_id))
        if transcript_id is None or who.id is None:
            return
        if s.get(TranscriptStatusRow, (transcript_id, who.id)) is not None:
            name = s.get(TranscriptRow, transcript_id).name
            raise AccessDenied(f"transcript {name}: {who.name} marked it done, so their coding on it is "
                               "locked; a supervisor can reopen it")

    def is_done(self, transcript_id: int, coder: str) -> bool:
        with self._read() as s:
            who = s.scalar(select(CoderRow).where(CoderRow.name == coder))
            return who is not None and s.get(TranscriptStatusRow, (transcript_id, who.id)) is not None

    def assignments(self) -> dict[int, list[str]]:
        with self._read() as s:
            out: dict[int, list[str]] = defaultdict(list)
            for tid, name in s.execute(select(AssignmentRow.transcript_id, CoderRow.name).join(CoderRow)
                                       .order_by(CoderRow.name)):
                out[tid].append(name)
            return dict(out)

    def done_by(self, transcript_id: int) -> list[str]:
        with self._read() as s:
            return sorted(s.scalars(select(CoderRow.name).join(TranscriptStatusRow,
                                                               TranscriptStatusRow.coder_id == CoderRow.id)
                                    .where(TranscriptStatusRow.transcript_id == transcript_id)))

    def done_by_all(self) -> dict[int, list[str]]:
        """Transcript id → the coders who marked it done (sorted), in one query for pages that list them."""
        with self._read() as s:
            out: dict[int, list[str]] = defaultdict(list)
            for tid, name in s.execute(select(TranscriptStatusRow.transcript_id, CoderRow.name)
                                       .join(CoderRow, TranscriptStatusRow.coder_id == CoderRow.id)
                                       .order_by(CoderRow.name)):
                out[tid].append(name)
            return dict(out)

    def blind_transcripts(self, coder: str) -> set[int]:
        """Transcripts on which ``coder`` must not yet see others' or the machine's codes:
        every assigned transcript not yet done by all its coders, unless ``coder`` is a
        supervisor or admin (whether or not ``coder`` is in the sample)."""
        with self._read() as s:
            role = s.scalar(select(CoderRow.role).where(CoderRow.name == (coder or "").strip()))
            if role in UNBLIND_ROLES:
                return set()
            assigned: dict[int, set[int]] = defaultdict(set)
            for tid, cid in s.execute(select(AssignmentRow.transcript_id, AssignmentRow.coder_id)):
                assigned[tid].add(cid)
            done: dict[int, set[int]] = defaultdict(set)
            for tid, cid in s.execute(select(TranscriptStatusRow.transcript_id, TranscriptStatusRow.coder_id)):
                done[tid].add(cid)
        return {tid for tid, cids in assigned.items() if not cids <= done[tid]}

    def visible_applications(self, viewer: str, segment_ids: Iterable[int] | None = None,
                             source: str | None = None) -> list[CodeApplication]:
        """What ``viewer`` may see: everything, except on blind transcripts only their own codes."""
        apps = self.applications(source=source, segment_ids=segment_ids)
        blind = self.blind_transcripts(viewer)
        if not blind:
            return apps
        with self._read() as s:
            hidden_segments = set(s.scalars(select(SegmentRow.id).where(SegmentRow.transcript_id.in_(blind))))
        return [a for a in apps if a.segment_id not in hidden_segments
                or (a.source == "human" and a.coder == viewer)]

    def coded_transcripts(self, coder: str) -> set[int]:
        """Transcripts a coder has coded: marked done, or with at least one decision."""
        with self._read() as s:
            who = s.scalar(select(CoderRow).where(CoderRow.name == coder))
            if who is None:
                raise StoreError(f"coder: expected a coder of this study, got {coder!r}")
            if coder in ("machine", "final"):
                source = coder
                return set(s.scalars(select(SegmentRow.transcript_id).join(
                    CodeApplicationRow, CodeApplicationRow.segment_id == SegmentRow.id)
                    .where(CodeApplicationRow.source == source).distinct()))
            done = set(s.scalars(select(TranscriptStatusRow.transcript_id)
                                 .where(TranscriptStatusRow.coder_id == who.id)))
            decided = set(s.scalars(select(SegmentRow.transcript_id).join(
                CodeApplicationRow, CodeApplicationRow.segment_id == SegmentRow.id)
                .where(CodeApplicationRow.coder_id == who.id, CodeApplicationRow.source == "human").distinct()))
            spans = set(s.scalars(select(SpanCodingRow.transcript_id).where(
                SpanCodingRow.coder_id == who.id, SpanCodingRow.source == "human").distinct()))
            return done | decided | spans

    def presence_tables(self, coders: list[str], code_ids: list[str], version: int | None = None
                        ) -> tuple[list[int], dict[str, np.ndarray], list[int]]:
        """Per code, a units × coders 0/1 table over the codeable segments of the transcripts
        that every one of ``coders`` has coded. ``machine`` and ``final`` may stand as coders.

        With ``version``, only decisions made under that codebook version count. The third
        value lists the codebook versions of the decisions counted."""
        common: set[int] | None = None
        for coder in coders:
            mine = self.coded_transcripts(coder)
            common = mine if common is None else common & mine
        segments = [seg for seg in self.segments(codeable_only=True) if seg.transcript_id in (common or set())]
        ids = [seg.id for seg in segments]
        row = {sid: i for i, sid in enumerate(ids)}
        tables = {code: np.zeros((len(ids), len(coders)), dtype=np.int64) for code in code_ids}
        versions: set[int] = set()
        for app in self.applications(segment_ids=ids, include_spans=True):  # spans: the overlap rule
            if app.code_id not in tables or not app.present:
                continue
            if version is not None and app.codebook_version != version:
                continue
            if app.source == "machine":
                name = "machine" if (app.confidence or 0) >= MACHINE_PRESENT else None
            elif app.source == "final":
                name = "final"
            else:
                name = app.coder
            if name in coders:
                tables[app.code_id][row[app.segment_id], coders.index(name)] = 1
                versions.add(app.codebook_version)
        return ids, tables, sorted(versions)

    def disagreements(self, a: str, b: str, code: str | None = None) -> list[Disagreement]:
        """Segments where coders ``a`` and ``b`` differ on a code, both codings side by side,
        with the final (adjudicated) decision where there is one."""
        codes = [code] if code else self.codebook().ids()
        ids, tables, _ = self.presence_tables([a, b], codes)
        segments = {s.id: s for s in self.segments(ids=ids)}
        final = {(x.segment_id, x.code_id): x for x in self.applications(source="final", segment_ids=ids)}
        out = []
        for code_id in codes:
            table = tables[code_id]
            for i in np.flatnonzero(table[:, 0] != table[:, 1]):
                seg = segments[ids[i]]
                f = final.get((seg.id, code_id))
                out.append(Disagreement(seg.id, seg.transcript, seg.attribution(), seg.text, code_id, (a, b),
                                        (bool(table[i, 0]), bool(table[i, 1])),
                                        None if f is None else f.present, "" if f is None else f.reason))
        return out
