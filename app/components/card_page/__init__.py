"""The Code page's page of segment cards as ONE custom component, drawn in the browser;
*Review next* draws its picks with a second instance (``key=REVIEW``): same cards, same
actions, same keyboard shortcuts (keys go to the instance on the tab shown).

Twenty-five cards of Streamlit elements cost the browser ~0.5 s of redraw per click
(bench/app_latency.py, 50,000 segments), however little the server did. So the page is
one ``st.components.v2`` component (cards.js / cards.css in this folder, mounted in the
page, nothing fetched): a click (accept, reject, add, remove, use as example, memo, undo)
changes its card at once in the browser and sends ONE event; Python performs the one
Study call the Streamlit cards made (:func:`perform`: same calls, same audit rows) in the
component's callback, and the component's fragment reruns with the confirmed page, which
carries the event's acknowledgement. A refusal (QualcodeError) comes back with it: the
card shows it and drops its optimistic change, since it is drawn from the stored state.

Every text is handed over as data and put on the page with ``textContent`` only (never
``innerHTML``), so ``*sigh*``, ``~~x~~`` and ``<inaudible>`` are shown as typed.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path

import streamlit as st

from app.components.segment_card import DECIDED, DRAFTS, FOCUS, spans_of, suggestions
from app.state import DEFAULT_COLOR, _is_hex, code_label, color_of
from qualcode.errors import QualcodeError
from qualcode.io.transcripts import format_time

HERE = Path(__file__).parent
KEY = "card_page"  # the Code page's instance, kept across pages and transcripts
REVIEW = "review_cards"  # Review next's instance: the same cards, actions and keys, on its picks
ACKS = "card_acks"  # session key: the last events performed, [{"id", "seg", "error", "message"}]
KEEP_ACKS = 20

_mount = st.components.v2.component(
    "qualcode_card_page", js=(HERE / "cards.js").read_text(encoding="utf-8"),
    css=(HERE / "cards.css").read_text(encoding="utf-8"), isolate_styles=False)


def perform(study, coder: str, codebook, page_ids: list[int], event: dict, drafts: dict) -> str:  # noqa: ANN001, C901
    """Do what one click on a card asked: one Study call (or a memo draft kept in ``drafts``),
    the message to show when saved. Refuses (QualcodeError) what the page could not have
    offered: a segment not on it, a code not in the codebook; the Study refuses the rest."""
    if not isinstance(event, dict):
        raise QualcodeError(f"card event: expected an object, got {type(event).__name__}")
    action, seg, code = event.get("action"), event.get("seg"), event.get("code")
    if action == "undo":
        return study.undo_last(coder)
    if not isinstance(seg, int) or seg not in page_ids:
        raise QualcodeError(f"card event: expected a segment of this page, got {seg!r}")
    if action == "draft":
        text = str(event.get("text") or "")
        if text:
            drafts[seg] = text
        else:
            drafts.pop(seg, None)
        return ""
    if action == "memo":
        if not str(event.get("text") or "").strip():
            raise QualcodeError("Save memo: expected some text, got an empty memo")
        study.add_memo(coder, str(event.get("text") or ""), segment_id=seg)
        drafts.pop(seg, None)
        return "Memo saved"
    if code not in set(codebook.ids()):
        raise QualcodeError(f"card event: expected a code of the current codebook, got {code!r}")
    if action in ("accept", "reject", "add"):
        if action == "add" and not codebook.get(code).is_codable:
            raise QualcodeError(f"Add a code: {code_label(codebook, code)} is a theme heading, not a code to apply")
        study.decide(seg, code, coder, present=action != "reject")
        return {"accept": "Accepted", "reject": "Rejected", "add": "Code added"}[action]
    if action == "remove":
        study.unset(seg, code, coder)
        return "Code removed"
    if action == "example":
        [segment] = study.segments(ids=[seg])
        study.add_example(code, segment.text, coder)
        return "Added to the code's examples"
    raise QualcodeError(f"card event: expected accept, reject, add, remove, example, memo, draft or undo, "
                        f"got {action!r}")


def focus_key(key: str) -> str:
    """Session key of the segment an instance's keyboard shortcuts act on: each its own, so a
    click in Review next does not move the Code page's ▶."""
    return FOCUS if key == KEY else f"{FOCUS}-{key}"


def on_event(study, coder: str, codebook, page_ids: list[int], key: str = KEY) -> None:  # noqa: ANN001
    """The component's callback: the event the click sent, performed (:func:`handle`)."""
    handle(st.session_state, study, coder, codebook, page_ids, (st.session_state.get(key) or {}).get("event"), key)


def handle(session: MutableMapping, study, coder: str, codebook, page_ids: list[int], event: object,  # noqa: ANN001, PLR0913
           key: str = KEY) -> dict | None:
    """Perform ``event`` and keep its acknowledgement in ``session`` (the page's session state):
    the next data the component ``key`` gets carries it, with the refusal if there was one."""
    if not isinstance(event, dict):
        return None
    ack = {"id": str(event.get("id", "")), "seg": event.get("seg"), "error": None, "message": ""}
    try:
        ack["message"] = perform(study, coder, codebook, page_ids, event, session.setdefault(DRAFTS, {}))
    except QualcodeError as exc:
        ack["error"] = str(exc)
    else:
        if event.get("action") not in ("draft", "undo"):
            session.setdefault(DECIDED, set()).add(event["seg"])  # stays on the page under the uncoded filter
            session[focus_key(key)] = event["seg"]
        if event.get("action") == "undo":  # what was undone may be anywhere: said as the page said it
            session.setdefault("_saved", []).append(ack["message"])
    session[ACKS] = (session.get(ACKS, []) + [ack])[-KEEP_ACKS:]
    return ack


