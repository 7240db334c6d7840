"""Search: words or phrases across all transcripts, hits in context, and *code all hits*.

A phrase matches across line breaks; case-insensitive unless asked. *Code all hits* makes a
span coding of every hit in participants' turns (interviewer turns and procedural lines are
left), in one transaction with one audit row, and *Undo* takes it back as one action.
The page of hits is one custom component (app/components/hit_list): drawn in the browser,
every text as typed; its *Open* goes to the hit's place on the Code page.
"""

from __future__ import annotations

import streamlit as st

from app.components.hit_list import OPEN, hit_list
from app.goto import open_place
from app.state import cached, code_label, md_escape, require_coder, saved, show_saved
from qualcode.errors import QualcodeError

PAGE_SIZE = 25  # hits drawn (as the Code page draws 25 segments); the study counts them all and builds only these


def code_all(study, me: str, query: tuple, code_id: str) -> None:  # noqa: ANN001
    try:
        n = study.code_all_hits(query[0], code_id, me, case_sensitive=query[1], whole_words=query[2])
    except QualcodeError as exc:
        st.session_state["search_error"] = str(exc)
        return
    saved(f"Coded {n} hits" if n else "Nothing new to code: every hit already has this code from you",
          later=True)


def undo(study, me: str) -> None:  # noqa: ANN001
    try:
        saved(study.undo_last(me), later=True)
    except QualcodeError as exc:
        st.session_state["search_error"] = str(exc)


def render() -> None:
    st.title("Search")
    ctx = require_coder()
    if ctx is None:
        return
    study, me, _role = ctx
    section(study, me)


@st.fragment
def section(study, me: str) -> None:  # noqa: ANN001
    """The form, the counts, *Code all hits* and the page of hits: a search, a page change,
    *Code all hits*, *Undo* and *Open* rerun this fragment only (not the app's navigation,
    log-in and sidebar); *Open* then switches to the Code page."""
    show_saved()
    if place := st.session_state.pop(OPEN, None):  # Open was clicked on a hit (app/components/hit_list)
        open_place(*place)
    query = search_form()
    if error := st.session_state.pop("search_error", None):
        st.error(md_escape(error))
    if not query:
        st.caption("Type a word or phrase and press Search.")
        return
    pages_before = st.session_state.get("s_page", 1)
    try:
        found = study.search_page(query[0], case_sensitive=query[1], whole_words=query[2],
                                  offset=(max(1, pages_before) - 1) * PAGE_SIZE, size=PAGE_SIZE)
    except QualcodeError as exc:
        st.error(md_escape(str(exc)))
        return
    st.caption(md_escape(f"{found.total} hits in {found.transcripts} transcripts; {found.total - found.codeable} "
                         "only in interviewer turns or procedural lines (left out of Code all hits)"))
    if not found.total:
        st.info("No transcript contains this.")
        return
    code_all_bar(study, me, query, found.codeable)
    first = page_of(found, PAGE_SIZE)
    if first is None:  # the page asked for is past the end (fewer hits than before): back to page 1
        st.rerun()
    hit_list(found.hits, first)  # one component: app/components/hit_list


def search_form() -> tuple | None:
    """The words, *Match case*, *Whole words*; the query last submitted (text, case, whole)."""
    with st.form("search"):
        c1, c2, c3 = st.columns([4, 1, 1])
        text = c1.text_input("Words or phrase", key="s_text", max_chars=200)
        case = c2.checkbox("Match case", key="s_case")
        whole = c3.checkbox("Whole words", key="s_whole")
        if st.form_submit_button("Search", type="primary"):
            st.session_state["s_query"] = (text, case, whole)
            st.session_state["s_page"] = 1
    return st.session_state.get("s_query")


def code_all_bar(study, me: str, query: tuple, codeable: int) -> None:  # noqa: ANN001
    codebook = cached(study, "codebook")  # kept until the study changes: not read per search
    codable = [c.id for c in codebook if c.is_codable]
    with st.container(border=True):
        k1, k2, k3 = st.columns([3, 1.4, 1])
        code_id = k1.selectbox("Code all hits with", codable, key="s_code", index=None,
                               placeholder="Choose the code first",
                               format_func=lambda c: code_label(codebook, c))
        k2.button(f"Code all {codeable} hits", key="s_code_all", type="primary", disabled=code_id is None,
                  on_click=code_all, args=(study, me, query, code_id),
                  help="Codes exactly the words found (one span coding per hit, as you), in participants' "
                       "turns only; one action in the audit log, which Undo takes back"
                  if code_id is not None else "Choose the code to apply first: nothing is chosen for you")
        k3.button("Undo", key="s_undo", on_click=undo, args=(study, me), help="Undo your last action")


def page_of(found, size: int) -> int | None:  # noqa: ANN001
    """The *Page* number input (drawn only when there is more than one page) for the hits
    counted in ``found``; the index of the first shown hit, or None when the page number
    kept from before is past the last page (it is reset to 1)."""
    pages = max(1, -(-found.total // size))
    if st.session_state.get("s_page", 1) > pages:
        st.session_state["s_page"] = 1
        return None
    if pages > 1:
        st.number_input("Page", 1, pages, key="s_page")
    return found.offset


render()
