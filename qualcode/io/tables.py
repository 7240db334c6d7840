"""Read a units × coders rating table (CSV) for ``qualcode agreement --table``.

First column: the unit id; then one column per coder (the header names the coders);
a blank cell is a missing rating. For ordinal and interval statistics every value must
be a number; the first one that is not is reported with its file, line and coder.
"""

from __future__ import annotations

import math
from pathlib import Path

from qualcode.errors import InputError
from qualcode.io.safe import csv_rows
from qualcode.io.transcripts import read_text


def read_rating_table(path: str | Path, numeric: bool = False) -> tuple[list[str], list[str], list[list]]:
    """→ (coder names, unit ids, rows of values with None for missing)."""
    path = Path(path)
    numbered = [(n, r) for n, r in csv_rows(read_text(path, "a readable CSV table"), path)
                if any(c.strip() for c in r)]
    if not numbered:
        raise InputError(path, "a header row: unit,coder1,coder2,…", "an empty file", line=1)
    header_line, header = numbered[0]
    coders = [h.strip() for h in header[1:]]
    if not coders:
        raise InputError(path, "a unit column and at least one coder column", "only one column",
                         line=header_line)
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
                parsed.append(number)
            except ValueError:
                if numeric:
                    raise InputError(path, "a finite number (ordinal and interval levels need numbers)",
                                     repr(cell[:40]), line=n, field=coder) from None
                all_numeric = False
                parsed.append(cell)
        units.append(row[0].strip())
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