def hex_color(codebook, code_id: str) -> str:  # noqa: ANN001
    color = color_of(codebook, code_id)
    return color if _is_hex(color) else DEFAULT_COLOR


def card_data(seg, apps: list, memos: list, spans: list, codebook, coder: str, blind: bool,  # noqa: ANN001, PLR0913
              min_conf: float) -> dict:
    """One segment as the component draws it: only what this coder may see, no retired code."""
    if seg.is_interviewer:
        return {"id": seg.id, "interviewer": True, "speaker": seg.speaker or "", "text": seg.text}
    ids = set(codebook.ids())
    mine = {a.code_id: a for a in apps if a.source == "human" and a.coder == coder and a.code_id in ids}
    over = [sp for sp in spans if sp.start < seg.end and seg.start < sp.end and sp.code_id in ids
            and (not blind or sp.coder == coder)]
    others: dict[str, list[str]] = {}
    final: list[str] = []
    if not blind:
        for a in apps:
            if a.source == "human" and a.coder != coder and a.present and a.code_id in ids:
                others.setdefault(a.coder, []).append(a.code_id)
        final = [a.code_id for a in apps if a.source == "final" and a.present and a.code_id in ids]
    return {
        "id": seg.id, "interviewer": False, "speaker": seg.speaker or "—", "text": seg.text,
        "when": format_time(seg.start_time) if seg.start_time is not None else "",
        "who": seg.attribution() if seg.participant_id else (seg.speaker or "unknown speaker"),
        "mine": [[c, bool(a.present)] for c, a in mine.items()],
        "sugg": [[a.code_id, round(float(a.confidence or 0.0), 4), a.reason or ""]
                 for a in suggestions(apps, mine, codebook, min_conf)],
        "spans": [[sp.code_id, sp.text, sp.coder] for sp in over],
        "others": [[name, codes] for name, codes in sorted(others.items())], "final": final,
        "memos": [[m.coder, (m.updated_at or "")[:16], m.text] for m in memos if m.coder == coder or not blind],
    }


def study_key(study) -> str:  # noqa: ANN001
    """A short name of the study for the browser's draft store (localStorage in cards.js):
    drafts of two studies never meet, and the folder's path is not sent to the page."""
    import hashlib

    return hashlib.sha256(str(study.folder).encode()).hexdigest()[:12]


def page_data(study, coder: str, codebook, segs: list, blind: bool | set[int], min_conf: float,  # noqa: ANN001, PLR0913
              key: str = KEY, notes: dict[int, str] | None = None) -> dict:
    """The whole page for the component: three queries (decisions, memos, spans; spans once
    per transcript shown), whatever the study's size. ``blind``: whether the (one) transcript
    is blind to this coder, or the ids of those that are (Review next's picks come from many);
    ``notes``: a line above a card (Review next: which transcript, why it was picked)."""
    ids = [s.id for s in segs if not s.is_interviewer]
    apps: dict[int, list] = {}
    for a in study.visible_applications(coder, segment_ids=ids) if ids else []:
        apps.setdefault(a.segment_id, []).append(a)
    memos: dict[int, list] = {}
    for m in study.memos(segment_ids=ids) if ids else []:
        memos.setdefault(m.segment_id, []).append(m)
    spans = {tid: spans_of(study, tid) for tid in dict.fromkeys(s.transcript_id for s in segs)}
    drafts = st.session_state.get(DRAFTS, {})
    scroll = st.session_state.pop("scroll_to", None) if key == KEY else None  # a link followed to the Code page
    cards = [card_data(s, apps.get(s.id, []), memos.get(s.id, []), spans[s.transcript_id], codebook, coder,
                       blind if isinstance(blind, bool) else s.transcript_id in blind, min_conf) for s in segs]
    for c in cards:
        if notes and notes.get(c["id"]):
            c["note"] = notes[c["id"]]
    focus = focus_key(key)
    if st.session_state.get(focus) not in ids and ids:  # the first segment with work to do
        st.session_state[focus] = next((c["id"] for c in cards if c.get("sugg")), ids[0])
    return {
        "name": key, "coder": coder, "study": study_key(study),
        "codes": {c.id: [code_label(codebook, c.id), hex_color(codebook, c.id), bool(c.is_codable)] for c in codebook},
        "cards": cards,
        "drafts": {str(k): v for k, v in drafts.items() if k in ids},
        "focus": st.session_state.get(focus),
        "scroll": [scroll, st.session_state.setdefault("_scroll_round", 0) + 1] if scroll is not None else None,
        "acks": st.session_state.get(ACKS, []),
        "undo": hasattr(study, "undo_last"),
    }


@st.fragment
def card_page(study, coder: str, codebook, segs: list, blind: bool | set[int], min_conf: float,  # noqa: ANN001, PLR0913
              key: str = KEY, notes: dict[int, str] | None = None) -> None:
    """A page of cards (the Code page's, or Review next's with ``key=REVIEW``); a click
    reruns this fragment only (one Study call, three reads)."""
    data = page_data(study, coder, codebook, segs, blind, min_conf, key, notes)
    if data["scroll"] is not None:
        st.session_state["_scroll_round"] = data["scroll"][1]
    page_ids = [s.id for s in segs if not s.is_interviewer]
    _mount(key=key, data=data, on_event_change=lambda: on_event(study, coder, codebook, page_ids, key))
