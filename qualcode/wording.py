"""Counted nouns for messages: "1 transcript", "2 transcripts", never "1 transcripts"."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, in the plural (``noun + "s"`` unless given) when ``n`` is not 1."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"
