"""What *Review next* ranks (:class:`ReviewIndex`), from a cache kept until the review mark changes.

Mixed into :class:`qualcode.store.study.Study`. On 50,000 segments a click on *Review
next* read the pool of codeable segments in transcript order (0.15–0.28 s) and summed
the uncertainty of 240,000 machine suggestions per segment (0.6 s of SQL) before it
ranked anything, though neither had changed since the last click. Both now come from a
cache keyed by the newest review mark (:mod:`qualcode.store.review_marks`: every write
of suggestions, segments or transcripts appends one, in its own transaction), kept in
the process and in a private file in the study folder (``.review-cache.npz``, so that
``qualcode next`` reuses it from one command to the next).

What may change with a click is never cached: the decisions (a segment somebody coded
since the cache was made is excluded at once) and the blind rule (suggestions on a
transcript blind for ``viewer`` count for nothing, as in :meth:`uncertainty_sums`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from qualcode.store.core import StudyCore
from qualcode.store.models import ReviewMarkRow

CACHE_NAME = ".review-cache.npz"


@dataclass(frozen=True)
class ReviewIndex:
    """Every codeable segment in transcript order (name, then start), as *Review next*
    ranks them; arrays aligned with ``segment_ids`` (read-only: they may be shared).

    ``decided``: a human or final decision ``viewer`` may see, read at the call.
    ``uncertainty``: the sum over the asked codes of ``1 − |2c − 1|`` of its machine
    suggestions (0 with none, or on a transcript blind for ``viewer``); ``suggested``:
    some such confidence above 0. Both ``None`` when no codes were asked for.
    ``mark``: the review mark the cached part was read under."""

    segment_ids: np.ndarray
    transcript_ids: np.ndarray
    decided: np.ndarray
    uncertainty: np.ndarray | None
    suggested: np.ndarray | None
    mark: str | None


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


class ReviewIndexReads(StudyCore):
    # mark -> {"layout": (segment ids, transcript ids), codes tuple -> (uncertainty, suggested)}
    _review_memo: dict | None = None

    def review_mark(self) -> str | None:
        """The newest review mark: it changes with every write of suggestions or segments."""
        with self._read() as s:
            return s.scalar(select(ReviewMarkRow.token).order_by(ReviewMarkRow.id.desc()).limit(1))

    def review_index(self, viewer: str, code_ids: Sequence[str] | None = None) -> ReviewIndex:
        """What *Review next* ranks for ``viewer`` (see :class:`ReviewIndex`); with
        ``code_ids``, each segment's uncertainty summed over those codes."""
        mark = self.review_mark()  # first: what is read after it is at least as new
        memo = self._cached_parts(mark, tuple(code_ids or ()))
        segment_ids, transcript_ids = memo["layout"]
        uncertainty = suggested = None
        if code_ids:
            uncertainty, suggested = memo[tuple(code_ids)]
            blind = self.blind_transcripts(viewer)
            if blind:  # no machine code counts on a transcript blind for the viewer
                hidden = np.isin(transcript_ids, sorted(blind))
                uncertainty = _frozen(np.where(hidden, 0.0, uncertainty))
                suggested = _frozen(suggested & ~hidden)
        decided = np.isin(segment_ids, sorted(self.decided_segment_ids(viewer)))
        return ReviewIndex(segment_ids, transcript_ids, _frozen(decided), uncertainty, suggested, mark)

    def prepare_review_index(self, code_ids: Sequence[str]) -> str | None:
        """Build the cached part now (after a suggestion run), so that the next *Review next*,
        in this process or another, finds it ready; the mark it was built under."""
        mark = self.review_mark()
        self._cached_parts(mark, tuple(code_ids))
        return mark

    # ---------------------------------------------------------------- the cached part
    def _cached_parts(self, mark: str | None, codes: tuple[str, ...]) -> dict:
        """The cache entry of ``mark`` with the layout and (for non-empty ``codes``) their
        sums, each read once under the mark and then kept in the file beside the database."""
        memo = self._review_entry(mark)
        missing = "layout" not in memo or (codes and codes not in memo)
        if "layout" not in memo:
            memo["layout"] = self._read_layout()
        if codes and codes not in memo:
            memo[codes] = self._read_uncertainty(memo["layout"][0], codes)
        if missing:
            self._save_review_cache(mark, memo)
        return memo

    def _review_entry(self, mark: str | None) -> dict:
        memo = self._review_memo
        if memo is None or memo.get("mark", "") != mark:
            memo = self._load_review_cache(mark) or {"mark": mark}
            self._review_memo = memo
        return memo

    def _read_layout(self) -> tuple[np.ndarray, np.ndarray]:
        ids, tids = self._codeable_layout()  # the uncached read of :meth:`review_pool`
        return _frozen(ids), _frozen(tids)

    def _read_uncertainty(self, segment_ids: np.ndarray, code_ids: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Each segment's summed uncertainty over ``code_ids`` and whether some confidence is
        above 0, summed in SQL from the covering ``ix_applications_suggestions``."""
        with self._read() as s:  # the query of :meth:`uncertainty_sums`, without the blind rule
            rows = s.connection().execute(self._uncertainty_query(code_ids)).all()
        uncertainty, suggested = np.zeros(len(segment_ids)), np.zeros(len(segment_ids), dtype=bool)
        if rows and len(segment_ids):
            sid = np.fromiter((r[0] for r in rows), np.int64, len(rows))
            total = np.fromiter((r[1] or 0.0 for r in rows), np.float64, len(rows))
            top = np.fromiter((r[2] or 0.0 for r in rows), np.float64, len(rows))
            order = np.argsort(segment_ids, kind="stable")
            at = order[np.minimum(np.searchsorted(segment_ids, sid, sorter=order), len(segment_ids) - 1)]
            known = segment_ids[at] == sid  # suggestions of codeable segments only
            uncertainty[at[known]] = total[known]
            suggested[at[known]] = top[known] > 0
        return _frozen(uncertainty), _frozen(suggested)

    # ---------------------------------------------------------------- the file beside the database
    def _load_review_cache(self, mark: str | None) -> dict | None:
        """The cache file's content, if it was written under ``mark`` (a random token: a
        file from another database or an older state never matches)."""
        if mark is None:
            return None
        try:
            with np.load(self.folder / CACHE_NAME, allow_pickle=False) as data:
                if str(data["mark"]) != mark:
                    return None
                memo: dict = {"mark": mark, "layout": (_frozen(data["segment_ids"]), _frozen(data["transcript_ids"]))}
                codes = json.loads(str(data["codes"]))
                if codes is not None:
                    memo[tuple(codes)] = (_frozen(data["uncertainty"]), _frozen(data["suggested"]))
                return memo
        except (OSError, KeyError, ValueError):  # no file yet, or one that cannot be read: read the database
            return None

    def _save_review_cache(self, mark: str | None, memo: dict) -> None:
        """Keep the cache for the next process (``qualcode next``); a cache that cannot be
        written (a read-only folder) is simply not kept."""
        from qualcode.io.atomic import write_atomic

        if mark is None or "layout" not in memo:
            return
        codes = next((k for k in reversed(list(memo)) if isinstance(k, tuple)), None)  # the newest
        sums = memo[codes] if codes is not None else (np.zeros(0), np.zeros(0, dtype=bool))
        buffer = io.BytesIO()
        np.savez(buffer, mark=np.array(mark), codes=np.array(json.dumps(None if codes is None else list(codes))),
                 segment_ids=memo["layout"][0], transcript_ids=memo["layout"][1],
                 uncertainty=sums[0], suggested=sums[1])
        try:
            write_atomic(self.folder / CACHE_NAME, buffer.getvalue(), private=True)
        except Exception:  # noqa: BLE001 - an OutputError or OSError: the cache is only a speed-up
            return


__all__ = ["CACHE_NAME", "ReviewIndex", "ReviewIndexReads"]
