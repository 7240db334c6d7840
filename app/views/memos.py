"""Memos: every memo of the study in one list (segments, spans, codes, transcripts, the
project), filtered by kind, coder and words, each one click from its place; project,
transcript and code memos written here; edits refused when someone changed the memo since
it was shown ("changed by NAME at TIME since you opened it"). Unsaved edits survive leaving
the page. Others' memos on a transcript this coder double-codes blind are not shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from app.goto import open_code, open_place
from app.state import code_label, excerpt, md_escape, require_coder, saved
from qualcode.errors import QualcodeError

if TYPE_CHECKING:
    from qualcode.records import Memo

KIND_LABELS = {"segment": "Segment", "span": "Coded span", "code": "Code", "transcript": "Transcript",
               "project": "Project"}


def keep_draft(key: str) -> None:
    """Widgets forget their value when the page is left; the session does not."""
    st.session_state[f"_{key}"] = st.session_state.get(key, "")


def act(fn, *args, message: str, drop: str | None = None, **kwargs) -> bool:  # noqa: ANN001
    """Make the Study call; on success forget the draft ``drop`` and say so; on a refusal keep
    every word and show why."""
    try:
        fn(*args, **kwargs)
    except QualcodeError as exc:
        st.session_state["memo_error"] = str(exc)
        return False
    if drop:
        st.session_state.pop(f"_{drop}", None)
        st.session_state.pop(drop, None)
    saved(message, later=True)
    return True


def ask_delete(memo_id: int) -> None:
    st.session_state["m_confirm"] = memo_id


def delete(study, memo: Memo, me: str) -> None:  # noqa: ANN001
    st.session_state.pop("m_confirm", None)
    act(study.delete_memo, memo.id, me, expected_version=memo.version,
        message="Memo deleted (Undo on the Code page or Search takes it back)")


def save_edit(study, memo: Memo, me: str, key: str) -> None:  # noqa: ANN001
    act(study.update_memo, memo.id, st.session_state.get(key, ""), me, expected_version=memo.version,
        message="Memo saved", drop=key)


def add_new(study, me: str, kind: str, place) -> None:  # noqa: ANN001
    where = {"transcript": {"transcript_id": place}, "code": {"code_id": place}}.get(kind, {})
    if act(study.add_memo, me, st.session_state.get("m_new", ""), message="Memo added", drop="m_new", **where):
        st.session_state["m_new"] = ""  # the box empties once the memo is saved (a second click adds nothing twice)


def places(study, memos: list[Memo], codebook) -> dict[int, tuple[str, dict | None]]:  # noqa: ANN001
    """For each memo: where it is, in words, and the Code page place to open (or None)."""
    names = {t.id: t.name for t in study.transcripts()}
    segs = {s.id: s for s in study.segments(ids={m.segment_id for m in memos if m.segment_id})}
    span_ids = {m.span_id for m in memos if m.span_id}
    spans = {x.id: x for x in study.span_codings()} if span_ids else {}
    out: dict[int, tuple[str, dict | None]] = {}
    for m in memos:
        kind = m.kind
        if kind == "span" and m.span_id in spans:
            x = spans[m.span_id]
            out[m.id] = (f"{x.transcript}: “{excerpt(x.text)}” ({code_label(codebook, x.code_id)})",
                            {"transcript_id": x.transcript_id, "segment_id": None, "start": x.start, "end": x.end})
        elif kind == "segment" and m.segment_id in segs:
            s = segs[m.segment_id]
            out[m.id] = (f"{s.transcript}, {s.attribution()}: “{excerpt(s.text)}”",
                            {"transcript_id": s.transcript_id, "segment_id": s.id})
        elif kind == "code":
            out[m.id] = (f"code {code_label(codebook, m.code_id)}", None)
        elif kind == "transcript":
            out[m.id] = (f"transcript {names.get(m.transcript_id, m.transcript_id)}",
                            {"transcript_id": m.transcript_id, "segment_id": None})
        else:
            out[m.id] = ("the project", None)
    return out


def blind_hidden(study, me: str, memos: list[Memo]) -> set[int]:  # noqa: ANN001
    blind = study.blind_transcripts(me)
    if not blind:
        return set()
    seg_tid = {s.id: s.transcript_id for s in study.segments(ids={m.segment_id for m in memos if m.segment_id})}
    span_tid = {x.id: x.transcript_id for x in study.span_codings()}
    hidden = set()
    for m in memos:
        tid = m.transcript_id or seg_tid.get(m.segment_id) or span_tid.get(m.span_id)
        if m.coder != me and tid in blind:
            hidden.add(m.id)
    return hidden


def render() -> None:
    st.title("Memos")
    ctx = require_coder()
    if ctx is None:
        return
    study, me, _role = ctx
    codebook = study.codebook()
    if error := st.session_state.pop("memo_error", None):
        st.error(md_escape(error))
    with st.expander("New memo on the project, a transcript or a code"):
        kind = st.radio("About", ["project", "transcript", "code"], horizontal=True, key="m_kind",
                        format_func=KIND_LABELS.get)
        place = None
        if kind == "transcript":
            ts = study.transcripts()
            place = st.selectbox("Transcript", [t.id for t in ts], key="m_tid",
                                 format_func={t.id: t.name for t in ts}.get)
        elif kind == "code":
            place = st.selectbox("Code", codebook.ids(), key="m_code", format_func=lambda c: code_label(codebook, c))
        if "m_new" not in st.session_state and "_m_new" in st.session_state:
            st.session_state["m_new"] = st.session_state["_m_new"]
        st.text_area("Memo", key="m_new", on_change=keep_draft, args=("m_new",))
        st.button("Add memo", key="m_add", type="primary", on_click=add_new, args=(study, me, kind, place),
                  disabled=kind != "project" and place is None)
    memos = study.memos()
    hidden = blind_hidden(study, me, memos)
    memos = [m for m in memos if m.id not in hidden]
    f1, f2, f3 = st.columns([2, 1.5, 3])
    kinds = f1.multiselect("Kind", list(KIND_LABELS), format_func=KIND_LABELS.get, key="m_f_kind")
    who = f2.selectbox("Coder", [None, *sorted({m.coder for m in memos})], key="m_f_coder",
                       format_func=lambda c: "Anyone" if c is None else c)
    words = f3.text_input("Containing", key="m_f_text")
    shown = [m for m in memos if (not kinds or m.kind in kinds) and (who is None or m.coder == who)
             and (not words.strip() or words.strip().casefold() in m.text.casefold())]
    st.caption(md_escape(f"{len(shown)} of {len(memos)} memos" +
                         (f"; {len(hidden)} by others on transcripts you double-code blind are hidden" if hidden else "")))
    where = places(study, shown, codebook)
    for m in reversed(shown):  # newest first
        label, place = where[m.id]
        with st.container(border=True, key=f"memo-{m.id}"):
            head, b1, b2 = st.columns([6, 1, 1])
            head.caption(md_escape(f"{KIND_LABELS[m.kind]} · {label} · {m.coder} · "
                                   f"{m.updated_at[:16].replace('T', ' ')} · version {m.version}"))
            if place is not None and b1.button("Open", key=f"m_open-{m.id}", help="Open it on the Code page"):
                open_place(**place)
            if m.kind == "code" and b1.button("Open", key=f"m_openc-{m.id}", help="Open the code"):
                open_code(m.code_id)
            b2.button("Delete", key=f"m_del-{m.id}", on_click=ask_delete, args=(m.id,))
            st.text(m.text)
            if st.session_state.get("m_confirm") == m.id:
                st.warning(f"Delete this memo (version {m.version})?")
                y, n, _ = st.columns([1, 1, 4])
                y.button("Yes, delete it", key=f"m_yes-{m.id}", type="primary", on_click=delete, args=(study, m, me))
                n.button("Keep it", key=f"m_keep-{m.id}", on_click=st.session_state.pop, args=("m_confirm", None))
            key = f"m_edit-{m.id}"
            with st.expander("Edit"):
                if key not in st.session_state:
                    st.session_state[key] = st.session_state.get(f"_{key}", m.text)
                st.text_area("Text", key=key, on_change=keep_draft, args=(key,), label_visibility="collapsed")
                st.button("Save", key=f"m_save-{m.id}", on_click=save_edit, args=(study, m, me, key))


render()
