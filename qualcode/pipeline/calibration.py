"""Whether a confidence means what it says: a reliability table and the expected
calibration error (ECE, Naeini et al. 2015; Guo et al. 2017), as small pure functions.

A coder reads "80 %" as "right four times in five". The table groups suggestions into
bands of confidence (0.1 wide, from the floor up) and gives, per band, how many there
were, their mean confidence and the share a coder applied; the ECE is the mean gap
between the two, weighted by the suggestions in each band, over the *shown* bands only
(those at or above the display threshold: the confidences a coder actually reads).
"""

from __future__ import annotations

import numpy as np


def reliability(confidence: np.ndarray, correct: np.ndarray, floor: float = 0.3,
                shown_from: float = 0.5, width: float = 0.1) -> tuple[list[dict], float]:
    """``(table, ece)`` for suggestions with these confidences, ``correct`` 1 where the
    coder applied the code. Bands ``[lo, lo + width)`` from ``floor`` up (the last one
    closed at 1); each row ``{"low", "high", "n", "confidence", "accepted", "shown"}``."""
    confidence = np.asarray(confidence, dtype=np.float64).ravel()
    correct = np.asarray(correct, dtype=np.float64).ravel()
    if confidence.shape != correct.shape:
        raise ValueError(f"{confidence.size} confidences but {correct.size} outcomes")
    edges = np.round(np.arange(floor, 1.0 + 1e-9, width), 10)
    if edges[-1] < 1.0:
        edges = np.append(edges, 1.0)
    table, gap, shown_n = [], 0.0, 0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence >= lo) & ((confidence < hi) | ((hi >= 1.0) & (confidence <= 1.0)))
        n = int(inside.sum())
        mean_conf = float(confidence[inside].mean()) if n else None
        accepted = float(correct[inside].mean()) if n else None
        shown = bool(lo >= shown_from - 1e-9)
        table.append({"low": round(float(lo), 2), "high": round(float(hi), 2), "n": n,
                      "confidence": None if mean_conf is None else round(mean_conf, 4),
                      "accepted": None if accepted is None else round(accepted, 4), "shown": shown})
        if shown and n:
            gap += n * abs(mean_conf - accepted)
            shown_n += n
    return table, (gap / shown_n if shown_n else 0.0)
