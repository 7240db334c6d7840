"""Inter-coder agreement as small pure functions on a units × coders table.

A *table* is a sequence of units (rows), each a sequence of one value per coder, with
``None`` (or NaN, or "") for a missing rating. Every statistic is computed from the
*counts* ``R[u, k]`` (how many coders put unit ``u`` in category ``k``), following
Gwet (2014), *Handbook of Inter-Rater Reliability*, 4th ed., and Krippendorff (2011),
*Computing Krippendorff's Alpha-Reliability*; Cohen's kappa and Scott's pi take the
units both coders rated. Missing ratings are allowed everywhere.

A statistic that is not defined for the data (a single coder, one category only,
all values missing) is returned with ``value=None`` and the reason, never a silent 1.0.
No pandas required; numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

STATISTICS = ("percent", "cohen", "scott", "fleiss", "alpha", "ac1")
LEVELS = ("nominal", "ordinal", "interval")


@dataclass(frozen=True)
class Agreement:
    statistic: str
    value: float | None
    n_units: int
    n_coders: int
    reason: str = ""
    ci_low: float | None = None
    ci_high: float | None = None
    level: str = "nominal"

    def as_dict(self) -> dict:
        out = {"statistic": self.statistic, "value": self.value, "ci_low": self.ci_low,
               "ci_high": self.ci_high, "n_units": self.n_units, "n_coders": self.n_coders}
        if self.reason:
            out["reason"] = self.reason
        if self.statistic == "alpha":
            out["level"] = self.level
        return out


class Undefined(ValueError):
    """The statistic has no value for these data; the message says why."""


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or \
        (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class Coded:
    """A table as category indices: ``codes[u, c]`` in 0..q-1, or -1 where missing."""

    codes: np.ndarray
    categories: tuple

    @property
    def counts(self) -> np.ndarray:
        n, q = self.codes.shape[0], len(self.categories)
        R = np.zeros((n, q), dtype=np.float64)
        for c in range(self.codes.shape[1]):
            col = self.codes[:, c]
            ok = col >= 0
            np.add.at(R, (np.flatnonzero(ok), col[ok]), 1.0)
        return R


def encode_table(table: Sequence[Sequence[object]], categories: Sequence | None = None) -> Coded:
    """Values → category indices. Numbers sort numerically; other labels as strings."""
    rows = [list(r) for r in table]
    width = max((len(r) for r in rows), default=0)
    values = [v for r in rows for v in r if not _missing(v)]
    if categories is None:
        try:
            categories = sorted(set(values))
        except TypeError:
            categories = sorted({str(v) for v in values})
            rows = [[None if _missing(v) else str(v) for v in r] for r in rows]
    index = {v: i for i, v in enumerate(categories)}
    codes = np.full((len(rows), width), -1, dtype=np.int64)
    for u, row in enumerate(rows):
        for c, v in enumerate(row):
            if not _missing(v):
                if v not in index:
                    raise ValueError(f"value {v!r} is not one of the categories {list(categories)}")
                codes[u, c] = index[v]
    return Coded(codes, tuple(categories))


# ---------------------------------------------------------------------- from counts
def _pairable(R: np.ndarray) -> np.ndarray:
    r = R.sum(axis=1)
    if not (r >= 2).any():
        raise Undefined("no unit was rated by two or more coders")
    return r


def percent_from_counts(R: np.ndarray) -> float:
    r = _pairable(R)
    keep = r >= 2
    return float(np.mean((R[keep] * (R[keep] - 1)).sum(axis=1) / (r[keep] * (r[keep] - 1))))


def _class_shares(R: np.ndarray) -> np.ndarray:
    r = R.sum(axis=1)
    rated = r >= 1
    return (R[rated] / r[rated, None]).mean(axis=0)


def fleiss_from_counts(R: np.ndarray) -> float:
    pa = percent_from_counts(R)
    pi = _class_shares(R)
    pe = float((pi ** 2).sum())
    if pe >= 1.0 - 1e-12:
        raise Undefined("kappa undefined: every rating is in one category (no variation)")
    return (pa - pe) / (1.0 - pe)


def ac1_from_counts(R: np.ndarray, n_categories: int | None = None) -> float:
    pa = percent_from_counts(R)
    pi = _class_shares(R)
    q = n_categories or R.shape[1]
    if q < 2:
        raise Undefined("AC1 undefined: fewer than two categories")
    pe = float((pi * (1.0 - pi)).sum() / (q - 1))
    return (pa - pe) / (1.0 - pe)


def _delta2(level: str, values: np.ndarray, n_c: np.ndarray) -> np.ndarray:
    q = len(values)
    if level == "nominal":
        return 1.0 - np.eye(q)
    if level == "interval":
        return (values[:, None] - values[None, :]) ** 2
    if level == "ordinal":
        cum = np.concatenate([[0.0], np.cumsum(n_c)])
        d = np.zeros((q, q))
        for c in range(q):
            for k in range(c, q):
                d[c, k] = d[k, c] = (cum[k + 1] - cum[c] - (n_c[c] + n_c[k]) / 2.0) ** 2
        return d
    raise ValueError(f"level must be one of {LEVELS}, got {level!r}")


def alpha_from_counts(R: np.ndarray, level: str = "nominal", values: Sequence[float] | None = None) -> float:
    r = R.sum(axis=1)
    keep = r >= 2
    if not keep.any():
        raise Undefined("alpha undefined: no unit was rated by two or more coders")
    Rk, w = R[keep], 1.0 / (r[keep] - 1.0)
    # coincidences o[c,k] = Σ_u (R_uc R_uk − [c=k] R_uc) / (m_u − 1)
    coinc = (Rk * w[:, None]).T @ Rk - np.diag((Rk * w[:, None]).sum(axis=0))
    n_c = coinc.sum(axis=1)
    n = n_c.sum()
    vals = np.asarray(values if values is not None else np.arange(R.shape[1]), dtype=np.float64)
    d2 = _delta2(level, vals, n_c)
    d_o = (coinc * d2).sum() / n
    d_e = (np.outer(n_c, n_c) * d2).sum() / (n * (n - 1.0))
    if d_e <= 1e-15:
        raise Undefined("alpha undefined: no variation (every pairable value is the same)")
    return float(1.0 - d_o / d_e)


def _two_coders(codes: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    if codes.shape[1] != 2:
        raise Undefined(f"{what} needs exactly two coders, got {codes.shape[1]}")
    both = (codes[:, 0] >= 0) & (codes[:, 1] >= 0)
    if not both.any():
        raise Undefined(f"{what} undefined: no unit was rated by both coders")
    return codes[both, 0], codes[both, 1]


def cohen_from_codes(codes: np.ndarray, q: int) -> float:
    a, b = _two_coders(codes, "Cohen's kappa")
    pa = float(np.mean(a == b))
    pe = float((np.bincount(a, minlength=q) / a.size) @ (np.bincount(b, minlength=q) / b.size))
    if pe >= 1.0 - 1e-12:
        raise Undefined("kappa undefined: both coders used one and the same category throughout (no variation)")
    return (pa - pe) / (1.0 - pe)


def scott_from_codes(codes: np.ndarray, q: int) -> float:
    a, b = _two_coders(codes, "Scott's pi")
    pa = float(np.mean(a == b))
    pi = (np.bincount(a, minlength=q) + np.bincount(b, minlength=q)) / (2.0 * a.size)
    pe = float((pi ** 2).sum())
    if pe >= 1.0 - 1e-12:
        raise Undefined("pi undefined: every rating is in one category (no variation)")
    return (pa - pe) / (1.0 - pe)


# ---------------------------------------------------------------------- public API
def _statistic_fn(statistic: str, level: str, coded: Coded) -> Callable[[np.ndarray], float]:
    q = len(coded.categories)
    if statistic == "percent":
        return lambda codes: percent_from_counts(Coded(codes, coded.categories).counts)
    if statistic == "fleiss":
        return lambda codes: fleiss_from_counts(Coded(codes, coded.categories).counts)
    if statistic == "ac1":
        return lambda codes: ac1_from_counts(Coded(codes, coded.categories).counts, q)
    if statistic == "alpha":
        values = None
        if level in ("ordinal", "interval"):
            try:
                values = [float(v) for v in coded.categories]
            except (TypeError, ValueError):
                raise ValueError(f"{level} alpha needs numeric values, got {list(coded.categories)[:5]}") from None
        return lambda codes: alpha_from_counts(Coded(codes, coded.categories).counts, level, values)
    if statistic == "cohen":
        return lambda codes: cohen_from_codes(codes, q)
    if statistic == "scott":
        return lambda codes: scott_from_codes(codes, q)
    raise ValueError(f"statistic must be one of {', '.join(STATISTICS)}, got {statistic!r}")


def agreement(table: Sequence[Sequence[object]] | Coded, statistic: str = "alpha", level: str = "nominal",
              n_boot: int = 1000, seed: int = 42, confidence: float = 0.95) -> Agreement:
    """One statistic with a percentile bootstrap CI over units (seeded, reproducible)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    coded = table if isinstance(table, Coded) else encode_table(table)
    fn = _statistic_fn(statistic, level, coded)
    codes = coded.codes
    n_units = int(((codes >= 0).sum(axis=1) >= 1).sum()) if codes.size else 0
    n_coders = int(codes.shape[1]) if codes.ndim == 2 else 0
    if n_units == 0:
        return Agreement(statistic, None, 0, n_coders, "undefined: every value is missing", level=level)
    try:
        value = fn(codes)
    except Undefined as why:
        return Agreement(statistic, None, n_units, n_coders, str(why), level=level)
    low = high = None
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        draws = []
        for _ in range(n_boot):
            try:
                draws.append(fn(codes[rng.integers(0, codes.shape[0], codes.shape[0])]))
            except Undefined:
                continue  # a resample with no variation has no value; it is left out
        if draws:
            tail = (1.0 - confidence) / 2.0 * 100
            low, high = (float(x) for x in np.percentile(draws, [tail, 100 - tail]))
    return Agreement(statistic, float(value), n_units, n_coders, "", low, high, level)


