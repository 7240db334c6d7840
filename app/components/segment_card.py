"""One segment's card of Streamlit elements, as *Review next* draws its picks: its text
exactly as stored, the coder's decisions, the machine's suggestions, span codings as
coloured chips, and memos. (The Code page's page of segments is one custom component,
app/components/card_page, which reuses :func:`suggestions` and the session keys here.)

Each card is an ``st.fragment``: a click on it (accept, reject, add, remove, memo) reruns
this card only, not the page, so the coder keeps their place and the click is fast. Each
run reads its one segment, so it always shows what the database holds.

What a page costs is mostly how many elements it sends: each is a message to the browser
and a redraw (bench/app_latency.py, 50,000 segments). So a card's rows are single
horizontal containers, and the code picker (a popover) and the memo box (an expander) are
built only while open; a card with an unsaved memo draft opens its memo box by itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from app.state import chip, code_label, color_of, md_escape, saved, show_saved, verbatim
from qualcode.errors import QualcodeError
from qualcode.io.transcripts import format_time

if TYPE_CHECKING:
    from qualcode.records import Memo

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


def keep_draft(segment_id: int, key: str, box: str | None = None) -> None:
    st.session_state.setdefault(DRAFTS, {})[segment_id] = st.session_state.get(key, "")
    if box is not None:  # the label now says "unsaved draft": a new label is a new expander, keep it open
        st.session_state[box] = True


def save_memo(study, coder: str, segment_id: int, key: str, box: str | None = None) -> None:  # noqa: ANN001
    """Read the memo box at click time: callback arguments are fixed when the page was drawn."""
    text = st.session_state.get(key, "")
    try:
        study.add_memo(coder, text, segment_id=segment_id)
    except QualcodeError as exc:
        st.session_state[f"card_error-{segment_id}"] = str(exc)
        return
    st.session_state.setdefault(DRAFTS, {}).pop(segment_id, None)
    st.session_state[key] = ""
    if box is not None:  # the count in its label changed: keep the box open for the next memo
        st.session_state[box] = True
    saved("Memo saved", later=True)


def add_chosen_code(study, coder: str, segment_id: int, key: str, box: str | None = None) -> None:  # noqa: ANN001
    code_id = st.session_state.get(key)
    if code_id is None:
        st.session_state[f"card_error-{segment_id}"] = "Add a code: choose a code first."
        return
    act(segment_id, study.decide, segment_id, code_id, coder, message="Code added")
    if box is not None:  # added: close the picker (the new chip shows what was added)
        st.session_state[box] = False


def load(study, coder: str, segment_id: int, transcript_id: int) -> tuple[list, list, list]:  # noqa: ANN001
    """This segment's decisions, memos and span codings of its transcript."""
    apps = study.visible_applications(coder, segment_ids=[segment_id])
    memos = study.memos(segment_id=segment_id)
    return apps, memos, spans_of(study, transcript_id)


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


