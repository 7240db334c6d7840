"""Codebook: browse codes; edit, add, merge and split them (each change is a new version).

Forms refuse bad input with a message next to the field (an empty name, a duplicate id,
a merge into itself); a refused form saves nothing.
"""

from __future__ import annotations

import streamlit as st

from app.state import code_label, require_coder, saved
from qualcode.errors import QualcodeError
from qualcode.records import Code
from qualcode.store.codebook_edits import FieldError


def lines(text: str) -> list[str]:
    return [x.strip() for x in (text or "").splitlines() if x.strip()]


def field_error(form: str, field: str) -> None:
    err = st.session_state.get("cb_error")
    if err and err[0] == form and err[1] == field:
        st.error(err[2])


def submit(form: str, fn, *args, message: str, **kwargs) -> None:  # noqa: ANN001
    st.session_state.pop("cb_error", None)
    try:
        fn(*args, **kwargs)
    except FieldError as exc:
        st.session_state["cb_error"] = (form, exc.field, str(exc))
    except QualcodeError as exc:
        st.session_state["cb_error"] = (form, "form", str(exc))
    else:
        saved(message)


def render() -> None:
    st.title("Codebook")
    ctx = require_coder()
    if ctx is None:
        return
    study, coder, _role = ctx
    codebook = study.codebook()
    st.caption(f"{codebook.name} · version {codebook.version} · {len(codebook)} codes")
    query = st.text_input("Search codes", placeholder="a word from a name, definition or example")

    def hit(c: Code) -> bool:
        q = query.strip().lower()
        return not q or q in " ".join([c.id, c.name, c.definition, *c.include, *c.exclude, *c.examples]).lower()

    def show(c: Code, depth: int) -> None:
        kids = codebook.children(c.id)
        if hit(c) or any(hit(k) for k in kids):
            with st.expander(("　" * depth) + f"**{c.name}**  `{c.id}`", expanded=bool(query)):
                st.markdown(c.definition)
                for label, items in (("Include", c.include), ("Exclude", c.exclude), ("Examples", c.examples)):
                    if items:
                        st.markdown(f"*{label}:*\n" + "\n".join(f"- {x}" for x in items))
        for k in kids:
            show(k, depth + 1)

    browse, edit, add, merge, split, history = st.tabs(["Browse", "Edit", "Add", "Merge", "Split", "Versions"])
    with browse:
        for root in codebook.roots():
            show(root, 0)
    label = lambda c: code_label(codebook, c)  # noqa: E731
    with edit:
        target = st.selectbox("Code to edit", codebook.ids(), format_func=label, key="edit_code")
        code = codebook.get(target)
        with st.form(f"edit-{target}-{codebook.version}"):
            name = st.text_input("Name", code.name)
            field_error("edit", "name")
            definition = st.text_area("Definition", code.definition)
            field_error("edit", "definition")
            include = st.text_area("Include (one rule a line)", "\n".join(code.include))
            exclude = st.text_area("Exclude (one rule a line)", "\n".join(code.exclude))
            examples = st.text_area("Examples (one quote a line)", "\n".join(code.examples))
            parents = [None] + [c for c in codebook.ids() if c != target]
            parent = st.selectbox("Parent", parents, index=parents.index(code.parent),
                                  format_func=lambda c: "(none: a theme)" if c is None else label(c))
            field_error("edit", "parent")
            note = st.text_input("Why (kept in the audit log)")
            if st.form_submit_button("Save as a new version", type="primary"):
                submit("edit", study.edit_code, target, coder, note, message="Code saved", name=name,
                       definition=definition, include=lines(include), exclude=lines(exclude),
                       examples=lines(examples), parent=parent)
                st.rerun()
            field_error("edit", "form")
    with add:
        with st.form("add"):
            new_id = st.text_input("Id (letters, digits, _ - .)")
            field_error("add", "id")
            new_name = st.text_input("Name")
            field_error("add", "name")
            new_parent = st.selectbox("Parent", [None] + codebook.ids(),
                                      format_func=lambda c: "(none: a new theme)" if c is None else label(c))
            field_error("add", "parent")
            new_def = st.text_area("Definition")
            field_error("add", "definition")
            if st.form_submit_button("Add code", type="primary"):
                submit("add", study.add_code, Code(new_id.strip(), new_name, new_def, parent=new_parent), coder,
                       message="Code added")
                st.rerun()
            field_error("add", "form")
    with merge:
        with st.form("merge"):
            source = st.selectbox("Merge this code…", codebook.ids(), format_func=label)
            into = st.selectbox("…into this code", codebook.ids(), format_func=label)
            field_error("merge", "target")
            st.caption("Coders' and final decisions on the first code are carried over to the second; "
                       "the first leaves the codebook; the audit log keeps everything.")
            if st.form_submit_button("Merge", type="primary"):
                submit("merge", study.merge_codes, source, into, coder, message="Codes merged")
                st.rerun()
            field_error("merge", "form")
    with split:
        with st.form("split"):
            source = st.selectbox("Split this code", codebook.ids(), format_func=label)
            field_error("split", "id")
            parts = st.text_area("…into new codes, one a line: `id: Name`", placeholder="phones: Phone lines\nslots: Appointment slots")
            field_error("split", "into")
            if st.form_submit_button("Split", type="primary"):
                new = []
                for line in lines(parts):
                    new_id, _, name = line.partition(":")
                    new.append(Code(new_id.strip(), name.strip() or new_id.strip(), ""))
                submit("split", study.split_code, source, new, coder, message="Code split: re-code its segments")
                st.rerun()
    with history:
        st.dataframe(study.codebook_versions(), hide_index=True)


render()
