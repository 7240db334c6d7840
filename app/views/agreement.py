"""Agreement (supervisors): double-coding samples, statistics with confidence intervals,
disagreements side by side, and adjudication to the final coding with a rationale."""

from __future__ import annotations

import streamlit as st

from app.state import code_label, download, md_escape, require_coder, saved
from qualcode.errors import QualcodeError


def render() -> None:
    st.title("Agreement")
    ctx = require_coder()
    if ctx is None:
        return
    study, me, role = ctx
    if not study.may("disagreements"):
        st.info("This page is for supervisors: a supervisor or admin role is given by the study's owner "
                "or an admin (`qualcode user role`).")
        return
    codebook = study.codebook()
    coders = [name for name, r in study.coders() if r != "system"]
    sample, stats, disagree = st.tabs(["Double-coding sample", "Statistics", "Disagreements"])
    with sample:
        with st.form("assign"):
            who = st.multiselect("Coders", coders)
            fraction = st.slider("Share of transcripts", 0.05, 1.0, 0.2, 0.05)
            stratify = st.selectbox("Stratify by", [None, "group", "site", "role"],
                                    format_func=lambda x: "(no strata)" if x is None else x)
            if st.form_submit_button("Assign", type="primary"):
                if len(who) < 2:
                    st.error("Coders: choose at least two.")
                else:
                    try:
                        names = study.assign(who, fraction, stratify, actor=me)
                    except QualcodeError as exc:
                        st.error(md_escape(str(exc)))
                    else:
                        saved(f"Assigned {len(names)} transcript(s)")
        assigned = study.assignments()
        if assigned:
            names = {t.id: t.name for t in study.transcripts()}
            done = study.done_by_all()  # one query for the whole table
            st.dataframe([{"transcript": names.get(tid, tid), "coders": ", ".join(c),
                           "done by": ", ".join(done.get(tid, []))} for tid, c in assigned.items()], hide_index=True)
    with stats:
        chosen = st.multiselect("Coders to compare", coders, default=[c for c in coders if study.coded_transcripts(c)])
        with_machine = st.checkbox("Also compare each coder with the machine suggestions", key="with_machine",
                                   help="Adds rows named machine|coder: a suggestion of confidence 0.5 or more "
                                   "counts as the machine applying the code.")
        st.caption("Agreement between the chosen coders' own decisions (human coding, spans counted for the "
                   "segments they overlap where the study does so); "
                   + ("the rows named machine|coder compare a coder with the machine suggestions."
                      if with_machine else "machine suggestions are not counted."))
        threshold = st.number_input("Flag alpha below", 0.0, 1.0, 0.667, 0.001, format="%.3f")
        if st.button("Compute agreement", type="primary", key="compute"):
            from qualcode.reports.agreement_report import agreement_rows

            with st.spinner("Bootstrapping confidence intervals…"):
                st.session_state["agreement_rows"] = agreement_rows(study, chosen or None, threshold=threshold,
                                                                    n_boot=200, machine=with_machine)
        rows = st.session_state.get("agreement_rows")
        if rows:
            table = [dict(r, code=code_label(codebook, r["code"])) for r in rows]
            st.dataframe(table, hide_index=True, column_order=["code", "coders", "units", "prevalence", "percent",
                                                               "kappa", "alpha", "alpha_ci_low", "alpha_ci_high",
                                                               "ac1", "flag", "codebook_versions"])
            flagged = [r for r in rows if r["flag"] and not r["code"].startswith("overall")]
            st.caption(f"{len(flagged)} code × pair row(s) flagged (alpha below {threshold:.3f} or undefined).")
            from qualcode.reports.agreement_report import agreement_workbook

            download(study, me, "agreement xlsx", "Download agreement.xlsx", lambda: agreement_workbook(rows, threshold),
                     "agreement.xlsx", key="agreement-xlsx",
                     mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    with disagree:
        if len(coders) < 2:
            st.info("Disagreements need two coders.")
            return
        c1, c2, c3 = st.columns(3)
        a = c1.selectbox("Coder A", coders, index=0)
        b = c2.selectbox("Coder B", [c for c in coders if c != a])
        code = c3.selectbox("Code", codebook.ids(), index=None, placeholder="all codes",
                            format_func=lambda c: code_label(codebook, c))
        items = study.disagreements(a, b, code)
        st.caption(f"{len(items)} disagreement(s)")
        for d in items[:100]:
            with st.container(border=True):
                st.caption(f"segment {d.segment} · {md_escape(d.transcript)} · {md_escape(d.attribution)} · "
                           f"**{md_escape(code_label(codebook, d.code))}**")
                st.text(d.text)  # exactly as stored
                x, y, z = st.columns([1, 1, 3])
                x.metric(f"{a} (human)", "applied" if d.applied[0] else "not applied")
                y.metric(f"{b} (human)", "applied" if d.applied[1] else "not applied")
                with z.form(f"adj-{d.segment}-{d.code}"):
                    present = st.radio("Final", ["applies", "does not apply"], horizontal=True,
                                       index=None if d.final is None else (0 if d.final else 1))
                    rationale = st.text_input("Rationale", d.rationale)
                    if st.form_submit_button("Save final code"):
                        if present is None:
                            st.error("Final: choose whether the code applies.")
                        elif not rationale.strip():
                            st.error("Rationale: write a short reason.")
                        else:
                            study.set_final(d.segment, d.code, present == "applies", me, rationale)
                            saved("Final code saved")


render()
