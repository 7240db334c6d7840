"""Shared app state: the open study and the embedder (st.cache_resource), who is coding,
and the few helpers every page uses to show stored text exactly as it was typed.

Views never open the database directly: everything goes through the Study API, as the
logged-in person may use it (``Study.for_user``). Who you are is decided in ONE place,
:func:`current_user`, which asks app/auth.py ``login_gate``: an account's log-in (a
day-long session token), or without accounts the name chosen once on Start. Either is
kept in ``st.session_state`` (so clicking the sidebar keeps it) and written back to the
address on every page run (so a reload keeps it, and two browsers can work as two people).
"""

from __future__ import annotations

import html
import os
import re

import streamlit as st

from qualcode.errors import QualcodeError
from qualcode.records import Codebook
from qualcode.store import Study

# Characters Markdown, LaTeX or Streamlit's emoji shortcodes would interpret: written as
# HTML character references they are shown, never obeyed (``*sigh*`` stays ``*sigh*``).
_MARKUP = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!~|$=^"}
_MARKUP[":"] = "<span>&#58;</span>"  # split the text node: no ``:emoji:`` or ``:red[...]`` survives
_PUNCT = re.compile(r"[!-/:-@\[-`{-~]")
DEFAULT_COLOR = "#8a94a6"  # a code without its own colour


@st.cache_resource(show_spinner=False)
def open_study(path: str) -> Study:
    return Study.open(path)


@st.cache_resource(show_spinner="Loading the embedding model…")
def embedder(model: str | None = None):  # noqa: ANN201
    from qualcode.cli.study_commands import make_study_embedder

    return RememberedEmbedder(make_study_embedder(model))


class RememberedEmbedder:
    """The study's embedder with each text's vector kept in memory for the app's lifetime.

    *Review next* ranks every codeable segment on each click; reading 50,000 vectors back
    from the disk cache took seconds, a dictionary look-up takes milliseconds. Vectors are
    keyed by the text itself, so an edited or new segment is embedded (and cached) anew."""

    def __init__(self, inner) -> None:  # noqa: ANN001
        self.inner = inner
        self.model_id = getattr(inner, "model_id", "")
        self._vectors: dict[str, object] = {}

    def __getattr__(self, name: str):  # noqa: ANN204 - anything else the embedder offers
        return getattr(self.inner, name)

    def encode(self, texts, progress=None):  # noqa: ANN001, ANN201
        import numpy as np

        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            for text, vector in zip(missing, self.inner.encode(missing, progress), strict=True):
                self._vectors[text] = vector
        elif progress:
            progress(len(texts), len(texts))
        if not texts:
            return self.inner.encode([])
        return np.stack([self._vectors[t] for t in texts])


def cached(study, method: str):  # noqa: ANN001, ANN201
    """``study.<method>()`` (a read that takes no arguments and no blind rule: transcripts,
    participants, codebook), from a cache kept until the study next changes.

    Every change appends to the audit log, so its newest id (``change_counter``, asked
    through ``study`` and so under its role check) is the cache key: a page never shows a
    read older than the last change, and a click that changed nothing reads nothing again."""
    return _cached_read(str(study.folder), method, study.change_counter())


@st.cache_data(show_spinner=False, max_entries=32)
def _cached_read(path: str, method: str, counter: int):  # noqa: ANN202 - records of that read
    if method not in ("transcripts", "participants", "codebook"):
        raise ValueError(f"cached: expected a read without a blind rule, got {method!r}")
    return getattr(open_study(path), method)()


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
        st.error(f"Could not open the study: {md_escape(str(exc))}")
        return None


def set_user(name: str) -> None:
    """Remember who is using this tab without accounts (the Start page's *Start coding*)."""
    from app.auth import NAME_KEY, NAME_PARAM

    st.session_state[NAME_KEY] = name
    st.query_params[NAME_PARAM] = name


def current_user(ask_name: bool = False) -> tuple[str, str] | None:
    """(name, role) of the person using this browser tab, or None; the one place identity
    is decided (see app/auth.py)."""
    from app.auth import login_gate

    study = current_study()
    return login_gate(study, ask_name) if study is not None else None


