"""Who is at this browser tab: the log-in gate of the app.

``login_gate(study)`` returns ``(name, role)`` or None (then it has drawn what the
person must do first: log in, or on the Start page choose a name).

- A study **with accounts** (``qualcode user add``): a log-in form (name and password,
  checked by ``Study.check_login``, which slows and audits failures). A log-in lasts a
  working day (``SESSION_HOURS``) across reloads: ``Study.start_session`` makes a random
  token (``secrets.token_urlsafe``), the study keeps only its SHA-256 with the expiry, and
  the token stays in the page address (``?session=``) and the tab's session state,
  Streamlit's own means of keeping state across reloads and pages. ``?coder=`` is ignored: nobody becomes someone by typing a name.
  The role always comes from the account.
- A study **without accounts** on this computer: single-user, as before. The person at
  the keyboard chooses a name once on Start (kept as ``?coder=``); their role is the one
  stored for that name (``coder`` unless the owner gave another with ``qualcode user role``),
  never chosen on the page.

Why not a cookie library: Streamlit can read cookies (``st.context.cookies``) but not
set them; the PyPI components that set them (extra-streamlit-components,
streamlit-cookies-controller, streamlit-authenticator on top of them) are custom
front-end components with their own user files and signing keys, while the accounts
here live in the study database. A server-side random token needs no cryptography of
our own: it is a lookup, expired and revoked in the database (a new password or a
removed account ends every session at once).
"""

from __future__ import annotations

import ipaddress

import streamlit as st

from qualcode.errors import QualcodeError

SESSION_PARAM = "session"
SESSION_KEY = "qualcode-session"
NAME_KEY = "qualcode-name"
NAME_PARAM = "coder"


def _remote_is_local() -> bool:
    """True unless Streamlit reports a client address that is not this computer."""
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001 - older Streamlit, or not in a browser session
        return True
    if not isinstance(address, str) or not address:  # None: Streamlit saw 127.0.0.1 or ::1
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


def login_gate(study, ask_name: bool = False) -> tuple[str, str] | None:  # noqa: ANN001 - a Study
    """(name, role) of the person using this tab, or None after drawing the log-in form
    (accounts), or, with ``ask_name``, the name form (single-user)."""
    if study.has_accounts():
        return _logged_in(study)
    if not _remote_is_local():
        st.error("This study has no accounts, so it can only be used on the computer it is on. "
                 "The owner adds accounts with `qualcode user add` to share it.")
        return None
    return _single_user(study, ask_name)


def _logged_in(study) -> tuple[str, str] | None:  # noqa: ANN001
    # Moving to another page clears the address's parameters, so the token is also kept in
    # this tab's session state and put back into the address (where a reload finds it).
    token = st.query_params.get(SESSION_PARAM) or st.session_state.get(SESSION_KEY)
    who = study.session_user(token) if token else None
    if who is not None:
        st.session_state[SESSION_KEY] = token
        if st.query_params.get(SESSION_PARAM) != token:
            st.query_params[SESSION_PARAM] = token
        return who
    st.session_state.pop(SESSION_KEY, None)
    if NAME_PARAM in st.query_params:
        del st.query_params[NAME_PARAM]
    if token:
        if SESSION_PARAM in st.query_params:
            del st.query_params[SESSION_PARAM]
        st.warning("Your log-in has ended (a working day has passed, you logged out, or your password "
                   "was changed). Please log in again.")
    with st.form("login"):
        st.subheader("Log in")
        name = st.text_input("Name", key="login-name")
        password = st.text_input("Password", type="password", key="login-password")
        go = st.form_submit_button("Log in", type="primary")
    if go:
        try:
            name, _role = study.check_login(name, password)
            token = study.start_session(name)
        except QualcodeError as exc:
            st.error(str(exc))
        else:
            st.query_params[SESSION_PARAM] = token
            st.session_state[SESSION_KEY] = token
            st.rerun()
    return None


def logout(study) -> None:  # noqa: ANN001
    token = st.query_params.get(SESSION_PARAM) or st.session_state.get(SESSION_KEY)
    if token:
        study.end_session(token)
    st.session_state.pop(SESSION_KEY, None)
    if SESSION_PARAM in st.query_params:
        del st.query_params[SESSION_PARAM]
    st.rerun()


def _single_user(study, ask_name: bool) -> tuple[str, str] | None:  # noqa: ANN001
    name = (st.query_params.get(NAME_PARAM) or st.session_state.get(NAME_KEY) or "").strip()
    if name:
        st.session_state[NAME_KEY] = name
        if st.query_params.get(NAME_PARAM) != name:
            st.query_params[NAME_PARAM] = name
        return name, study.role_of(name)
    if not ask_name:
        return None
    with st.form("who"):
        st.subheader("Who are you?")
        known = [n for n, _ in study.coders()]
        pick = st.selectbox("Your name", ["(new coder)"] + known)
        new = st.text_input("…or a new name", placeholder="e.g. alice")
        st.caption("Roles are given by the study's owner (`qualcode user role`), not chosen here.")
        go = st.form_submit_button("Start coding", type="primary")
    if go:
        chosen = new.strip() if new.strip() else ("" if pick == "(new coder)" else pick)
        if not chosen:
            st.error("Name: type your name, or choose it from the list.")
            return None
        try:
            study.ensure_coder(chosen)
        except QualcodeError as exc:
            st.error(f"Name: {exc}")
            return None
        st.query_params[NAME_PARAM] = chosen
        st.rerun()
    return None
