"""Bounded argparse types: every number a user types has a documented range.

Why: an unbounded ``type=int`` lets ``--segment 99999999999999999999999`` reach SQLite
(OverflowError) or ``--bootstrap 100000000`` run for minutes. Each type here refuses a
value outside its range in argparse, with one line naming the range and the value given
(shortened, so a 5,000-digit number does not fill the screen).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

MAX_ID = 2**63 - 1  # the largest integer SQLite and PostgreSQL BIGINT hold
MAX_SEED = 2**32 - 1  # numpy's RandomState accepts 0 … 2**32 - 1
MAX_SEGMENT_WORDS = 100_000
MAX_BOOTSTRAP = 100_000
MAX_ORDERS = 10_000
MAX_LISTED = 10_000
MAX_PORT = 65_535


def _shown(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type accepting whole numbers from ``low`` to ``high`` inclusive."""

    def parse(text: str) -> int:
        expected = f"a whole number from {low:,} to {high:,}"
        try:
            value = int(text.strip())
        except ValueError:  # not a number, or more digits than int() accepts
            raise argparse.ArgumentTypeError(f"expected {expected}, got {_shown(text)}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected a whole number of at least {low:,}, got {_shown(text)}")
        if value > high:
            raise argparse.ArgumentTypeError(f"expected a whole number of at most {high:,}, got {_shown(text)}")
        return value

    parse.__name__ = "whole number"  # argparse names the type in its own messages
    return parse


positive_int = bounded_int(1, MAX_ID)
record_id = bounded_int(0, MAX_ID)
seed = bounded_int(0, MAX_SEED)
port = bounded_int(1, MAX_PORT)
segment_words = bounded_int(1, MAX_SEGMENT_WORDS)
bootstrap = bounded_int(0, MAX_BOOTSTRAP)
orders = bounded_int(1, MAX_ORDERS)
listed = bounded_int(1, MAX_LISTED)


def model_name_or_path(text: str) -> str:
    """``--model``: a path (absolute, ``./``, ``../`` or ``~``) must exist, checked before the
    heavy model libraries load (loading them first made a typo cost half a minute)."""
    import os

    looks_like_path = text.startswith(("/", "./", "../", "~", ".\\", "..\\")) or os.path.isabs(text)
    if looks_like_path and not os.path.exists(os.path.expanduser(text)):
        raise argparse.ArgumentTypeError(f"expected a model name or an existing model folder, got {_shown(text, 200)}"
                                         " (no such file or folder)")
    return text
