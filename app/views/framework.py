"""Framework matrix (Ritchie and Spencer; Gale et al. 2013): participants × codes, a
summary per cell written by a supervisor, machine drafts marked DRAFT until then, and the
references to the coded text under each cell. Anonymised like every report."""

from __future__ import annotations

import streamlit as st

from app.components.machine_counted import machine_threshold
from app.state import code_label, download, require_coder, saved, verbatim

EDITORS = ("supervisor", "admin")


def render() -> None:
    st.title("Framework matrix")
    ctx = require_coder()
    if ctx is None:
        return
    study, coder, role = ctx
    from qualcode.redact import Redactor
    from qualcode.reports.coding import SOURCES, short_words
    from qualcode.reports.data import attributes_of, collect

    redactor = Redactor.from_study(study)
    choices = [a for a in attributes_of(study.participants()) if a != "name"]
    c1, c2, c3 = st.columns(3)
    by = c1.selectbox("Group rows by", choices, key="fw-by")
    threshold = machine_threshold(c3, "fw-threshold")
    source = c2.selectbox("Coding counted", SOURCES, key="fw-source",
                          format_func=lambda s: f"{s}: {short_words(s, threshold)}")
    data = collect(study, source, threshold, by, redactor=redactor)
    matrix = data.matrix
    if matrix is None or not matrix.rows:
        st.info("No participant has coded segments yet (with this choice of coding).")
        return
    st.caption(f"Counted: {data.counted_short()}. {matrix.written()} cells summarised by a supervisor, "
               f"{matrix.drafts()} machine drafts (marked DRAFT: the participant's most representative sentence).")
    _table(data)
    _editor(study, data, coder, role, redactor)
    _downloads(study, coder, data)


def _table(data) -> None:  # noqa: ANN001
    import pandas as pd

    from qualcode.reports.framework import code_paths

    paths = code_paths(data.codebook)
    matrix = data.matrix
    frame = pd.DataFrame([{"participant": r.participant, matrix.by: r.group,
                           **{paths[c.id]: r.cells[c.id].display(short=True) for c, _ in matrix.columns}} for r in matrix.rows])
    st.dataframe(frame, hide_index=True)


def _editor(study, data, coder: str, role: str, redactor) -> None:  # noqa: ANN001
    from qualcode.errors import QualcodeError, StaleEditError

    matrix = data.matrix
    st.subheader("Read and summarise a cell")
    c1, c2 = st.columns(2)
    people = [r.participant for r in matrix.rows]
    pid = c1.selectbox("Participant", people, key="fw-participant",
                       format_func=lambda p: f"{p} ({next(r.group for r in matrix.rows if r.participant == p)})")
    code_id = c2.selectbox("Code", [c.id for c, _ in matrix.columns], key="fw-code",
                           format_func=lambda c: code_label(data.codebook, c))
    row = next(r for r in matrix.rows if r.participant == pid)
    cell = row.cells[code_id]
    if cell.status == "summary":
        st.markdown(f"**Summary** by {cell.author} (version {cell.version})")
        st.write(cell.text)
    elif cell.status == "draft":
        st.warning(cell.display(), icon=":material/smart_toy:")
    else:
        st.caption("This participant has no coded segment for this code.")
    segments = {s.id: s for s in study.segments(ids=[r.segment_id for r in cell.refs])} if cell.refs else {}
    with st.expander(f"Coded text ({len(cell.refs)} segment{'s' if len(cell.refs) != 1 else ''})",
                     expanded=bool(cell.refs)):
        for ref in cell.refs:
            seg = segments.get(ref.segment_id)
            if seg is not None:
                st.markdown(f"> {verbatim(redactor.text(' '.join(seg.text.split())))}  \n"
                            f"<span style='color:gray'>{verbatim(redactor.text(ref.words()))}"
                            "</span>", unsafe_allow_html=True)
    if role not in EDITORS:
        st.caption("Only supervisors write summaries; you can read the matrix and its coded text.")
        return
    opened = st.session_state.setdefault(f"fw-v-{pid}-{code_id}", cell.version)  # the version you opened
    text = st.text_area("Summary (your words; leave empty to go back to the machine draft)",
                        value=cell.text if cell.status == "summary" else "", key=f"fw-text-{pid}-{code_id}-{opened}")
    if st.button("Save summary", key="fw-save", type="primary"):
        try:
            version = study.set_framework_summary(pid, code_id, text, coder, expected_version=opened)
        except StaleEditError as exc:
            st.error(f"{exc}")
            return
        except QualcodeError as exc:
            st.error(str(exc))
            return
        st.session_state[f"fw-v-{pid}-{code_id}"] = version
        saved(f"Summary saved (version {version})")
        st.rerun()


def _downloads(study, coder: str, data) -> None:  # noqa: ANN001
    """Both files anonymised like the page; each click is in the audit log."""
    from qualcode.reports.framework import matrix_docx_bytes
    from qualcode.reports.paper_formats import xlsx_report

    c1, c2 = st.columns(2)
    download(study, coder, "framework xlsx", "Framework matrix (Excel)", lambda: xlsx_report(data),
             "framework_matrix.xlsx", key="fw-xlsx", where=c1,
             mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    download(study, coder, "framework docx", "Framework matrix (Word)", lambda: matrix_docx_bytes(data),
             "framework_matrix.docx", key="fw-docx", where=c2,
             mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")


render()
