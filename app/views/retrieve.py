"""Retrieve: every segment and span coded with a code (a theme with its sub-codes) across the
study, filtered by participant attribute, coder and source, each hit one click from its place.

Counts say whose coding they count (human, machine suggestions shown, final), never mixed
silently. Machine suggestions are those the engine decided to show coders (as on the Code
page's cards), or every one from a confidence the user picks.
On a transcript blind for this coder (double-coding not finished), only their own codings
are listed, as on the Code page.
"""

from __future__ import annotations

import streamlit as st

from app.components.machine_counted import machine_label, machine_threshold
from app.goto import open_place
from app.state import chip, code_label, color_of, md_escape, paged, require_coder, verbatim
from qualcode.errors import QualcodeError

PAGE_SIZE = 50
SOURCE_LABELS = {None: "All sources", "human": "Coders (human)", "machine": "Machine suggestions",
                 "final": "Final (adjudicated)"}


def attribute_values(participants) -> dict[str, list[str]]:  # noqa: ANN001
    """Each participant attribute (group, role, site and the sheet's own columns) with its values."""
    values: dict[str, set[str]] = {"group": set(), "role": set(), "site": set()}
    for p in participants:
        for name, value in (("group", p.group), ("role", p.role), ("site", p.site), *p.attributes.items()):
            if str(value).strip():
                values.setdefault(name, set()).add(str(value))
    return {k: sorted(v) for k, v in values.items() if v}


def hit_source(hit) -> str:  # noqa: ANN001
    if hit.source == "machine":
        return f"machine suggestion, {hit.confidence:.2f}" if hit.confidence is not None else "machine suggestion"
    if hit.source == "final":
        return f"final, adjudicated by {hit.coder}"
    return f"coded by {hit.coder}"


def counts_line(hits, threshold: float | None = None) -> str:  # noqa: ANN001
    """The hits counted by whose coding they are (``threshold``: the machine suggestions counted)."""
    by = {s: sum(h.source == s for h in hits) for s in ("human", "machine", "final")}
    parts = [f"{by['human']} by coders (human)", f"{by['machine']} {machine_label(threshold)}", f"{by['final']} final"]
    spans = sum(h.kind == "span" for h in hits)
    return (f"{len(hits)} hits ({', '.join(parts)}); {len(hits) - spans} whole segments, {spans} spans; "
            f"{len({(h.transcript_id) for h in hits})} transcripts")


def render() -> None:
    st.title("Retrieve")
    ctx = require_coder()
    if ctx is None:
        return
    study, me, _role = ctx
    codebook = study.codebook()
    if not len(codebook):
        st.info("The codebook has no codes yet.")
        return
    coders = [name for name, _ in study.coders()]
    attrs = attribute_values(study.participants())
    c1, c2, c3, c4 = st.columns([3, 1.2, 1.5, 1.5])
    code_id = c1.selectbox("Code", codebook.ids(), format_func=lambda c: code_label(codebook, c), key="r_code")
    children = c2.checkbox("Include sub-codes", value=True, key="r_children",
                           disabled=not codebook.children(code_id))
    source = c3.selectbox("Source", list(SOURCE_LABELS), format_func=SOURCE_LABELS.get, key="r_source")
    coder = c4.selectbox("Coder", [None, *coders], format_func=lambda c: "Anyone" if c is None else c,
                         key="r_coder", disabled=source == "machine")
    a1, a2, a3 = st.columns([1.5, 1.5, 3])
    attr = a1.selectbox("Participant attribute", [None, *attrs], key="r_attr",
                        format_func=lambda a: "(any participant)" if a is None else a)
    value = a2.selectbox("Value", attrs.get(attr, []), key="r_value", disabled=attr is None)
    min_conf = machine_threshold(a3, "r_conf") if source in (None, "machine") else None
    try:
        hits = study.retrieve(code_id, include_children=children, coder=None if source == "machine" else coder,
                              attributes={attr: value} if attr and value is not None else None,
                              source=source, min_confidence=min_conf)
    except QualcodeError as exc:
        st.error(md_escape(str(exc)))
        return
    blind = study.blind_transcripts(me)
    seen = [h for h in hits if h.transcript_id not in blind or (h.source == "human" and h.coder == me)]
    hidden, hits = len(hits) - len(seen), seen
    st.caption(md_escape(counts_line(hits, min_conf)))
    if hidden:
        st.caption(md_escape(f"{hidden} more on transcripts you are double-coding blind are not shown "
                             "until every assigned coder marks them done."))
    if not hits:
        st.info("Nothing is coded with this code under these filters.")
        return
    shown, first = paged(hits, "r_page", PAGE_SIZE)
    for i, hit in enumerate(shown, first):
        with st.container(border=True):
            head, button = st.columns([6, 1])
            where = f"{hit.transcript} · {hit.attribution or 'no participant'} · {place(hit)}"
            head.markdown(chip(code_label(codebook, hit.code_id), color_of(codebook, hit.code_id)) +
                          f" <span style='opacity:.8'>{verbatim(where)} · {verbatim(hit_source(hit))}</span>",
                          unsafe_allow_html=True)
            if button.button("Open", key=f"open-{i}", help="Open it on the Code page"):
                open_place(hit.transcript_id, hit.segment_id, hit.start if hit.kind == "span" else None,
                      hit.end if hit.kind == "span" else None)
            st.text(hit.text)


def place(hit) -> str:  # noqa: ANN001 - a RetrievalHit
    """Where a hit is, as the Code page numbers segments: a whole segment, or a span with its
    characters (offsets into the transcript's stored text)."""
    if hit.kind == "span":
        inside = f" in segment {hit.segment_id}" if hit.segment_id is not None else ""
        return f"span{inside}, characters {hit.start}–{hit.end}"
    return f"segment {hit.segment_id}"


render()