def percent_agreement(table, **kw) -> Agreement:  # noqa: ANN001
    return agreement(table, "percent", **kw)


def cohen_kappa(table, **kw) -> Agreement:  # noqa: ANN001
    return agreement(table, "cohen", **kw)


def scott_pi(table, **kw) -> Agreement:  # noqa: ANN001
    return agreement(table, "scott", **kw)


def fleiss_kappa(table, **kw) -> Agreement:  # noqa: ANN001
    return agreement(table, "fleiss", **kw)


def krippendorff_alpha(table, level: str = "nominal", **kw) -> Agreement:  # noqa: ANN001
    return agreement(table, "alpha", level=level, **kw)


def gwet_ac1(table, **kw) -> Agreement:  # noqa: ANN001
    return agreement(table, "ac1", **kw)


def contingency_to_table(matrix: Sequence[Sequence[int]]) -> list[list[int]]:
    """A 2-coder contingency table (rows coder A, columns coder B) → units × coders rows."""
    rows = []
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            rows.extend([[i, j]] * int(count))
    return rows


def distribution_to_table(dist: Sequence[Sequence[int]]) -> list[list[object]]:
    """Counts of coders per unit and category → units × coders rows (coder order is arbitrary)."""
    width = max(sum(r) for r in dist)
    rows = []
    for r in dist:
        labels = [k for k, c in enumerate(r) for _ in range(int(c))]
        rows.append(labels + [None] * (width - len(labels)))
    return rows
