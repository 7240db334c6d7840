"""Code: read a transcript as a conversation and decide on codes, segment by segment, or
select any words and code exactly that span.

Every click is one Study call, saved at once in its own transaction. Clicks rerun only
what they change: the page of cards is one custom component (app/components/card_page:
a click redraws its card in the browser and sends one event), the page section (page
number, view, span view) an ``st.fragment``; *Review next* draws its picks with the same
component (a second instance). The transcript, page,
filters and memo drafts are kept in the session, so neither a decision, nor the sidebar,
nor a switch of transcript loses the coder's place or words. On a transcript in a blind
double-coding sample only the coder's own codes are shown.
"""

from __future__ import annotations

import time

import streamlit as st

from app.components.card_page import REVIEW, card_page
from app.components.recode_job import update_suggestions_button
from app.components.review_prep import prepare_in_background
from app.components.segment_card import DECIDED, FOCUS, act, spans_of
from app.components.span_select import checked_selection, span_select
from app.state import (
    cached,
    chip,
    code_label,
    color_of,
    embedder,
    md_escape,
    require_coder,
    saved,
    show_saved,
    verbatim,
)
from qualcode.errors import QualcodeError
from qualcode.pipeline.active import COLD_START

PAGE_SIZE = 25


def remember(name: str) -> None:
    st.session_state[f"_{name}"] = st.session_state[name]


TRANSCRIPT_PARAM, PAGE_PARAM = "transcript", "page"  # the coder's place, kept in the address for a reload


def from_address(names: list[str]) -> None:
    """After a reload (a new session: widgets and session state are gone), take the coder's
    place back from the address: the transcript and page last shown. A name the coder may
    not see, or a page that is no number, is ignored."""
    if "transcript" in st.session_state or "_transcript" in st.session_state:
        return
    name = st.query_params.get(TRANSCRIPT_PARAM)
    if name in names:
        st.session_state["_transcript"] = name
        page = st.query_params.get(PAGE_PARAM, "")
        if page.isdigit() and "_page" not in st.session_state:
            st.session_state["_page"] = int(page)


def keep_in_address(param: str, value: str) -> None:
    if st.query_params.get(param) != value:
        st.query_params[param] = value


def restore(name: str, default: object) -> None:
    """Give a widget back the value it had before the coder left the page (widgets forget)."""
    if name not in st.session_state:
        st.session_state[name] = st.session_state.get(f"_{name}", default)


def open_goto(study, names: list[str]) -> None:  # noqa: ANN001
    """Follow a link from Retrieve, Search or Memos: its transcript, its page, its segment."""
    goto = st.session_state.pop("goto", None)
    if not goto:
        return
    tid = goto.get("transcript_id")
    wanted = [t.name for t in study.transcripts() if t.id == tid]
    if not wanted or wanted[0] not in names:
        return
    st.session_state["transcript"] = st.session_state["_transcript"] = wanted[0]
    for name, empty in (("uncoded", False), ("f_groups", []), ("f_sites", [])):  # show it, whatever the filters
        st.session_state[name] = st.session_state[f"_{name}"] = empty
    segs = study.segments(transcript_id=tid)
    seg_id = goto.get("segment_id")
    if seg_id is None and goto.get("start") is not None:
        seg_id = next((s.id for s in segs if s.start <= goto["start"] < s.end), None)
    index = next((i for i, s in enumerate(segs) if s.id == seg_id), 0)
    st.session_state["page"] = st.session_state["_page"] = index // st.session_state.get("page_size", PAGE_SIZE) + 1
    st.session_state[FOCUS] = seg_id
    st.session_state["scroll_to"] = seg_id
    if goto.get("start") is not None and goto.get("end") is not None:  # a span: show it outlined in the text
        st.session_state["goto_span"] = (goto["start"], goto["end"])
        st.session_state["view"] = st.session_state["_view"] = "Select text"
    else:
        st.session_state.pop("goto_span", None)
        st.session_state["view"] = st.session_state["_view"] = "Segments"


def code_selection(study, coder: str, tid: int, plain: str, value: dict | None) -> None:  # noqa: ANN001
    code_id = st.session_state.get("span_code")
    picked = checked_selection(value, plain)
    if picked is None or code_id is None:
        st.session_state["code_error"] = "Code a span: select words in the text and choose a code first."
        return
    start, end, text = picked
    try:
        study.code_span(tid, start, end, code_id, coder)
    except QualcodeError as exc:
        st.session_state["code_error"] = str(exc)
        return
    st.session_state["span_round"] = st.session_state.get("span_round", 0) + 1  # a fresh, empty selection
    saved(f"Span coded: “{text[:40]}”", later=True)


