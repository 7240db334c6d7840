"""The Search page's hits as ONE custom component, drawn in the browser.

Twenty-five hits drawn as Streamlit elements (a bordered container, two columns, a button
and two Markdown blocks each) cost the browser most of a search's time (bench/app_latency.py,
50,000 segments). So the list is one ``st.components.v2`` component (hits.js / hits.css in
this folder, mounted in the page, nothing fetched), as the Code page's cards are
(app/components/card_page). Each hit shows its transcript, who said it (and whether it is in
an interviewer turn or a procedural line), and the words around it with the hit marked.

Every text is handed over as data and put on the page with ``textContent`` only (never
``innerHTML``), so ``*sigh*``, ``~~x~~`` and ``<inaudible>`` are shown as typed. *Open* is a
button that sends one event, the hit's index on the page; the callback
(:func:`follow`) finds the place of that hit among those drawn and keeps it for the page,
which opens it on the Code page (app.goto.open_place) as the Streamlit button did.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from pathlib import Path

import streamlit as st

from qualcode.records import TextHit

HERE = Path(__file__).parent
KEY = "hit_list"
OPEN = "s_open"  # session key: the place to open, (transcript id, segment id, start, end), set by the callback
ERROR = "s_open_error"  # session key: why an Open event was refused

_mount = st.components.v2.component(
    "qualcode_hit_list", js=(HERE / "hits.js").read_text(encoding="utf-8"),
    css=(HERE / "hits.css").read_text(encoding="utf-8"), isolate_styles=False)


def hit_data(hit: TextHit, n: int) -> dict:
    """One hit as the component draws it (``n``: its number among all the hits, from 1)."""
    return {"n": n, "transcript": hit.transcript, "who": hit.attribution or "no participant",
            "codeable": bool(hit.codeable), "before": hit.before, "text": hit.text, "after": hit.after,
            "place": [hit.transcript_id, hit.segment_id, hit.start, hit.end]}


def list_data(hits: Sequence[TextHit], first: int, error: str | None = None) -> dict:
    """The page of hits for the component; ``first``: the index (from 0) of the first among all."""
    return {"hits": [hit_data(h, first + k + 1) for k, h in enumerate(hits)],
            "label": f"Search hits {first + 1}–{first + len(hits)}" if hits else "Search hits",
            "error": error}


def follow(session: MutableMapping, shown: list[dict], event: object) -> tuple | None:
    """What a click on *Open* asked: the place of hit ``event["hit"]`` of those ``shown``, kept
    in ``session[OPEN]`` for the page to open; an event that names no hit drawn is refused
    (``session[ERROR]``), so nothing but a hit the coder saw can be opened."""
    k = event.get("hit") if isinstance(event, dict) else None
    if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k < len(shown):
        session[ERROR] = f"Open: expected a hit of this page, got {k!r}"
        return None
    place = tuple(shown[k]["place"])
    session[OPEN] = place
    return place


def hit_list(hits: Sequence[TextHit], first: int, key: str = KEY) -> None:
    """Draw the page of ``hits``; a click on *Open* reruns the page with the place in
    ``st.session_state[OPEN]`` (see :func:`follow`)."""
    data = list_data(hits, first, st.session_state.pop(ERROR, None))
    _mount(key=key, data=data,
           on_open_change=lambda: follow(st.session_state, data["hits"], (st.session_state.get(key) or {}).get("open")))


__all__ = ["ERROR", "KEY", "OPEN", "follow", "hit_data", "hit_list", "list_data"]
