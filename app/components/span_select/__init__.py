"""Select words in a transcript and get back exactly where they are in the stored text.

Streamlit has no text-selection widget, so this is a small component (Streamlit's
components v1 API, one local HTML file, nothing fetched; declared without the v1 look-up
of the caller's module, see :func:`_declare`). It draws the given segments,
each piece of text in an element carrying its absolute offset into the transcript's
plain text, and returns ``{"start", "end", "text", "parts"}`` for the reader's selection.
:func:`checked_selection` then holds the browser's answer to the stored text, so a span
coding always has ``plain_text[start:end]`` equal to what was selected.
"""

from __future__ import annotations

from pathlib import Path


def _declare(name: str, path: Path):  # noqa: ANN202 - a streamlit CustomComponent
    """What ``streamlit.components.v1.declare_component(name, path=path)`` does, told the
    module's name instead of finding it.

    ``declare_component`` names a component after its caller's module, found by
    ``inspect.getmodule(caller_frame)``, whose module-level caches are not thread-safe:
    while another thread is filling them (any ``inspect.getmodule``/``inspect.stack`` call,
    e.g. other sessions' first runs on a fresh server), a module can be marked as mapped
    before its file is, and the look-up returns None: "RuntimeError: module is None" (seen
    once as several sessions first opened the Code page). Declared once, at import, with
    its explicit path and name, as Streamlit 1.67 would register it (tested)."""
    from streamlit.components.v1.custom_component import CustomComponent
    from streamlit.runtime import get_instance
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    component = CustomComponent(name=f"{__name__}.{name}", path=str(path), url=None, module_name=__name__)
    if get_script_run_ctx() is not None:  # outside `streamlit run` (plain imports, tests): nothing to serve
        get_instance().component_registry.register_component(component)
    return component


_component = _declare("span_select", Path(__file__).parent)


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