def applications_by_segment(study, coder: str, ids: list[int]) -> dict[int, list]:  # noqa: ANN001
    """Segment id → the decisions and suggestions ``coder`` may see on it (one query)."""
    out: dict[int, list] = {}
    for a in study.visible_applications(coder, segment_ids=ids):
        out.setdefault(a.segment_id, []).append(a)
    return out


def machine_shown(a, min_conf: float) -> bool:  # noqa: ANN001
    """Whether the card shows machine suggestion ``a``: the engine's stored decision (the old
    fixed rule, 0.5, for one stored before it), or from the coder's own confidence slider.
    The segment's best stored suggestion is shown below its threshold too, so a filter by
    this rule may miss it: the filter asks "suggested with confidence", not "the likeliest"."""
    from qualcode.pipeline.suggest import SHOW_THRESHOLD

    engine = (a.confidence or 0) >= SHOW_THRESHOLD if a.shown is None else a.shown
    return engine or (a.confidence or 0) >= min_conf


def coded_by(study, coder: str, tid: int, segments: list, by_segment: dict[int, list]) -> set[int]:  # noqa: ANN001
    """Ids of the segments ``coder`` has coded: any decision of theirs on it (accepted, added or
    rejected), or a span coding of theirs that overlaps it."""
    out = {sid for sid, apps in by_segment.items() if any(a.source == "human" and a.coder == coder for a in apps)}
    spans = [sp for sp in spans_of(study, tid) if sp.coder == coder]
    out.update(seg.id for seg in segments if any(sp.start < seg.end and seg.start < sp.end for sp in spans))
    return out


def filter_changed(name: str) -> None:
    """A filter ticked or cleared: a fresh list from page 1 (what was decided before no longer
    stays on it; a decision made under the filter does, until the filter changes)."""
    remember(name)
    st.session_state.pop(DECIDED, None)
    st.session_state["page"] = st.session_state["_page"] = 1


