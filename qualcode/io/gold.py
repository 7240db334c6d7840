"""Gold-standard coded texts for ``qualcode evaluate``: ``id,text,<one 0/1 column per code>``.

A gold file may carry other columns (the transcript or participant a row comes from, a
text column by another name): name them with ``text_column`` and ``keep``; every other
column is a code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qualcode.errors import InputError
from qualcode.io.safe import csv_rows
from qualcode.io.transcripts import read_text


@dataclass(frozen=True)
class Gold:
    ids: list[str]
    texts: list[str]
    codes: list[str]
    Y: np.ndarray  # (n_rows, n_codes) of 0/1
    columns: dict[str, list[str]] = field(default_factory=dict)  # the kept non-code columns, by name


def read_gold(path: str | Path, text_column: str = "text", keep: tuple[str, ...] = ()) -> Gold:
    """Rows of ``id``, ``text_column``, the ``keep`` columns and one 0/1 column per code."""
    path = Path(path)
    table = csv_rows(read_text(path, "a readable gold CSV"), path)  # cell limits, broken quoting
    header = [h.strip() for h in (table[0][1] if table else [])]
    lower = [h.lower() for h in header]
    named = ["id", text_column, *keep]
    where = {}
    for name in named:
        if name.lower() not in lower:
            expected = f"a header with the columns {', '.join(named)} and one 0/1 column per code"
            raise InputError(path, expected, f"no column '{name}' in " + (",".join(header[:6]) or "nothing"), line=1)
        where[name] = lower.index(name.lower())
    code_at = [j for j in range(len(header)) if j not in where.values()]
    codes = [header[j] for j in code_at]
    if not codes:
        raise InputError(path, "at least one code column after " + ", ".join(named), "none", line=1)
    ids, texts, rows = [], [], []
    kept: dict[str, list[str]] = {name: [] for name in keep}
    for n, row in table[1:]:
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise InputError(path, f"{len(header)} cells as in the header", f"{len(row)}", line=n)
        values = []
        for code, cell in zip(codes, [row[j] for j in code_at], strict=True):
            cell = cell.strip()
            if cell not in ("0", "1", ""):
                raise InputError(path, "0 or 1", repr(cell), line=n, field=code)
            values.append(1 if cell == "1" else 0)
        ids.append(row[where["id"]])
        texts.append(row[where[text_column]])
        for name in keep:
            kept[name].append(row[where[name]].strip())
        rows.append(values)
    if len(rows) < 10:
        raise InputError(path, "at least 10 coded rows", f"{len(rows)}")
    return Gold(ids, texts, codes, np.array(rows, dtype=np.int64), kept)
