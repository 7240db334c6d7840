"""Code co-occurrence: segments where two codes both apply, as a count and Jaccard.

As in NVivo's and ATLAS.ti's co-occurrence tables, a code counts on a segment when it or
any code under it applies. Pairs of a code and its own ancestor are left out (a child
always "co-occurs" with its parent). Jaccard = segments with both / segments with either,
so a pair of frequent codes is not ranked above a pair that nearly always go together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from qualcode.records import Codebook


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    both: int
    either: int
    segment_ids: tuple[int, ...]

    @property
    def jaccard(self) -> float:
        return self.both / self.either if self.either else 0.0


def ancestors(codebook: Codebook, code_id: str) -> set[str]:
    out: set[str] = set()
    code = codebook.get(code_id)
    while code.parent is not None:
        out.add(code.parent)
        code = codebook.get(code.parent)
    return out


def code_segments(codebook: Codebook, coding: Mapping[int, Mapping[str, object]]) -> dict[str, set[int]]:
    """code id → segments where it or a code under it applies (codes not in the codebook skipped)."""
    known = set(codebook.ids())
    out: dict[str, set[int]] = {c: set() for c in codebook.ids()}
    for seg_id, codes in coding.items():
        for code_id in codes:
            if code_id in known:
                for c in {code_id, *ancestors(codebook, code_id)}:
                    out[c].add(seg_id)
    return out


def cooccurrence(codebook: Codebook, coding: Mapping[int, Mapping[str, object]],
                 codes: list[str] | None = None) -> list[Pair]:
    """Every pair of ``codes`` (default: all, codebook order) that are not ancestor and
    descendant, with at least one segment each; most segments in common first."""
    segs = code_segments(codebook, coding)
    ids = [c for c in (codes or codebook.ids()) if segs.get(c)]
    pairs = []
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            if a in ancestors(codebook, b) or b in ancestors(codebook, a):
                continue
            both = segs[a] & segs[b]
            pairs.append(Pair(a, b, len(both), len(segs[a] | segs[b]), tuple(sorted(both))))
    return sorted(pairs, key=lambda p: (-p.both, -p.jaccard, ids.index(p.a), ids.index(p.b)))
