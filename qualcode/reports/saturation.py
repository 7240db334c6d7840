"""Saturation: how many new codes each successive interview adds (Guest, Bunce and Johnson 2006).

Guest, Bunce and Johnson coded 60 interviews in the order they were done and counted the
codes each one added; 94% of their codes had appeared by the 6th interview. Here, for the
codes the report counts, interview *k* (a transcript, in import order) adds the codes
nobody had been coded with in interviews 1…k−1; the cumulative curve is their running sum.

The saturation point for a share ``threshold`` (default 0.05) is the first interview *k*
after which fewer than ``threshold`` × all codes are new: ``(total − cumulative[k]) <
threshold × total``. If only the last interview gets there, the study has not shown
saturation (``point`` is None): its last interview still added that many.

Because the order of interviews matters, :func:`random_orders` repeats the count over
shuffled orders and gives the mean curve, the band (lowest and highest cumulative count at
each position) and each order's saturation point. Per attribute group (e.g. GPs and
patients), only that group's interviews and that group's coded segments are counted.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from qualcode.errors import UsageError
from qualcode.records import Segment

Interviews = Sequence[tuple[str, frozenset[str]]]


@dataclass(frozen=True)
class Curve:
    interviews: tuple[str, ...]
    new: tuple[int, ...]
    cumulative: tuple[int, ...]
    total: int
    threshold: float
    point: int | None  # 1-based interview after which < threshold of codes are new; None: not reached

    def sentence(self) -> str:
        n = len(self.interviews)
        if not self.total:
            return "no codes counted yet, so no saturation to show"
        if self.point is None:
            return (f"not reached in {n} interview{'s' if n != 1 else ''}: interview {n} still added {self.new[-1]} of "
                    f"{self.total} codes (≥ {self.threshold:.0%})")
        after = self.total - self.cumulative[self.point - 1]
        return (f"after interview {self.point} of {n} ({self.interviews[self.point - 1]}), fewer than "
                f"{self.threshold:.0%} of the {self.total} codes were new ({after} appeared later)")


@dataclass(frozen=True)
class Band:
    orders: int
    mean: tuple[float, ...]
    low: tuple[int, ...]
    high: tuple[int, ...]
    points: tuple[int | None, ...]

    def median_point(self) -> float | None:
        reached = [p for p in self.points if p is not None]
        return statistics.median(reached) if len(reached) * 2 > len(self.points) else None


@dataclass(frozen=True)
class GroupSaturation:
    group: str  # "all" or the attribute value
    curve: Curve
    band: Band | None = None

    def as_dict(self) -> dict:
        out = {"group": self.group, "interviews": list(self.curve.interviews), "new": list(self.curve.new),
               "cumulative": list(self.curve.cumulative), "total": self.curve.total,
               "threshold": self.curve.threshold, "point": self.curve.point,
               "summary": self.curve.sentence()}
        if self.band is not None:
            out["random_orders"] = {"orders": self.band.orders, "mean": [round(m, 4) for m in self.band.mean],
                                    "low": list(self.band.low), "high": list(self.band.high),
                                    "points": list(self.band.points), "median_point": self.band.median_point()}
        return out


def check_threshold(threshold: float) -> float:
    if not 0.0 < threshold < 1.0:
        raise UsageError(f"--threshold: expected a share between 0 and 1 (e.g. 0.05), got {threshold}")
    return threshold


def _point(cumulative: Sequence[int], total: int, threshold: float) -> int | None:
    n = len(cumulative)
    for k, cum in enumerate(cumulative, 1):
        if total - cum < threshold * total:
            return k if k < n else None
    return None


def saturation_curve(interviews: Interviews, threshold: float = 0.05) -> Curve:
    """New and cumulative codes per interview, in the order given."""
    check_threshold(threshold)
    seen: set[str] = set()
    new, cumulative = [], []
    for _name, codes in interviews:
        fresh = set(codes) - seen
        seen |= fresh
        new.append(len(fresh))
        cumulative.append(len(seen))
    total = len(seen)
    return Curve(tuple(n for n, _ in interviews), tuple(new), tuple(cumulative), total, threshold,
                 _point(cumulative, total, threshold) if total else None)


def random_orders(interviews: Interviews, orders: int, threshold: float = 0.05, seed: int = 0) -> Band:
    """The curve over ``orders`` shuffled interview orders: mean, lowest, highest, points."""
    if orders < 1:
        raise UsageError(f"--orders: expected a whole number ≥ 1, got {orders}")
    rng = random.Random(seed)
    curves = []
    for _ in range(orders):
        order = list(interviews)
        rng.shuffle(order)
        curves.append(saturation_curve(order, threshold))
    columns = list(zip(*(c.cumulative for c in curves), strict=True)) if interviews else []
    return Band(orders, tuple(statistics.fmean(col) for col in columns), tuple(min(col) for col in columns),
                tuple(max(col) for col in columns), tuple(c.point for c in curves))


def interviews_by_group(segments: Iterable[Segment], coding: Mapping[int, Iterable[str]],
                        group_of: Callable[[Segment], str] | None = None) -> dict[str, list[tuple[str, frozenset[str]]]]:
    """group → [(transcript, codes in it)] in import order (transcript id); ``group_of``
    None puts every segment in group ``all``. A transcript with no segment of a group is
    not one of that group's interviews."""
    found: dict[str, dict[tuple[int, str], set[str]]] = {}
    for seg in sorted(segments, key=lambda s: (s.transcript_id, s.start)):
        group = group_of(seg) if group_of else "all"
        found.setdefault(group, {}).setdefault((seg.transcript_id, seg.transcript), set()).update(
            coding.get(seg.id, ()))
    return {g: [(name, frozenset(codes)) for (_tid, name), codes in sorted(per.items())]
            for g, per in sorted(found.items())}


def saturation(segments: Iterable[Segment], coding: Mapping[int, Iterable[str]],
               group_of: Callable[[Segment], str] | None = None, threshold: float = 0.05,
               orders: int = 0, seed: int = 0) -> list[GroupSaturation]:
    """One :class:`GroupSaturation` per group (or one for ``all``)."""
    out = []
    for group, interviews in interviews_by_group(segments, coding, group_of).items():
        band = random_orders(interviews, orders, threshold, seed) if orders else None
        out.append(GroupSaturation(group, saturation_curve(interviews, threshold), band))
    return out


def format_table(result: GroupSaturation) -> str:
    """Plain-text table for the terminal: interview, new codes, cumulative, share of all."""
    c = result.curve
    width = max([len("interview"), *(len(n) for n in c.interviews)])
    lines = [f"{result.group}: saturation {c.sentence()}",
             f"  {'#':>3}  {'interview':<{width}}  {'new':>4}  {'cumulative':>10}  {'share':>6}"]
    for i, (name, new, cum) in enumerate(zip(c.interviews, c.new, c.cumulative, strict=True), 1):
        share = cum / c.total if c.total else 0.0
        band = ""
        if result.band is not None:
            band = f"  random orders: mean {result.band.mean[i - 1]:.1f} [{result.band.low[i - 1]}–{result.band.high[i - 1]}]"
        lines.append(f"  {i:>3}  {name:<{width}}  {new:>4}  {cum:>10}  {share:>6.0%}{band}")
    if result.band is not None:
        mp = result.band.median_point()
        lines.append(f"  over {result.band.orders} random orders: median saturation point "
                     + (f"{mp:g}" if mp is not None else "not reached in most orders"))
    return "\n".join(lines)
