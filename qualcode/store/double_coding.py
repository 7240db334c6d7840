"""Double-coding: samples assigned to coders, the blind rule, and present/absent tables.

The blind rule: on a transcript assigned to a coder for double-coding, that coder sees
only their own codes (no other coder's, no machine suggestions, no final codes) until
every coder assigned to it has marked it done. It is applied here, in the store, so
the CLI and the app cannot show what the API does not return.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from sqlalchemy import func, select

from qualcode.errors import StoreError
from qualcode.records import CodeApplication
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


class DoubleCoding:
    """Mixed into :class:`qualcode.store.study.Study`."""

    def assign(self, coders: list[str], fraction: float, stratify: str | None = None, seed: int = 42,
               actor: str = "supervisor", sample: str = "double-coding") -> list[str]:
        """Assign a random ``fraction`` of transcripts (at least one) to every coder in ``coders``.

        ``stratify="group"`` (or ``site``, ``role``) draws the fraction within each value of
        the transcript's main participant's attribute.
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
            strata: dict[str, list[int]] = defaultdict(list)
            for tid in all_ids:
                strata[main.get(tid, (0, "unknown"))[1] if stratify else ""].append(tid)
            rng = random.Random(seed)
            chosen: list[int] = []
            for key in sorted(strata):
                ids = strata[key]
                k = max(1, round(fraction * len(ids)))
                chosen.extend(sorted(rng.sample(ids, k)))
            people = [self._coder(s, c) for c in coders]
            for tid in chosen:
                for who in people:
                    exists = s.scalar(select(AssignmentRow.id).where(AssignmentRow.transcript_id == tid,
                                                                     AssignmentRow.coder_id == who.id))
                    if not exists:
                        s.add(AssignmentRow(transcript_id=tid, coder_id=who.id, sample=sample))
            names = [s.get(TranscriptRow, tid).name for tid in chosen]
            self._audit(s, actor, "assign", "sample", sample, None,
                        {"coders": coders, "fraction": fraction, "stratify": stratify, "seed": seed,
                         "transcripts": names})
            return names

    def assignments(self) -> dict[int, list[str]]:
        with self._tx() as s:
            out: dict[int, list[str]] = defaultdict(list)
            for tid, name in s.execute(select(AssignmentRow.transcript_id, CoderRow.name).join(CoderRow)
                                       .order_by(CoderRow.name)):
                out[tid].append(name)
            return dict(out)

    def done_by(self, transcript_id: int) -> list[str]:
        with self._tx() as s:
            return sorted(s.scalars(select(CoderRow.name).join(TranscriptStatusRow,
                                                               TranscriptStatusRow.coder_id == CoderRow.id)
                                    .where(TranscriptStatusRow.transcript_id == transcript_id)))

    def blind_transcripts(self, coder: str) -> set[int]:
        """Transcripts on which ``coder`` must not yet see others' or the machine's codes."""
        assigned = self.assignments()
        blind = set()
        for tid, coders in assigned.items():
            if coder in coders and not set(coders) <= set(self.done_by(tid)):
                blind.add(tid)
        return blind

    def visible_applications(self, viewer: str, segment_ids: Iterable[int] | None = None,
                             source: str | None = None) -> list[CodeApplication]:
        """What ``viewer`` may see: everything, except on blind transcripts only their own codes."""
        apps = self.applications(source=source, segment_ids=segment_ids)
        blind = self.blind_transcripts(viewer)
        if not blind:
            return apps
        with self._tx() as s:
            hidden_segments = set(s.scalars(select(SegmentRow.id).where(SegmentRow.transcript_id.in_(blind))))
        return [a for a in apps if a.segment_id not in hidden_segments
                or (a.source == "human" and a.coder == viewer)]

    def coded_transcripts(self, coder: str) -> set[int]:
        """Transcripts a coder has coded: marked done, or with at least one decision."""
        with self._tx() as s:
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

    def disagreements(self, a: str, b: str, code: str | None = None) -> list[dict]:
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
                out.append({"segment": seg.id, "transcript": seg.transcript, "attribution": seg.attribution(),
                            "text": seg.text, "code": code_id, a: bool(table[i, 0]), b: bool(table[i, 1]),
                            "final": None if f is None else f.present,
                            "rationale": "" if f is None else f.reason})
        return out
