"""Code: read a transcript as a conversation and decide on codes, segment by segment.

Every click (accept, reject, add, remove, memo, done) is one Study call, saved at once in
its own transaction; the page then shows what the database holds. On a transcript in a
blind double-coding sample, the Study API returns only your own codes, so nothing else
can be shown here.
"""

from __future__ import annotations

from html import escape

import streamlit as st

from app.state import code_label, embedder, require_coder, saved
from qualcode.errors import QualcodeError
from qualcode.io.transcripts import format_time
from qualcode.pipeline.active import COLD_START

PAGE_SIZE = 25


def act(fn, *args, message: str = "Saved", **kwargs) -> None:  # noqa: ANN001
    """A button callback: one Study call; a refusal is shown, never half-saved."""
    try:
        fn(*args, **kwargs)
    except QualcodeError as exc:
        st.session_state["code_error"] = str(exc)
    else:
        saved(message)


def save_memo(study, coder: str, segment_id: int, memo_id: int | None, key: str) -> None:  # noqa: ANN001
    """Read the memo box at click time: callback arguments are fixed when the page was drawn."""
    text = st.session_state.get(key, "")
    if memo_id is None:
        act(study.add_memo, coder, text, segment_id=segment_id, message="Memo saved")
    else:
        act(study.update_memo, memo_id, text, coder, message="Memo saved")


def add_chosen_code(study, coder: str, segment_id: int, key: str) -> None:  # noqa: ANN001
    code_id = st.session_state.get(key)
    if code_id is None:
        st.session_state["code_error"] = "Add a code: choose a code first."
        return
    act(study.decide, segment_id, code_id, coder, message="Code added")


def segment_card(study, seg, codebook, coder, apps, memos, blind, min_conf, key_prefix="") -> None:  # noqa: ANN001
    mine = {a.code_id: a for a in apps if a.source == "human" and a.coder == coder}
    with st.container(border=True):
        who = seg.attribution() if seg.participant_id else (seg.speaker or "unknown speaker")
        when = f" · {format_time(seg.start_time)}" if seg.start_time is not None else ""
        st.caption(f"**{seg.speaker or '—'}**{when} · {who} · segment {seg.id}")
        st.markdown(seg.text.replace("\n", "  \n"))
        k = f"{key_prefix}{seg.id}"
        applied = [c for c, a in mine.items() if a.present]
        rejected = [c for c, a in mine.items() if not a.present]
        for code_id in applied:
            c1, c2, c3 = st.columns([6, 1.3, 1.7])
            c1.markdown(f"✅ **{code_label(codebook, code_id)}**")
            c2.button("Remove", key=f"rm-{k}-{code_id}", on_click=act,
                      args=(study.unset, seg.id, code_id, coder), kwargs={"message": "Code removed"})
            c3.button("Use as example", key=f"ex-{k}-{code_id}", on_click=act,
                      args=(study.add_example, code_id, seg.text, coder),
                      kwargs={"message": "Added to the code's examples"},
                      help="Add this segment's text to the code's examples in the codebook")
        if rejected:
            st.caption("You rejected: " + ", ".join(code_label(codebook, c) for c in rejected))
        suggestions = sorted((a for a in apps if a.source == "machine" and a.code_id not in mine
                              and (a.confidence or 0) >= min_conf), key=lambda a: -(a.confidence or 0))
        for a in suggestions:
            c1, c2, c3 = st.columns([6, 1.3, 1.7])
            c1.markdown(f"💡 {escape(code_label(codebook, a.code_id))} — **{a.confidence:.0%}**  \n"
                        f"<span style='font-size:0.8em;color:gray'>why: {escape(a.reason or '')}</span>",
                        unsafe_allow_html=True)
            c2.button("Accept", key=f"acc-{k}-{a.code_id}", type="primary", on_click=act,
                      args=(study.decide, seg.id, a.code_id, coder), kwargs={"present": True, "message": "Accepted"})
            c3.button("Reject", key=f"rej-{k}-{a.code_id}", on_click=act,
                      args=(study.decide, seg.id, a.code_id, coder), kwargs={"present": False, "message": "Rejected"})
        if not blind:
            others: dict[str, list[str]] = {}
            for a in apps:
                if a.source == "human" and a.coder != coder and a.present:
                    others.setdefault(a.coder, []).append(code_label(codebook, a.code_id))
            for name, labels in sorted(others.items()):
                st.caption(f"{name}: " + ", ".join(labels))
            final = [code_label(codebook, a.code_id) for a in apps if a.source == "final" and a.present]
            if final:
                st.caption("Final: " + ", ".join(final))
        c1, c2 = st.columns([6, 3])
        choice = c1.selectbox("Add a code", codebook.ids(), index=None, key=f"add-{k}",
                              format_func=lambda c: code_label(codebook, c), placeholder="Add a code (type to search)",
                              label_visibility="collapsed")
        c2.button("Add code", key=f"addbtn-{k}", disabled=choice is None, on_click=add_chosen_code,
                  args=(study, coder, seg.id, f"add-{k}"))
        my_memos = [m for m in memos if m["coder"] == coder]
        with st.expander("Memo" + (" ✎" if my_memos else "")):
            st.text_area("Memo", value=my_memos[-1]["text"] if my_memos else "", key=f"memo-{k}",
                         label_visibility="collapsed", placeholder="Your thoughts on this segment")
            st.button("Save memo", key=f"memosave-{k}", on_click=save_memo,
                      args=(study, coder, seg.id, my_memos[-1]["id"] if my_memos else None, f"memo-{k}"))
            for m in memos:
                if m["coder"] != coder and not blind:
                    st.caption(f"{m['coder']}: {m['text']}")