@st.fragment
def segment_card(study, seg, codebook, coder: str, blind: bool, min_conf: float, key_prefix: str = "") -> None:  # noqa: ANN001
    """Few elements per card: every element is a message to the browser and a React redraw,
    so rows are one horizontal container (not columns), and the code picker and memo box
    are built only when opened (:func:`add_box`, :func:`memo_box`)."""
    show_saved()
    apps, memos, spans = load(study, coder, seg.id, seg.transcript_id)
    ids = set(codebook.ids())  # a retired code (merged, split) is never offered or shown
    mine = {a.code_id: a for a in apps if a.source == "human" and a.coder == coder and a.code_id in ids}
    focused = st.session_state.get(FOCUS) == seg.id
    with st.container(border=True, key=f"{key_prefix}seg-{seg.id}", gap="small"):
        who = seg.attribution() if seg.participant_id else (seg.speaker or "unknown speaker")
        when = f" · {format_time(seg.start_time)}" if seg.start_time is not None else ""
        mark = "▶ " if focused else ""
        st.caption(f"{mark}**{md_escape(seg.speaker or '—')}**{when} · {md_escape(who)} · segment {seg.id}")
        st.text(seg.text)  # exactly as stored: never Markdown, never HTML
        error = st.session_state.pop(f"card_error-{seg.id}", None)
        if error:
            st.error(md_escape(error))
        k = f"{key_prefix}{seg.id}"
        over = [sp for sp in spans if sp.start < seg.end and seg.start < sp.end and sp.code_id in ids
                and (not blind or sp.coder == coder)]
        if over:
            st.markdown("Spans: " + " ".join(
                chip(code_label(codebook, sp.code_id), color_of(codebook, sp.code_id),
                     f"“{sp.text[:60]}{'…' if len(sp.text) > 60 else ''}” · {sp.coder}") for sp in over),
                unsafe_allow_html=True)
        for code_id in [c for c, a in mine.items() if a.present]:
            with st.container(horizontal=True, vertical_alignment="center", gap="small"):
                st.markdown(chip(code_label(codebook, code_id), color_of(codebook, code_id), f"by you ({coder})"),
                            unsafe_allow_html=True)
                st.button("Remove", key=f"rm-{k}-{code_id}", on_click=act,
                          args=(seg.id, study.unset, seg.id, code_id, coder), kwargs={"message": "Code removed"})
                st.button("Use as example", key=f"ex-{k}-{code_id}", on_click=act,
                          args=(seg.id, study.add_example, code_id, seg.text, coder),
                          kwargs={"message": "Added to the code's examples"},
                          help="Add this segment's text to the code's examples in the codebook")
        rejected = [c for c, a in mine.items() if not a.present]
        if rejected:
            st.caption("You rejected: " + ", ".join(md_escape(code_label(codebook, c)) for c in rejected))
        for a in suggestions(apps, mine, codebook, min_conf):
            with st.container(horizontal=True, vertical_alignment="center", gap="small"):
                st.markdown(f"💡 {chip(code_label(codebook, a.code_id), color_of(codebook, a.code_id))} "
                            f"machine suggestion <b>{a.confidence:.0%}</b><br>"
                            f"<span style='font-size:0.8em;color:gray'>why: {verbatim(a.reason)}</span>",
                            unsafe_allow_html=True)
                st.button("Accept", key=f"acc-{k}-{a.code_id}", type="primary", on_click=act,
                          args=(seg.id, study.decide, seg.id, a.code_id, coder),
                          kwargs={"present": True, "message": "Accepted"})
                st.button("Reject", key=f"rej-{k}-{a.code_id}", on_click=act,
                          args=(seg.id, study.decide, seg.id, a.code_id, coder),
                          kwargs={"present": False, "message": "Rejected"})
        if not blind:
            others: dict[str, list[str]] = {}
            for a in apps:
                if a.source == "human" and a.coder != coder and a.present and a.code_id in ids:
                    others.setdefault(a.coder, []).append(code_label(codebook, a.code_id))
            for name, labels in sorted(others.items()):
                st.caption(f"{md_escape(name)}: " + ", ".join(md_escape(x) for x in labels))
            final = [code_label(codebook, a.code_id) for a in apps if a.source == "final" and a.present
                     and a.code_id in ids]
            if final:
                st.caption("Final (adjudicated): " + ", ".join(md_escape(x) for x in final))
        add_box(study, seg.id, codebook, coder, k)
        memo_box(study, seg.id, coder, memos, blind, k)


ADD_OPEN = "addpop-{}"  # session key of a card's "Add a code" popover (open or not)
MEMO_OPEN = "memos-{}"  # session key of a card's memo expander (open or not)


def add_box(study, segment_id: int, codebook, coder: str, k: str) -> None:  # noqa: ANN001
    """*Add a code*: a popover whose picker is built only while it is open (a closed one
    costs the page one element, not a searchable list of every code)."""
    with st.popover("Add a code", key=ADD_OPEN.format(k), on_change="rerun") as box:
        if not box.open:
            return
        codable = [c.id for c in codebook if c.is_codable]
        choice = st.selectbox("Add a code", codable, index=None, key=f"add-{k}",
                              format_func=lambda c: code_label(codebook, c), placeholder="Type to search")
        st.button("Add code", key=f"addbtn-{k}", type="primary", disabled=choice is None, on_click=add_chosen_code,
                  args=(study, coder, segment_id, f"add-{k}", ADD_OPEN.format(k)))


def memo_box(study, segment_id: int, coder: str, memos: list[Memo], blind: bool, k: str) -> None:  # noqa: ANN001
    """Memos on the segment (several allowed) and a box for a new one whose draft is never
    lost. Built only while open; a card with an unsaved draft opens with it."""
    visible = [m for m in memos if m.coder == coder or not blind]
    draft = st.session_state.get(DRAFTS, {}).get(segment_id, "")
    key = f"memo-{k}"
    label = f"Memos ({len(visible)})" + (" · unsaved draft" if draft else "")
    opened = MEMO_OPEN.format(k)
    if draft and opened not in st.session_state:  # back on the page with a draft: shown open, with it
        st.session_state[opened] = True
    with st.expander(label, key=opened, on_change="rerun") as box:
        if not box.open:
            return
        if key not in st.session_state and draft:
            st.session_state[key] = draft
        for m in visible:
            st.markdown(f"<b>{verbatim(m.coder)}</b> <span style='color:gray;font-size:0.8em'>"
                        f"{verbatim(m.updated_at[:16])}</span><br>{verbatim(m.text)}",
                        unsafe_allow_html=True)
        st.text_area("New memo", key=key, on_change=keep_draft, args=(segment_id, key, opened),
                     placeholder="Your thoughts on this segment (kept as a draft until you save it)")
        st.button("Save memo", key=f"memosave-{k}", on_click=save_memo, args=(study, coder, segment_id, key, opened))