@st.fragment
def section(study, transcript, codebook, coder: str, blind: bool, min_conf: float, code_filter: str | None) -> None:  # noqa: ANN001
    """The page of segments (or the span view) with its toolbar: reruns on its own."""
    show_saved()
    if "code_error" in st.session_state:
        st.error(md_escape(st.session_state.pop("code_error")))
    segments = study.segments(transcript_id=transcript.id)
    uncoded = st.session_state.get("uncoded", False)
    kept = st.session_state.get(DECIDED, set())
    by_segment: dict[int, list] = {}
    if uncoded or code_filter:  # the filters need every segment's decisions; else only the page's (below)
        by_segment = applications_by_segment(study, coder, [s.id for s in segments])

    coded = coded_by(study, coder, transcript.id, segments, by_segment) if uncoded else set()

    def keep(seg) -> bool:  # noqa: ANN001
        if seg.is_interviewer:
            return not (uncoded or code_filter)
        if uncoded and seg.id in coded and seg.id not in kept:  # what you just decided stays where it was
            return False
        if code_filter:  # a machine suggestion counts where the card shows it (the engine's stored decision)
            return any(a.code_id == code_filter and a.present and (a.source != "machine" or machine_shown(a, min_conf))
                       for a in by_segment.get(seg.id, []))
        return True

    visible = [s for s in segments if keep(s)]
    size = st.session_state.get("page_size", PAGE_SIZE)
    pages = max(1, -(-len(visible) // size))
    restore("page", 1)
    st.session_state["page"] = min(max(1, st.session_state["page"]), pages)
    keep_in_address(PAGE_PARAM, str(st.session_state["page"]))
    c1, c2 = st.columns([2, 3])
    said = sum(not s.is_interviewer for s in visible)
    c1.number_input(f"Page (of {pages}, {size} segments a page; {said} participant segments to code in all)",
                    1, max(pages, 1), key="page", on_change=remember, args=("page",))
    restore("view", "Segments")
    c2.segmented_control("View", ["Segments", "Select text"], key="view", on_change=remember, args=("view",),
                         help="Select text: select any words and code exactly that span")
    page_segs = visible[(st.session_state["page"] - 1) * size: st.session_state["page"] * size]
    if st.session_state.get("view") == "Select text":
        spans = [sp for sp in spans_of(study, transcript.id) if sp.code_id in set(codebook.ids())
                 and (not blind or sp.coder == coder)]
        span_view(study, transcript, codebook, coder, page_segs, spans)
        return
    codeable = [s.id for s in segments if not s.is_interviewer]
    if codeable and not blind and not study.machine_confidences(coder, segment_ids=codeable):
        st.info("No machine suggestions on this transcript yet: to get them, press **Update suggestions** "
                "in the *Review next* tab (it learns from the codes given so far). You can code without them.")
    card_page(study, coder, codebook, page_segs, blind, min_conf)  # one component: app/components/card_page


def span_view(study, transcript, codebook, coder: str, page_segs: list, spans: list) -> None:  # noqa: ANN001
    st.caption("Select words with the mouse, choose a code, then **Code the selection**. "
               "Highlights are span codings; point at one to see its code.")
    plain = study.plain_text(transcript.id)
    lo = page_segs[0].start if page_segs else 0
    hi = page_segs[-1].end if page_segs else 0
    shown = [sp for sp in spans if sp.start < hi and lo < sp.end]
    controls = st.container()  # above the text, drawn once the selection is known
    value = span_select(
        [{"start": s.start, "text": s.text, "speaker": s.speaker or "", "codeable": not s.is_interviewer}
         for s in page_segs],
        [{"start": sp.start, "end": sp.end, "color": color_of(codebook, sp.code_id),
          "label": f"{code_label(codebook, sp.code_id)} · {sp.coder}"} for sp in shown],
        highlight=st.session_state.get("goto_span"), key=f"span-{transcript.id}-{st.session_state.get('span_round', 0)}")
    picked = checked_selection(value, plain)
    with controls:
        c1, c2 = st.columns([4, 2], vertical_alignment="bottom")
        c1.selectbox("Code for the selection", [c.id for c in codebook if c.is_codable], index=None, key="span_code",
                     format_func=lambda c: code_label(codebook, c), placeholder="Choose a code (type to search)")
        c2.button("Code the selection", key="code-span", type="primary", disabled=picked is None,
                  on_click=code_selection, args=(study, coder, transcript.id, plain, value))
        if picked:
            st.markdown(f"Selected (characters {picked[0]}–{picked[1]}): “{verbatim(picked[2])}”",
                        unsafe_allow_html=True)
        elif value:
            st.warning("The selection does not match the stored text; select it again.")
        else:
            st.caption("Nothing selected yet.")
        span_list(study, codebook, coder, shown)


def span_list(study, codebook, coder: str, shown: list) -> None:  # noqa: ANN001
    with st.expander(f"Span codings on this page ({len(shown)})"):
        if not shown:
            st.caption("None yet.")
        for sp in shown:
            c1, c2 = st.columns([6, 1])
            c1.markdown(chip(code_label(codebook, sp.code_id), color_of(codebook, sp.code_id),
                             f"“{sp.text}” · {sp.coder} ({sp.source})"), unsafe_allow_html=True)
            if sp.coder == coder and sp.source == "human":
                c2.button("Remove", key=f"rmspan-{sp.id}", on_click=act, args=(None, study.remove_span, sp.id, coder),
                          kwargs={"message": "Span coding removed"})


def render() -> None:
    st.title("Code")
    ctx = require_coder()
    if ctx is None:
        return
    study, coder, _role = ctx
    codebook = cached(study, "codebook")
    people = {p.participant_id: p for p in cached(study, "participants")}
    transcripts = cached(study, "transcripts")
    if not transcripts:
        st.info("This study has no transcripts yet. Import some on the Manage page or with `qualcode import`.")
        return
    open_goto(study, [t.name for t in transcripts])  # before the widgets it sets are drawn
    with st.sidebar:
        st.subheader("Filters")
        interviewees = [p for p in people.values() if not p.is_interviewer]
        restore("f_groups", [])
        restore("f_sites", [])
        groups = st.multiselect("Participant group", sorted({p.group for p in interviewees if p.group}),
                                key="f_groups", on_change=remember, args=("f_groups",))
        sites = st.multiselect("Site", sorted({p.site for p in interviewees if p.site}), key="f_sites",
                               on_change=remember, args=("f_sites",))
        code_filter = st.selectbox("Code", codebook.ids(), index=None, placeholder="any code",
                                   format_func=lambda c: code_label(codebook, c))
        # the engine's stored `shown` decides what is shown (learnt rule); the slider only adds others
        min_conf = st.slider("Also show suggestions from confidence", 0.0, 1.0, 1.0, 0.05,
                             help="Each card always shows the suggestions qualcode judges worth your time (it "
                             "learns which from the codes you and others accept and reject). Move this left to "
                             "also see less certain suggestions: 0.6 shows any the machine is at least 60% sure of.")
        restore("page_size", PAGE_SIZE)
        st.selectbox("Segments per page", [10, 25, 50, 100], key="page_size", on_change=remember, args=("page_size",))
        restore("uncoded", False)
        st.checkbox("Only segments I have not coded", key="uncoded", on_change=filter_changed, args=("uncoded",),
                    help="Leaves out every segment you have made any decision on (accepted, added or rejected a "
                    "code) and every segment a span coding of yours overlaps. A segment you decide on while "
                    "this is ticked stays where it is until you change the filter.")

    def matches(t) -> bool:  # noqa: ANN001
        ps = [people[p] for p in t.participants if p in people and not people[p].is_interviewer]
        return (not groups or any(p.group in groups for p in ps)) and (not sites or any(p.site in sites for p in ps))

    shown = [t for t in transcripts if matches(t)]
    if not shown:
        st.warning("No transcript matches the group and site filters.")
        return
    names = [t.name for t in shown]
    from_address(names)
    restore("transcript", names[0])
    if st.session_state["transcript"] not in names:
        st.session_state["transcript"] = names[0]
    if st.session_state.pop("code_tab_hint", None):
        st.info("The segments to re-code after the split are in the **Review next** tab.")
    read, review = st.tabs(["Transcript", "Review next"])
    with read:
        st.selectbox("Transcript", names, key="transcript", on_change=new_transcript)
        transcript = shown[names.index(st.session_state["transcript"])]
        keep_in_address(TRANSCRIPT_PARAM, transcript.name)
        blind = transcript.id in study.blind_transcripts(coder)
        if blind:
            st.info("Blind double-coding: you see only your own codes on this transcript until every "
                    "assigned coder has marked it done.")
        ps = [people[p] for p in transcript.participants if p in people and not people[p].is_interviewer]
        if ps:
            st.caption(" · ".join(md_escape(f"{p.participant_id}: {p.group}, {p.role}, site {p.site}") for p in ps))
        section(study, transcript, codebook, coder, blind, min_conf, code_filter)
        done = coder in study.done_by(transcript.id)
        st.button("✔ Marked done" if done else "Mark this transcript done", disabled=done, on_click=act,
                  args=(None, study.mark_done, transcript.id, coder), kwargs={"message": "Transcript marked done"})
    with review:
        review_next(study, codebook, coder, min_conf)


def new_transcript() -> None:
    remember("transcript")
    st.session_state["page"] = st.session_state["_page"] = 1
    st.session_state.pop("goto_span", None)


@st.fragment
def review_next(study, codebook, coder: str, min_conf: float) -> None:  # noqa: ANN001
    st.caption("Segments nobody has coded yet whose coding would teach the suggestions most: until "
               f"{COLD_START} segments are coded, the most typical segment of each group of similar segments "
               "coded least; then the ones the suggestions are least sure about, each different from "
               "the others. Update the suggestions after coding some.")
    show_saved()
    prepare_in_background(study, coder, codebook.ids(), embedder())  # before the click, once per mark
    c1, c2 = st.columns(2)
    if c1.button("Find segments to review", key="find-next"):
        from qualcode.workflow import next_segments

        with st.spinner("Choosing…"):
            t0 = time.perf_counter()
            picks = next_segments(study, coder, embedder(), 10)
            st.session_state["next_ids"] = [p.segment.id for p in picks]
            st.session_state["next_why"] = {p.segment.id: p.why for p in picks}
            st.session_state["next_round"] = (st.session_state.get("next_round", (0, 0))[0] + 1,
                                              time.perf_counter() - t0)
    update_suggestions_button(study, coder, c2)  # a background job: app/components/recode_job.py
    next_ids = st.session_state.get("next_ids", [])
    if "next_round" in st.session_state:
        n, took = st.session_state["next_round"]
        st.caption(f"Round {n}: {len(next_ids)} segment(s) to review, chosen in {took:.1f} s")
    if next_ids:  # the Code page's cards (one component), on the picks
        segs = sorted(study.segments(ids=next_ids), key=lambda s: next_ids.index(s.id))
        why = st.session_state.get("next_why", {})
        notes = {s.id: " · ".join(filter(None, [f"from {s.transcript}", why.get(s.id)])) for s in segs}
        card_page(study, coder, codebook, segs, set(study.blind_transcripts(coder)), min_conf, key=REVIEW, notes=notes)


render()
