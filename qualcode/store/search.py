"""Find anything: retrieval by code (with sub-codes, attributes, coder, source) and text search.

Mixed into :class:`qualcode.store.study.Study`. Retrieval returns whole segments (decided
or suggested) and span codings alike as :class:`~qualcode.records.Hit`; text search returns
exact offsets into each transcript's stored plain text, so a hit can be shown in context and
coded as a span (*code all hits*, NVivo's and QualCoder's text-search autocoding) in one
transaction with one audit row, undone as one action.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qualcode.errors import StoreError
from qualcode.records import CodeApplication, Hit, SearchPage, Segment, TextHit, machine_counted
from qualcode.store.core import StudyCore
from qualcode.store.models import AuditRow, CodeApplicationRow, CoderRow, SegmentRow, SpanCodingRow, TranscriptRow
from qualcode.store.spans import _overlaps
from qualcode.store.text_search import CodeableText, SearchableText, find_spans, folded_pattern, home_segment

CONTEXT_CHARS = 60
MAX_QUERY_CHARS = 200
RETRIEVE_SOURCES = ("human", "machine", "final")


def search_pattern(query: str, case_sensitive: bool = False, whole_words: bool = False) -> re.Pattern:
    """The query as a regular expression: its words literally, any run of white space
    between them (a phrase still matches across a line break)."""
    words = (query or "").split()
    if not words:
        raise StoreError("search: expected a word or phrase, got nothing")
    if len(query) > MAX_QUERY_CHARS:
        raise StoreError(f"search: expected at most {MAX_QUERY_CHARS} characters, got {len(query)}")
    body = r"\s+".join(re.escape(w) for w in words)
    if whole_words:
        body = rf"(?<!\w){body}(?!\w)"
    return re.compile(body, 0 if case_sensitive else re.IGNORECASE)


def _matches(segment: Segment | None, attributes: Mapping[str, str], people: dict) -> bool:
    if not attributes:
        return True
    person = people.get(segment.participant_id) if segment is not None else None
    if person is None:
        return False
    for name, wanted in attributes.items():
        have = {"group": person.group, "role": person.role, "site": person.site,
                "participant_id": person.participant_id}.get(name, person.attributes.get(name))
        if have is None or str(have).strip().casefold() != str(wanted).strip().casefold():
            return False
    return True


class Search(StudyCore):
    # (change counter, where the codeable segments lie): what searches read, see _codeable_text
    _layout_cache: tuple[int, CodeableText] | None = None
    # (change counter, each transcript's id, name and text in name order): what searches scan, see _texts
    _texts_cache: tuple[int, list[tuple[int, str, SearchableText]]] | None = None

    # ------------------------------------------------------------------ retrieval
    def retrieve(self, code_id: str, include_children: bool = True,
                 attributes: Mapping[str, str] | None = None, coder: str | None = None,
                 source: str | None = None, min_confidence: float | None = None) -> list[Hit]:
        """Every segment and span coded with ``code_id`` (a theme: with all its sub-codes).

        ``attributes`` keeps hits whose participant has each value (group, role, site or any
        attribute; case-insensitive); ``coder`` keeps one person's coding (a final code's
        coder is its adjudicator; machine suggestions have none); ``source`` one of human,
        machine, final, or None for all. Rejections are never hits. Machine suggestions are
        those coders are shown (:func:`qualcode.records.engine_showed`), or with
        ``min_confidence`` every one from that confidence instead.
        """
        if source not in (None, *RETRIEVE_SOURCES):
            raise StoreError(f"source: expected one of {', '.join(RETRIEVE_SOURCES)}, got {source!r}")
        codebook = self.codebook()
        if code_id not in codebook.ids():
            raise StoreError(f"code: expected a code id of the current codebook, got {code_id!r}")
        codes, todo = [], [code_id]
        while todo:
            current = todo.pop(0)
            codes.append(current)
            if include_children:
                todo += [c.id for c in codebook.children(current)]
        apps = [a for a in self._present_applications(codes, source) if (coder is None or a.coder == coder)
                and (a.source != "machine" or machine_counted(a.shown, a.confidence, min_confidence))]
        spans = [] if source == "machine" else [
            x for x in self.span_codings(code_ids=codes, source=source) if coder is None or x.coder == coder]
        span_segment = self._span_home_segments([x.id for x in spans])
        segments = {seg.id: seg for seg in self.segments(
            ids={a.segment_id for a in apps} | set(span_segment.values()))}
        people = {p.participant_id: p for p in self.participants()} if attributes else {}
        hits: list[Hit] = []
        for a in apps:
            seg = segments[a.segment_id]
            if _matches(seg, attributes or {}, people):
                hits.append(Hit("segment", seg.id, seg.id, seg.transcript_id, seg.transcript, seg.start,
                                seg.end, seg.text, a.code_id, a.source, a.coder, seg.attribution(),
                                seg.participant_id, a.confidence))
        for x in spans:
            seg = segments.get(span_segment.get(x.id))
            if _matches(seg, attributes or {}, people):
                hits.append(Hit("span", x.id, seg.id if seg else None, x.transcript_id, x.transcript,
                                x.start, x.end, x.text, x.code_id, x.source, x.coder,
                                seg.attribution() if seg else "", seg.participant_id if seg else None))
        order = {c: i for i, c in enumerate(codebook.ids())}
        hits.sort(key=lambda h: (h.transcript, h.start, h.end, order.get(h.code_id, 0), RETRIEVE_SOURCES.index(h.source),
                                 h.coder or "", h.kind))
        return hits

    def _present_applications(self, codes: list[str], source: str | None) -> list[CodeApplication]:
        """Present decisions and suggestions of ``codes`` only (a study holds many more)."""
        query = (select(CodeApplicationRow, CoderRow.name).join(CoderRow)
                 .where(CodeApplicationRow.code_id.in_(codes), CodeApplicationRow.present.is_(True)))
        if source is not None:
            query = query.where(CodeApplicationRow.source == source)
        with self._read() as s:
            return [CodeApplication(r.segment_id, r.code_id, r.source, True,
                                    r.decided_by if r.source == "final" else (None if r.source == "machine" else name),
                                    r.confidence, r.reason, r.codebook_version, r.created_at.isoformat(),
                                    r.shown)
                    for r, name in s.execute(query.order_by(CodeApplicationRow.id))]

    def _span_home_segments(self, span_ids: list[int]) -> dict[int, int]:
        """For each span coding, the segment that holds it: the first codeable one it overlaps,
        else the first it overlaps."""
        home: dict[int, tuple[bool, int, int]] = {}
        with self._read() as s:
            for i in range(0, len(span_ids), 900):
                query = (select(SpanCodingRow.id, SegmentRow.id, SegmentRow.start, SegmentRow.is_interviewer,
                                SegmentRow.procedural).join(SegmentRow, _overlaps())
                         .where(SpanCodingRow.id.in_(span_ids[i:i + 900])))
                for span_id, seg_id, start, interviewer, procedural in s.execute(query):
                    key = (bool(interviewer or procedural), start, seg_id)
                    if span_id not in home or key < home[span_id]:
                        home[span_id] = key
        return {span_id: key[2] for span_id, key in home.items()}

    # ------------------------------------------------------------------ text search
    def _found(self, s: Session, query: str, case_sensitive: bool, whole_words: bool,
               limit: int | None = None, cache: bool = True) -> tuple[list[tuple[int, str, int, int]], dict[int, str]]:
        """Every match (transcript id, name, start, end) in transcript-name and text order,
        and the plain text of each transcript with one (see :mod:`qualcode.store.text_search`)."""
        pattern = search_pattern(query, case_sensitive, whole_words)
        words = [w.lower() for w in query.split()]
        folded = None if case_sensitive else folded_pattern(words, whole_words)  # case-sensitive: fast as it is
        found: list[tuple[int, str, int, int]] = []
        texts: dict[int, str] = {}
        for tid, name, text in self._texts(s, cache):
            spans = find_spans(text, words, pattern, folded)
            if spans:
                texts[tid] = text.plain
                found += [(tid, name, start, end) for start, end in spans]
            if limit is not None and len(found) >= limit:
                return found[:limit], texts
        return found, texts

    def _texts(self, s: Session, cache: bool) -> list[tuple[int, str, SearchableText]]:
        """Every transcript's id, name and text, in name order. Reads keep them (and the folded
        copies searches make) until the next change, as :meth:`_codeable_text` keeps the
        segments' layout: a search on 50,000 segments then reads and folds no 8 MB of text;
        a write (*code all hits*) reads them afresh in its own transaction."""
        counter = (s.scalar(select(func.max(AuditRow.id))) or 0) if cache else None
        kept = self._texts_cache
        if cache and kept is not None and kept[0] == counter:
            return kept[1]
        texts = [(tid, name, SearchableText(plain)) for tid, name, plain in s.execute(
            select(TranscriptRow.id, TranscriptRow.name, TranscriptRow.plain_text).order_by(TranscriptRow.name))]
        if cache:
            self._texts_cache = (counter, texts)
        return texts

    def _codeable_text(self, s: Session, cache: bool) -> CodeableText:
        """Where the codeable segments lie (from the covering index ``ix_segments_layout``).
        Reads keep it until the next change (every change appends to the audit log:
        :meth:`change_counter`), so a search reads no segment rows; a write (*code all
        hits*) reads it afresh in its own transaction."""
        counter = (s.scalar(select(func.max(AuditRow.id))) or 0) if cache else None
        kept = self._layout_cache
        if cache and kept is not None and kept[0] == counter:
            return kept[1]
        rows = s.connection().execute(
            select(SegmentRow.transcript_id, SegmentRow.start, SegmentRow.end)
            .where(SegmentRow.is_interviewer.is_(False), SegmentRow.procedural.is_(False))
            .order_by(SegmentRow.transcript_id, SegmentRow.start)).all()
        table = np.array([tuple(r) for r in rows], dtype=np.int64).reshape(-1, 3)  # rows are not tuples to numpy
        layout = CodeableText(table[:, 0], table[:, 1], table[:, 2])
        if cache:
            self._layout_cache = (counter, layout)
        return layout

    def _codeable(self, found: list[tuple[int, str, int, int]], layout: CodeableText) -> np.ndarray:
        return layout.touches([f[0] for f in found], [f[2] for f in found], [f[3] for f in found])

    def _text_hits(self, s: Session, found: list[tuple[int, str, int, int]], texts: dict[int, str],
                   codeable: np.ndarray) -> list[TextHit]:
        """The hits in context with who said them (a record each: only for what is shown)."""
        rows: dict[int, list[tuple[int, int, int]]] = {}
        tids = sorted({f[0] for f in found})
        for i in range(0, len(tids), 900):
            for tid, sid, start, end in s.connection().execute(
                    select(SegmentRow.transcript_id, SegmentRow.id, SegmentRow.start, SegmentRow.end)
                    .where(SegmentRow.transcript_id.in_(tids[i:i + 900])).order_by(SegmentRow.start)):
                rows.setdefault(tid, []).append((sid, start, end))
        homes = [home_segment(rows.get(tid, []), start) for tid, _, start, _ in found]
        segments = {seg.id: seg for seg in self.segments(ids={h for h in homes if h is not None})}
        hits = []
        for (tid, name, start, end), home, ok in zip(found, homes, codeable, strict=True):
            plain = texts[tid]
            seg = segments.get(home)
            before, after = context(plain, start, end)
            hits.append(TextHit(tid, name, start, end, plain[start:end], before, after, home,
                                seg.attribution() if seg else "", bool(ok)))
        return hits

    def search_text(self, query: str, case_sensitive: bool = False, whole_words: bool = False,
                    limit: int | None = None) -> list[TextHit]:
        """Every place ``query`` occurs in any transcript (the first ``limit``), in transcript
        and text order, with the words around it and who said it (``codeable`` False: only
        in interviewer turns or procedural lines)."""
        with self._read() as s:
            found, texts = self._found(s, query, case_sensitive, whole_words, limit)
            return self._text_hits(s, found, texts, self._codeable(found, self._codeable_text(s, cache=True)))

    def search_page(self, query: str, case_sensitive: bool = False, whole_words: bool = False,
                    offset: int = 0, size: int = 50) -> SearchPage:
        """How many places ``query`` occurs (in how many transcripts, how many codeable) and
        the hits from ``offset`` (at most ``size``) in context: what the Search page shows.
        Only the shown hits become records; counting the rest costs a folded ``str.find``."""
        if offset < 0 or size < 1:
            raise StoreError(f"search page: expected offset >= 0 and size >= 1, got {offset} and {size}")
        with self._read() as s:
            found, texts = self._found(s, query, case_sensitive, whole_words)
            codeable = self._codeable(found, self._codeable_text(s, cache=True))
            shown = self._text_hits(s, found[offset:offset + size], texts, codeable[offset:offset + size])
        return SearchPage(len(found), int(codeable.sum()), len(texts), offset, tuple(shown))

    def code_all_hits(self, query: str, code_id: str, coder: str, case_sensitive: bool = False,
                      whole_words: bool = False) -> int:
        """Code every codeable hit of ``query`` with ``code_id`` as span codings by ``coder``:
        one transaction, one audit row (undone as one action). Hits only in interviewer turns
        or procedural lines, and hits already coded so by this coder, are left as they are.
        Returns how many span codings were created."""
        search_pattern(query, case_sensitive, whole_words)  # a bad query fails before anything is locked
        with self._tx() as s:
            who = self._person(s, coder)
            version = self._check_applicable(s, code_id)
            found, texts = self._found(s, query, case_sensitive, whole_words, cache=False)
            codeable = self._codeable(found, self._codeable_text(s, cache=False))
            have = set(s.execute(select(SpanCodingRow.transcript_id, SpanCodingRow.start, SpanCodingRow.end).where(
                SpanCodingRow.code_id == code_id, SpanCodingRow.source == "human", SpanCodingRow.coder_id == who.id)))
            rows = [SpanCodingRow(transcript_id=tid, start=start, end=end, text=texts[tid][start:end],
                                  code_id=code_id, codebook_version=version, source="human", coder_id=who.id,
                                  decided_by=who.name)
                    for (tid, _, start, end), ok in zip(found, codeable, strict=True)
                    if ok and (tid, start, end) not in have]
            s.add_all(rows)
            s.flush()
            created = [r.id for r in rows]
            if created:
                self._audit(s, coder, "code_all_hits", "span_coding", query[:200], None,
                            {"query": query, "code": code_id, "case_sensitive": case_sensitive,
                             "whole_words": whole_words, "hits": len(found), "spans": created})
            return len(created)


def context(plain: str, start: int, end: int, chars: int = CONTEXT_CHARS) -> tuple[str, str]:
    """About ``chars`` characters of ``plain`` either side of ``plain[start:end]``, cut at a
    space so that no word is cut in half (unless a single word is longer than ``chars``):
    ``plain[:start].endswith(before)`` and ``plain[end:].startswith(after)`` always hold."""
    a = max(0, start - chars)
    if a > 0:
        space = plain.find(" ", a, start)
        a = space + 1 if space != -1 else a
    b = min(len(plain), end + chars)
    if b < len(plain):
        space = plain.rfind(" ", end + 1, b + 1)
        b = space if space != -1 else b
    return plain[a:start], plain[end:b]


__all__ = ["CONTEXT_CHARS", "context", "Search", "search_pattern"]
