"""Codebook: browse codes; edit, colour, add, merge and split them (each change is a new version).

Forms refuse bad input with a message next to the field (an empty name, a duplicate id,
a merge into itself); a refused form saves nothing. The forms are drawn from the version
the coder opened: if someone else saved a newer version meanwhile, a save is refused
with "changed by NAME at TIME since you opened it" and nothing is overwritten. After a
split, the segments coded with the old code are listed and offered as a re-coding queue.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import replace

import streamlit as st

from app.components.role_needed import needs_role
from app.state import chip, code_label, color_of, md_escape, require_coder, saved, verbatim
from qualcode.errors import QualcodeError, StaleEditError
from qualcode.records import Code
from qualcode.store.codebook_edits import EDITABLE, FieldError
from qualcode.wording import counted

OPENED = "cb_opened"  # session key: the codebook version this coder's forms were drawn from


def lines(text: str) -> list[str]:
    return [x.strip() for x in (text or "").splitlines() if x.strip()]


def field_error(form: str, field: str) -> None:
    err = st.session_state.get("cb_error")
    if err and err[0] == form and err[1] == field:
        st.error(md_escape(err[2]))


def stale_message(study, opened: int) -> str | None:  # noqa: ANN001
    """None if the codebook is still at ``opened``, else who changed it and when."""
    versions = study.codebook_versions()
    newer = [v for v in versions if v.version > opened]
    if not newer:
        return None
    last = newer[-1]
    return (f"codebook: changed by {last.created_by} at {last.created_at[:19].replace('T', ' ')} "
            f"since you opened it (version {opened}; now version {last.version}); nothing was saved")


def merged_message(study, codebook, source: str, into: str) -> str:  # noqa: ANN001
    """What a merge moved into what, and how many decisions it carried over (its audit row)."""
    entry = next((e for e in study.audit_log(limit=20) if e.action == "merge_codes" and e.after
                  and e.after.get("into") == into), None)
    carried = entry.after.get("decisions_carried", 0) if entry else 0
    return (f"Merged {codebook.get(source).name} ({source}) into {codebook.get(into).name} ({into}): "
            f"{counted(carried, 'coding')} carried over")


def submit(study, form: str, fn, *args, message, **kwargs) -> bool:  # noqa: ANN001
    """One codebook edit based on the opened version; True if it was saved."""
    st.session_state.pop("cb_error", None)
    opened = st.session_state[OPENED]
    try:
        if "expected_version" in inspect.signature(fn).parameters:
            fn(*args, expected_version=opened, **kwargs)
        else:  # until the reliability branch's check lands: check here, just before the write
            stale = stale_message(study, opened)
            if stale:
                raise StaleEditError(stale)
            fn(*args, **kwargs)
    except FieldError as exc:
        st.session_state["cb_error"] = (form, exc.field, str(exc))
        return False
    except QualcodeError as exc:
        st.session_state["cb_error"] = (form, "form", str(exc))
        return False
    st.session_state[OPENED] = study.codebook_version()
    saved(message() if callable(message) else message, later=True)
    return True


def set_color(study, code_id: str, color: str, coder: str) -> None:  # noqa: ANN001
    """A code's chip colour, as a new codebook version like any other edit."""
    if "color" in EDITABLE:
        study.edit_code(code_id, coder, f"colour of {code_id}", color=color)
        return
    current = study.codebook()
    codes = tuple(replace(c, color=color) if c.id == code_id else c for c in current.codes)
    study.set_codebook(replace(current, codes=codes), coder, f"colour of {code_id}: {color}")


