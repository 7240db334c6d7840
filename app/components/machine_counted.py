"""Which machine suggestions a page counts: by default those the engine decided to show
coders (the Code page's cards), or, when the user asks, every one from a confidence.

One widget for Retrieve, Themes and the framework matrix, so "machine suggestions" means the
same on every page and in the reports (:func:`qualcode.records.engine_showed`).
"""

from __future__ import annotations

HELP = ("Off: the suggestions the engine decided to show coders on the Code page (its display rule, "
        "learnt from the study's decisions). On: every suggestion from the confidence you pick instead.")


def machine_threshold(where, key: str, default: float = 0.5) -> float | None:  # noqa: ANN001
    """None (the suggestions shown to coders) or the confidence the user picked in ``where``."""
    if not where.toggle("Machine suggestions by confidence", key=f"{key}-by", help=HELP):
        return None
    return where.slider("Machine suggestions from confidence", 0.0, 1.0, default, 0.05, key=key)


def machine_label(threshold: float | None) -> str:
    """The machine suggestions counted, in a column or caption label."""
    return "machine suggestions shown" if threshold is None else f"machine suggestions ≥ {threshold:.2f}"