current_coder = current_user  # the name pages used before


def require_coder():  # noqa: ANN201 - (UserStudy, name, role) | None
    """The study as the logged-in person may use it (roles, blind rule), their name and role."""
    show_saved()
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


def verbatim(text: str) -> str:
    """``text`` as Markdown/HTML that shows exactly these characters (escaped, never interpreted)."""
    return "".join(_MARKUP.get(c) or html.escape(c, quote=True) for c in text or "").replace("\n", "<br>")


def md_escape(text: str) -> str:
    """``text`` for a Markdown-only place (st.error, st.caption): every ASCII punctuation mark
    backslash-escaped, so it is shown, never obeyed; newlines kept as line breaks."""
    return _PUNCT.sub(r"\\\g<0>", text or "").replace("\n", "  \n")


def paged(items: list, key: str, size: int = 50) -> tuple[list, int]:
    """The page of ``items`` that the *Page* number input ``key`` shows (drawn only when there is
    more than one page), and the index of its first item (for widget keys that stay unique)."""
    pages = max(1, -(-len(items) // size))
    if st.session_state.get(key, 1) > pages:  # fewer items than the page last shown
        st.session_state[key] = 1
    page = st.number_input("Page", 1, pages, key=key) if pages > 1 else 1
    first = (page - 1) * size
    return items[first:first + size], first


PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f")


def color_of(codebook: Codebook, code_id: str) -> str:
    """The code's own colour (Codebook page), else its theme's place in a fixed palette."""
    try:
        color = codebook.get(code_id).color
        theme = codebook.theme_of(code_id).id
    except KeyError:
        return DEFAULT_COLOR
    if _is_hex(color):
        return color
    roots = [c.id for c in codebook.roots()]
    return PALETTE[roots.index(theme) % len(PALETTE)] if theme in roots else DEFAULT_COLOR


def _is_hex(color: str) -> bool:
    return len(color or "") == 7 and color[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in color[1:])


def chip(label: str, color: str, extra: str = "") -> str:
    """One code chip (escaped label, a colour checked to be #RRGGBB)."""
    color = color if _is_hex(color) else DEFAULT_COLOR
    tail = f" <span style='opacity:.75'>{verbatim(extra)}</span>" if extra else ""
    return (f"<span style='display:inline-block;border-left:6px solid {color};background:{color}22;"
            f"border-radius:4px;padding:0 6px;margin:1px 4px 1px 0;font-size:0.85em'>{verbatim(label)}{tail}</span>")


def show_chips(items: list[tuple[str, str, str]]) -> None:
    """A row of chips: (label, colour, extra) each; every label escaped by :func:`chip`."""
    if items:
        st.markdown(" ".join(chip(*x) for x in items), unsafe_allow_html=True)


def download(study, coder: str, what: str, label: str, data, filename: str, *, key: str,  # noqa: ANN001, PLR0913
             where=st, **options) -> None:  # noqa: ANN003
    """A download button whose click is recorded in the audit log: who, what, which file, when
    (``record_export``). Files from the app are always anonymised, hence ``identifiable=False``;
    ``data`` may be a callable so that large files are made only when clicked."""
    where.download_button(label, data, filename, key=key, on_click=study.record_export,
                          args=(coder, f"app {what}", filename, False), **options)


def saved(message: str, later: bool = False) -> None:
    """Say a change was saved. ``later``: keep it for the next draw (:func:`show_saved`), for a
    callback (a fragment's callback must not draw) or before ``st.rerun()``."""
    if later:
        st.session_state.setdefault("_saved", []).append(message)
    else:
        st.toast(message, icon=":material/check_circle:")


def show_saved() -> None:
    for message in st.session_state.pop("_saved", []):
        st.toast(message, icon=":material/check_circle:")


def excerpt(text: str, chars: int = 80) -> str:
    """The start of ``text`` on one line, cut between words with "…" where it is cut."""
    flat = " ".join(text.split())
    if len(flat) <= chars:
        return flat
    cut = flat.rfind(" ", 0, chars + 1)
    return flat[:cut if cut > chars // 2 else chars].rstrip() + "…"