def render() -> None:
    st.title("Codebook")
    ctx = require_coder()
    if ctx is None:
        return
    study, coder, _role = ctx
    current = study.codebook_version()
    if st.session_state.get("_entered") or OPENED not in st.session_state:
        st.session_state[OPENED] = current  # opening the page shows the newest version
    opened = st.session_state[OPENED]
    stale = stale_message(study, opened)
    if stale:
        st.warning(md_escape(stale.replace("; nothing was saved", "") + ": the forms below show the version you opened."))
        if st.button("Show the newest version", key="cb-refresh"):
            st.session_state[OPENED] = current
            st.session_state.pop("cb_error", None)
            st.rerun()
    codebook = study.codebook(opened)
    st.caption(md_escape(f"{codebook.name} · version {codebook.version} · {len(codebook)} codes"))
    goto = st.session_state.get("goto_code")  # a link from the Memos page: show that code
    if goto in codebook.ids():
        st.session_state["cb_query"] = codebook.get(goto).name
    query = st.text_input("Search codes", placeholder="a word from a name, definition or example", key="cb_query")

    def hit(c: Code) -> bool:
        q = query.strip().lower()
        return not q or q in " ".join([c.id, c.name, c.definition, *c.include, *c.exclude, *c.examples]).lower()

    def show(c: Code, depth: int) -> None:
        kids = codebook.children(c.id)
        if hit(c) or any(hit(k) for k in kids):
            with st.expander(("　" * depth) + md_escape(f"{c.name}  ({c.id})"), expanded=bool(query)):
                st.markdown(chip(c.name, color_of(codebook, c.id)) + "<br>" + verbatim(c.definition),
                            unsafe_allow_html=True)
                for label, items in (("Include", c.include), ("Exclude", c.exclude), ("Examples", c.examples)):
                    if items:
                        st.markdown(f"<i>{label}:</i><ul>" + "".join(f"<li>{verbatim(x)}</li>" for x in items)
                                    + "</ul>", unsafe_allow_html=True)
        for k in kids:
            show(k, depth + 1)

    if not study.may("add_code"):  # forms that would only fail: say who may use them instead
        st.info(md_escape(needs_role("admin", coder, _role, "edit, add, merge or split codes")))
        browse, history = st.tabs(["Browse", "Versions"])
        with browse:
            for root in codebook.roots():
                show(root, 0)
        with history:
            versions_table(study)
        return
    browse, edit, add, merge, split, history = st.tabs(["Browse", "Edit", "Add", "Merge", "Split", "Versions"])
    with browse:
        for root in codebook.roots():
            show(root, 0)
    label = lambda c: code_label(codebook, c)  # noqa: E731
    with edit:
        ids = codebook.ids()
        if st.session_state.get("goto_code") in ids:
            st.session_state["edit_code"] = st.session_state.pop("goto_code")
        target = st.selectbox("Code to edit", ids, format_func=label, key="edit_code")
        code = codebook.get(target)
        with st.form(f"color-{target}-{codebook.version}"):
            color = st.color_picker("Colour of its chips", color_of(codebook, target))
            if st.form_submit_button("Save colour"):
                submit(study, "color", set_color, study, target, color, coder, message="Colour saved")
                st.rerun()  # draw the result: a message next to its field, or the new version
            field_error("color", "form")
        with st.form(f"edit-{target}-{codebook.version}"):
            name = st.text_input("Name", code.name)
            field_error("edit", "name")
            definition = st.text_area("Definition", code.definition)
            field_error("edit", "definition")
            include = st.text_area("Include (one rule a line)", "\n".join(code.include))
            exclude = st.text_area("Exclude (one rule a line)", "\n".join(code.exclude))
            examples = st.text_area("Examples (one quote a line)", "\n".join(code.examples))
            parents = [None] + [c for c in ids if c != target]
            parent = st.selectbox("Parent", parents, index=parents.index(code.parent),
                                  format_func=lambda c: "(none: a theme)" if c is None else label(c))
            field_error("edit", "parent")
            note = st.text_input("Why (kept in the audit log)")
            if st.form_submit_button("Save as a new version", type="primary"):
                submit(study, "edit", study.edit_code, target, coder, note, message="Code saved", name=name,
                          definition=definition, include=lines(include), exclude=lines(exclude),
                          examples=lines(examples), parent=parent)
                st.rerun()  # draw the result: a message next to its field, or the new version
            field_error("edit", "form")
    with add:
        if st.session_state.pop("cb_add_clear", False):  # the code was added: an empty form for the next
            for key in ("cb_add_id", "cb_add_name", "cb_add_def"):
                st.session_state[key] = ""
        with st.form("add"):
            new_name = st.text_input("Name", key="cb_add_name")
            field_error("add", "name")
            new_id = st.text_input("Id (letters, digits, _ - .; left empty: made from the name)", key="cb_add_id")
            field_error("add", "id")
            new_parent = st.selectbox("Parent", [None] + codebook.ids(),
                                      format_func=lambda c: "(none: a new theme)" if c is None else label(c))
            field_error("add", "parent")
            new_def = st.text_area("Definition", key="cb_add_def")
            field_error("add", "definition")
            if st.form_submit_button("Add code", type="primary"):
                code_id = new_id.strip() or id_from(new_name)
                if submit(study, "add", study.add_code, Code(code_id, new_name, new_def, parent=new_parent),
                          coder, message=f"Code added: {new_name.strip() or code_id} ({code_id})"):
                    st.session_state["cb_add_clear"] = True  # kept on a refusal: nothing typed is lost
                st.rerun()  # draw the result: a message next to its field, or the new version
            field_error("add", "form")
    with merge:
        with st.form("merge"):
            source = st.selectbox("Merge this code…", codebook.ids(), format_func=label)
            into = st.selectbox("…into this code", codebook.ids(), format_func=label)
            field_error("merge", "target")
            st.caption("Coders' and final decisions on the first code are carried over to the second; "
                       "the first leaves the codebook at once; the audit log keeps everything.")
            if st.form_submit_button("Merge", type="primary"):
                submit(study, "merge", study.merge_codes, source, into, coder,
                       message=lambda: merged_message(study, codebook, source, into))
                st.rerun()  # draw the result: a message next to its field, or the new version
            field_error("merge", "form")
    with split:
        split_tab(study, codebook, coder, label)
    with history:
        versions_table(study)


