"""Shared app state: the open study and the embedder (st.cache_resource), who is coding.

Views never open the database directly: everything goes through the Study API, as the
logged-in person may use it (``Study.for_user``). Who that is comes from app/auth.py:
an account's log-in, or without accounts the name chosen once on Start (``?coder=NAME``).
"""

from __future__ import annotations

import os

import streamlit as st

from qualcode.errors import QualcodeError
from qualcode.records import Codebook
from qualcode.store import Study


@st.cache_resource(show_spinner=False)
def open_study(path: str) -> Study:
    return Study.open(path)


@st.cache_resource(show_spinner="Loading the embedding model…")
def embedder(model: str | None = None):  # noqa: ANN201
    from qualcode.cli.study_commands import make_study_embedder

    return make_study_embedder(model)


def study_path() -> str | None:
    return os.environ.get("QUALCODE_STUDY") or st.query_params.get("study")


def current_study() -> Study | None:
    path = study_path()
    if not path:
        st.error("No study is open. Start the app with `qualcode app STUDY`.")
        return None
    try:
        return open_study(path)
    except QualcodeError as exc:
        st.error(f"Could not open the study: {exc}")
        return None


def current_user(ask_name: bool = False) -> tuple[str, str] | None:
    """(name, role) of the person using this browser tab, or None (see app/auth.py)."""
    from app.auth import login_gate

    study = current_study()
    return login_gate(study, ask_name) if study is not None else None


current_coder = current_user


def require_coder():  # noqa: ANN201 - (UserStudy, name, role) | None
    """The study as the logged-in person may use it (roles, blind rule), their name and role."""
    study = current_study()
    if study is None:
        return None
    who = current_user()
    if who is None:
        if not study.has_accounts():
            st.info("Choose who you are on the **Start** page first.")
            st.page_link("views/start.py", label="Go to Start", icon=":material/person:")
        return None
    return study.for_user(who[0]), who[0], who[1]


def code_label(codebook: Codebook, code_id: str) -> str:
    """``Theme › Code`` for a code, as coders see it in lists."""
    try:
        code = codebook.get(code_id)
    except KeyError:
        return code_id
    if code.parent is None:
        return code.name
    return f"{codebook.theme_of(code_id).name} › {code.name}"


def saved(message: str) -> None:
    st.toast(message, icon=":material/check_circle:")
