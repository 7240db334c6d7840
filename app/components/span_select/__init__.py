"""Select words in a transcript and get back exactly where they are in the stored text.

Streamlit has no text-selection widget, so this is a small component (Streamlit's
components v1 API, one local HTML file, nothing fetched). It draws the given segments,
each piece of text in an element carrying its absolute offset into the transcript's
plain text, and returns ``{"start", "end", "text", "parts"}`` for the reader's selection.
:func:`checked_selection` then holds the browser's answer to the stored text, so a span
coding always has ``plain_text[start:end]`` equal to what was selected.
"""

from __future__ import annotations

from pathlib import Path

import streamlit.components.v1 as components

_component = components.declare_component("span_select", path=str(Path(__file__).parent))


def span_select(segments: list[dict], spans: list[dict], highlight: tuple[int, int] | None = None,
                key: str | None = None) -> dict | None:
    """The reader's last selection, or None.

    ``segments``: ``{"start", "text", "speaker", "codeable"}`` each, ``text`` as stored;
    ``spans``: ``{"start", "end", "color", "label"}`` each, drawn as highlights.
    """
    return _component(segments=segments, spans=spans, highlight=list(highlight) if highlight else None,
                      key=key, default=None)


def checked_selection(value: dict | None, plain_text: str) -> tuple[int, int, str] | None:
    """(start, end, text) of a selection whose every piece matches the stored text, else None.

    A selection may cross segments: the characters between them (a time stamp, the next
    speaker's label) are in the stored text and so in the span, but every selected piece
    must be exactly the stored characters at its offsets.
    """
    if not isinstance(value, dict):
        return None
    try:
        start, end = int(value["start"]), int(value["end"])
        parts = [(int(a), int(b)) for a, b in value.get("parts") or [(start, end)]]
    except (KeyError, TypeError, ValueError):
        return None
    if not (0 <= start < end <= len(plain_text)) or not parts:
        return None
    if parts[0][0] != start or parts[-1][1] != end:
        return None
    if "".join(plain_text[a:b] for a, b in parts) != value.get("text"):
        return None
    return start, end, plain_text[start:end]
