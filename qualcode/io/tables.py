"""Read a units × coders rating table (CSV) for ``qualcode agreement --table``.

First column: the unit id; then one column per coder (the header names the coders);
a blank cell is a missing rating. For ordinal and interval statistics every value must
be a number; the first one that is not is reported with its file, line and coder.

Limits, each with its own message: numbers up to ±10^100 (the interval distance squares
differences, and beyond that the squares overflow), at most :data:`MAX_CATEGORIES`
distinct values (the statistics build a categories × categories table), each coder
named once and each unit once.
"""

from __future__ import annotations

import math
from pathlib import Path

from qualcode.errors import InputError
from qualcode.io.safe import csv_rows
from qualcode.io.transcripts import read_text

MAX_CATEGORIES = 1_000
MAX_MAGNITUDE = 1e100


def read_rating_table(path: str | Path, numeric: bool = False) -> tuple[list[str], list[str], list[list]]:
    """→ (coder names, unit ids, rows of values with None for missing)."""
    path = Path(path)
    numbered = [(n, r) for n, r in csv_rows(read_text(path, "a readable CSV table"), path, one_line=True)
                if any(c.strip() for c in r)]
    if not numbered:
        raise InputError(path, "a header row: unit,coder1,coder2,…", "an empty file", line=1)
    header_line, header = numbered[0]
    coders = [h.strip() for h in header[1:]]
    if not coders:
        raise InputError(path, "a unit column and at least one coder column", "only one column",
                         line=header_line)
    twice = sorted({c for c in coders if coders.count(c) > 1})
    if twice:
        raise InputError(path, "each coder's column named once (and every column named)",
                         ", ".join(repr(c) for c in twice[:5]) + " more than once", line=header_line)
    seen_units: dict[str, int] = {}
    categories: set = set()
    units: list[str] = []
    values: list[list] = []
    all_numeric = True
    for n, row in numbered[1:]:
        if len(row) > len(header):
            raise InputError(path, f"{len(header)} cells as in the header", f"{len(row)}", line=n)
        cells = [c.strip() for c in row[1:]] + [""] * (len(coders) - len(row[1:]))
        parsed: list = []
        for coder, cell in zip(coders, cells, strict=True):
            if not cell:
                parsed.append(None)
                continue
            try:
                number = float(cell)
                if not math.isfinite(number):  # inf, nan, 1e400: no distance to compute
                    raise ValueError(cell)
                if abs(number) > MAX_MAGNITUDE:
                    raise InputError(path, "a number between -1e100 and 1e100 (qualcode's limit: "
                                     "larger ones overflow the distances)", repr(cell[:40]), line=n, field=coder)
                parsed.append(number)
            except ValueError:
                if numeric:
                    raise InputError(path, "a finite number (ordinal and interval levels need numbers)",
                                     repr(cell[:40]), line=n, field=coder) from None
                all_numeric = False
                parsed.append(cell)
        unit = row[0].strip()
        if unit in seen_units:
            raise InputError(path, f"each unit once (unit {unit[:40]!r} is already on line {seen_units[unit]})",
                             "it again", line=n, field=header[0].strip() or "unit")
        seen_units[unit] = n
        categories.update(v for v in parsed if v is not None)
        if len(categories) > MAX_CATEGORIES:
            raise InputError(path, f"at most {MAX_CATEGORIES:,} distinct values (qualcode's limit on categories)",
                             f"more by line {n}", line=n)
        units.append(unit)
        values.append(parsed)
    if not values:
        raise InputError(path, "at least one unit row after the header", "none")
    if not all_numeric:  # labels: keep what was written, so "1" and "yes" are both categories
        values = [[None if v is None else (_label(v)) for v in r] for r in values]
    return coders, units, values


def _label(value: object) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return str(value)
