"""Gold-standard coded texts for ``qualcode evaluate``: ``id,text,<one 0/1 column per code>``."""

from __future__ import annotations

from dataclasses import dataclass
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


def read_gold(path: str | Path) -> Gold:
    path = Path(path)
    rows = csv_rows(read_text(path, "a readable gold CSV"), path)
    header = rows[0][1] if rows else []
    if len(header) < 3 or [h.strip().lower() for h in header[:2]] != ["id", "text"]:
        raise InputError(path, "a header id,text,<code>,<code>…", ",".join(header[:4]) or "nothing", line=1)
    codes = [h.strip() for h in header[2:]]
    ids, texts, rows = [], [], []
    for n, row in rows[1:]:
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise InputError(path, f"{len(header)} cells as in the header", f"{len(row)}", line=n)
        values = []
        for code, cell in zip(codes, row[2:], strict=True):
            cell = cell.strip()
            if cell not in ("0", "1", ""):
                raise InputError(path, "0 or 1", repr(cell), line=n, field=code)
            values.append(1 if cell == "1" else 0)
        ids.append(row[0])
        texts.append(row[1])
        rows.append(values)
    if len(rows) < 10:
        raise InputError(path, "at least 10 coded rows", f"{len(rows)}")
    return Gold(ids, texts, codes, np.array(rows, dtype=np.int64))
