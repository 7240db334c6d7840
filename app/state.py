"""Shared app state: the open study (st.cache_resource). Views never open the DB directly."""

from __future__ import annotations

import os

import streamlit as st

from qualcode.store import Study


@st.cache_resource(show_spinner=False)
def open_study(path: str) -> Study:
    return Study.open(path)


def study_path() -> str | None:
    return os.environ.get("QUALCODE_STUDY") or st.query_params.get("study")


def current_study() -> Study | None:
    path = study_path()
    if not path:
        st.error("No study is open. Start the app with `qualcode app STUDY`.")
        return None
    try:
        return open_study(path)
    except Exception as exc:  # shown next to nothing else: the app cannot work without a study
        st.error(f"Could not open the study: {exc}")
        return None