def id_from(name: str) -> str:
    """A code id made from its name, for a coder who leaves the id empty: lower case, every run of
    other characters as one ``_`` ("Access & waiting" → ``access_waiting``); "" from no name."""
    return re.sub(r"[^a-z0-9_.-]+", "_", name.strip().lower()).strip("_.-")


def versions_table(study) -> None:  # noqa: ANN001
    st.dataframe([{"version": v.version, "codebook": v.name, "why": v.note, "by": v.created_by,
                   "when": v.created_at[:16].replace("T", " ")} for v in study.codebook_versions()], hide_index=True)


def split_tab(study, codebook, coder: str, label) -> None:  # noqa: ANN001
    with st.form("split"):
        source = st.selectbox("Split this code", codebook.ids(), format_func=label)
        field_error("split", "id")
        parts = st.text_area("…into new codes, one a line: `id: Name`",
                             placeholder="phones: Phone lines\nslots: Appointment slots")
        field_error("split", "into")
        if st.form_submit_button("Split", type="primary"):
            new = []
            for line in lines(parts):
                new_id, _, name = line.partition(":")
                new.append(Code(new_id.strip(), name.strip() or new_id.strip(), ""))
            old_name = label(source)
            if submit(study, "split", study.split_code, source, new, coder, message="Code split: re-code its segments"):
                st.session_state["split_queue"] = (source, old_name, study.segments_to_recode(source))
            st.rerun()
        field_error("split", "form")
    queued = st.session_state.get("split_queue")
    if queued:
        old, old_name, ids = queued
        st.subheader(f"Segments to re-code after splitting {md_escape(old_name)}")
        st.caption(f"{counted(len(ids), 'segment')} a coder or the final coding gave the old code; choose the new code for each.")
        segs = study.segments(ids=ids)
        st.dataframe([{"segment": s.id, "transcript": s.transcript, "speaker": s.speaker, "text": s.text}
                      for s in segs], hide_index=True)
        if ids and st.button("Re-code them now (a queue on the Code page)", key="split-queue", type="primary"):
            st.session_state["next_ids"] = ids
            st.session_state["next_why"] = {i: f"was coded {old_name} before the split" for i in ids}
            st.session_state["code_tab_hint"] = True
            st.switch_page("views/code.py")


render()
