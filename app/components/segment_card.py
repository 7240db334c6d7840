"""What the pages of segment cards share (app/components/card_page draws them, on the Code
page and in *Review next*): the session keys that keep a coder's place and drafts, which
machine suggestions a card shows, the span codings of a transcript, and :func:`act`, the
button callback of the Code page's own Streamlit buttons (span removal, mark done).

The Streamlit card of elements that *Review next* used to draw is gone: both now use the
one component, so the card's logic lives in one place (card_page/__init__.py, cards.js).
"""

from __future__ import annotations

import streamlit as st

from app.state import saved
from qualcode.errors import QualcodeError

DRAFTS = "memo_drafts"  # session key: {segment_id: text} unsaved memos, kept across pages/transcripts
DECIDED = "decided_here"  # session key: segments decided in this session (kept on the page)
FOCUS = "focus_segment"  # session key: the segment the keyboard shortcuts act on


def act(segment_id: int | None, fn, *args, message: str = "Saved", **kwargs) -> None:  # noqa: ANN001
    """A button callback: one Study call; a refusal is shown on the card (``segment_id``) or
    above the page (None), never half-saved."""
    try:
        fn(*args, **kwargs)
    except QualcodeError as exc:
        st.session_state[f"card_error-{segment_id}" if segment_id is not None else "code_error"] = str(exc)
    else:
        if segment_id is not None:
            st.session_state.setdefault(DECIDED, set()).add(segment_id)
            st.session_state[FOCUS] = segment_id
        saved(message, later=True)


def spans_of(study, transcript_id: int) -> list:  # noqa: ANN001
    return study.span_codings(transcript_id=transcript_id) if hasattr(study, "span_codings") else []


def suggestions(apps, mine: dict, codebook, min_conf: float | None = None) -> list:  # noqa: ANN001
    """Machine suggestions the coder has not decided, on codes the codebook still has, that
    the engine decided to show (``shown``, stored by ``qualcode code`` from its display rule
    learnt on the study's decisions), so the app shows what `evaluate` measures; plus any
    other from ``min_conf`` (the Code page's slider: "also show others from"). A suggestion
    stored before the engine decided (``shown`` None) follows the old fixed rule
    (:func:`qualcode.pipeline.suggest.is_shown`: the segment's best, any other from 0.5)."""
    from qualcode.pipeline.suggest import is_shown

    ids = set(codebook.ids())
    ranked = sorted((a for a in apps if a.source == "machine"), key=lambda a: -(a.confidence or 0))

    def shown(a, rank: int) -> bool:  # noqa: ANN001
        engine = is_shown(a.confidence or 0.0, rank) if a.shown is None else a.shown
        return engine or (min_conf is not None and (a.confidence or 0.0) >= min_conf)

    return [a for rank, a in enumerate(ranked) if a.code_id not in mine and a.code_id in ids and shown(a, rank)]