def render() -> None:
    st.title("Code")
    ctx = require_coder()
    if ctx is None:
        return
    study, coder, _role = ctx
    if "code_error" in st.session_state:
        st.error(st.session_state.pop("code_error"))
    codebook = study.codebook()
    people = {p.participant_id: p for p in study.participants()}
    transcripts = study.transcripts()
    if not transcripts:
        st.info("This study has no transcripts yet. Import some with `qualcode import STUDY FILES`.")
        return
    with st.sidebar:
        st.subheader("Filters")
        interviewees = [p for p in people.values() if not p.is_interviewer]
        groups = st.multiselect("Participant group", sorted({p.group for p in interviewees if p.group}))
        sites = st.multiselect("Site", sorted({p.site for p in interviewees if p.site}))
        code_filter = st.selectbox("Code", codebook.ids(), index=None, placeholder="any code",
                                   format_func=lambda c: code_label(codebook, c))
        min_conf = st.slider("Show suggestions from confidence", 0.0, 1.0, 0.5, 0.05)
        uncoded = st.checkbox("Only segments I have not coded")

    def matches(t) -> bool:  # noqa: ANN001
        ps = [people[p] for p in t.participants if p in people and not people[p].is_interviewer]
        return (not groups or any(p.group in groups for p in ps)) and (not sites or any(p.site in sites for p in ps))

    shown = [t for t in transcripts if matches(t)]
    if not shown:
        st.warning("No transcript matches the group and site filters.")
        return
    read, review = st.tabs(["Transcript", "Review next"])
    with read:
        names = [t.name for t in shown]
        name = st.selectbox("Transcript", names, key="transcript")
        transcript = shown[names.index(name)]
        blind = transcript.id in study.blind_transcripts(coder)
        if blind:
            st.info("Blind double-coding: you see only your own codes on this transcript until every "
                    "assigned coder has marked it done.")
        ps = [people[p] for p in transcript.participants if p in people and not people[p].is_interviewer]
        if ps:
            st.caption(" · ".join(f"{p.participant_id}: {p.group}, {p.role}, site {p.site}" for p in ps))
        segments = study.segments(transcript_id=transcript.id)
        ids = [s.id for s in segments]
        apps = study.visible_applications(coder, segment_ids=ids)
        by_segment: dict[int, list] = {}
        for a in apps:
            by_segment.setdefault(a.segment_id, []).append(a)
        memos: dict[int, list] = {}
        for m in study.memos(segment_ids=ids):
            memos.setdefault(m["segment_id"], []).append(m)

        def keep(seg) -> bool:  # noqa: ANN001
            if seg.is_interviewer:
                return not (uncoded or code_filter)
            mine = [a for a in by_segment.get(seg.id, []) if a.source == "human" and a.coder == coder]
            if uncoded and mine:
                return False
            if code_filter:
                hits = [a for a in by_segment.get(seg.id, []) if a.code_id == code_filter and a.present and
                        (a.source != "machine" or (a.confidence or 0) >= min_conf)]
                return bool(hits)
            return True

        visible = [s for s in segments if keep(s)]
        pages = max(1, -(-len(visible) // PAGE_SIZE))
        page = st.number_input(f"Page (of {pages}; {len(visible)} segments)", 1, pages, 1) if pages > 1 else 1
        for seg in visible[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]:
            if seg.is_interviewer:
                st.markdown(f"<div style='color:gray'><b>{escape(seg.speaker or '')}</b>: {escape(seg.text)}</div>",
                            unsafe_allow_html=True)
                continue
            segment_card(study, seg, codebook, coder, by_segment.get(seg.id, []), memos.get(seg.id, []),
                         blind, min_conf)
        done = coder in study.done_by(transcript.id)
        st.button("✔ Marked done" if done else "Mark this transcript done", disabled=done, on_click=act,
                  args=(study.mark_done, transcript.id, coder), kwargs={"message": "Transcript marked done"})
    with review:
        st.caption("Segments nobody has coded yet whose coding would teach the suggestions most: until "
                   f"{COLD_START} segments are coded, the most typical segment of each group of similar segments "
                   "coded least; then the ones the suggestions are least sure about, each different from "
                   "the others. Update the suggestions after coding some.")
        c1, c2 = st.columns(2)
        if c1.button("Find segments to review", key="find-next"):
            from qualcode.workflow import next_segments

            with st.spinner("Choosing…"):
                picks = next_segments(study, coder, embedder(), 10)
                st.session_state["next_ids"] = [p.segment.id for p in picks]
                st.session_state["next_why"] = {p.segment.id: p.why for p in picks}
        if c2.button("Update suggestions", key="recode", help="Learn from every decision so far"):
            from qualcode.workflow import code_study

            bar = st.progress(0.0, text="Embedding segments…")
            # No fine-tuning here: it takes minutes; `qualcode code STUDY` does it (see the README).
            report = code_study(study, embedder(), lambda d, t: bar.progress(d / max(t, 1), text=f"{d}/{t} segments"),
                                fine_tune="never")
            bar.empty()
            saved(f"{report.suggestions} suggestions from {report.codes_learned} learned code(s)")
        next_ids = st.session_state.get("next_ids", [])
        if next_ids:
            segs = study.segments(ids=next_ids)
            apps = study.visible_applications(coder, segment_ids=next_ids)
            blind_ids = study.blind_transcripts(coder)
            why = st.session_state.get("next_why", {})
            for seg in sorted(segs, key=lambda s: next_ids.index(s.id)):
                st.caption(" · ".join(filter(None, [f"from {seg.transcript}", why.get(seg.id)])))
                segment_card(study, seg, codebook, coder, [a for a in apps if a.segment_id == seg.id], [],
                             seg.transcript_id in blind_ids, min_conf, key_prefix="next-")


render()
