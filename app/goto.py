"""Links from Retrieve, Search and Memos to a place: the keys the Code and Codebook pages read.

``st.session_state["goto"]`` = {transcript_id, segment_id, start, end} opens the Code page at
that transcript, the page of that segment, the span [start, end) marked;
``st.session_state["goto_code"]`` = code id opens that code on the Codebook page.
"""

from __future__ import annotations

import streamlit as st


def open_place(transcript_id: int, segment_id: int | None, start: int | None = None,
               end: int | None = None) -> None:
    st.session_state["goto"] = {"transcript_id": transcript_id, "segment_id": segment_id,
                                "start": start, "end": end}
    st.switch_page("views/code.py")


def open_code(code_id: str) -> None:
    st.session_state["goto_code"] = code_id
    st.switch_page("views/codebook.py")
