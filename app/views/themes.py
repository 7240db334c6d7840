"""Themes: counts per code and theme by participant group and site, representative
quotes with attribution, discovered clusters, and downloads for the paper."""

from __future__ import annotations

import io
from html import escape

import streamlit as st

from app.state import code_label, embedder, require_coder, saved


def render() -> None:
    st.title("Themes")
    ctx = require_coder()
    if ctx is None:
        return
    study, coder, _role = ctx
    import pandas as pd

    from qualcode.reports.theme_report import SOURCES, coded_segments, descendants, summarise, write_markdown_report

    c1, c2 = st.columns(2)
    source = c1.selectbox("Coding counted", SOURCES, help="auto: final codes where adjudicated, else coders' "
                          "codes, else machine suggestions over the threshold")
    threshold = c2.slider("Machine confidence counted from", 0.0, 1.0, 0.5, 0.05)
    codebook, summaries, groups, people, _ = summarise(study, source, threshold)
    coding = coded_segments(study, source, threshold)
    segments = {s.id: s for s in study.segments(codeable_only=True)}
    rows = []
    for s in summaries:
        subtree = descendants(codebook, s.code.id)
        for sid, codes in coding.items():
            seg = segments.get(sid)
            if seg is not None and subtree & set(codes):
                rows.append({"code": code_label(codebook, s.code.id), "theme": s.depth == 0,
                             "group": seg.group or "unknown", "site": seg.site or "unknown", "segment": sid})
    frame = pd.DataFrame(rows, columns=["code", "theme", "group", "site", "segment"])
    counts, quotes, clusters, downloads = st.tabs(["Counts", "Quotes", "Discovered clusters", "Downloads"])
    with counts:
        if frame.empty:
            st.info("Nothing is coded yet (with this choice of coding).")
        else:
            level = st.radio("Show", ["themes", "codes"], horizontal=True)
            sub = frame[frame.theme] if level == "themes" else frame[~frame.theme]
            by = st.radio("Split by", ["group", "site"], horizontal=True)
            table = sub.groupby(["code", by]).segment.nunique().unstack(fill_value=0)
            st.bar_chart(table, horizontal=True, stack=True)
            st.dataframe(table)
    with quotes:
        for s in summaries:
            if not s.quotes:
                continue
            st.markdown(("### " if s.depth == 0 else "#### ") + escape(s.code.name) +
                        f"  \n<span style='color:gray'>{s.segments} segments, {s.participants} participants</span>",
                        unsafe_allow_html=True)
            for seg, _ in s.quotes:
                st.markdown(f"> “{' '.join(seg.text.split())}” ({seg.attribution()})")
    with clusters:
        found = study.discovery()
        n = st.number_input("How many clusters (0: choose from the study's size)", 0, 50, 0)
        if st.button("Discover themes", key="discover"):
            from qualcode.workflow import discover_study

            bar = st.progress(0.0, text="Embedding segments…")
            result = discover_study(study, embedder(), n or None,
                                    lambda d, t: bar.progress(d / max(t, 1), text=f"{d}/{t} segments"))
            bar.empty()
            saved(f"{len(result)} candidate themes")
            found = study.discovery()
        if not found:
            st.caption("No clusters yet: press *Discover themes*.")
        else:
            ids = [i for c in found["clusters"] for i in c["exemplars"]]
            texts = {s.id: s for s in study.segments(ids=ids)}
            st.caption(f"{len(found['clusters'])} clusters · model {found['model']} · {found['at'][:16]}")
            for c in found["clusters"]:
                with st.expander(f"**{', '.join(c['keywords'][:5])}** — {c['size']} segments, "
                                 f"{c['participants']} participants"):
                    for sid in c["exemplars"]:
                        if sid in texts:
                            st.markdown(f"> “{texts[sid].text}” ({texts[sid].attribution()})")
    with downloads:
        report = io.StringIO()
        write_markdown_report(study, report, source=source, threshold=threshold)
        st.download_button("Theme report (Markdown)", report.getvalue(), "report.md", key="dl-report")
        # The files below are made only when their button is clicked (a callable), so the
        # page stays fast on large studies.
        from qualcode.io.refi import codebook_qdc, qdpx_bytes
        from qualcode.reports.paper_formats import docx_report, framework_workbook, html_report
        from qualcode.workflow import refi_project

        def xlsx() -> bytes:
            buf = io.BytesIO()
            framework_workbook(study, source=source, threshold=threshold).save(buf)
            return buf.getvalue()

        c1, c2, c3 = st.columns(3)
        c1.download_button("Theme report (HTML)", lambda: html_report(study, source=source, threshold=threshold),
                           "report.html", mime="text/html", key="dl-html")
        c2.download_button("Theme report (Word)", lambda: docx_report(study, source=source, threshold=threshold),
                           "report.docx", key="dl-docx",
                           mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        c3.download_button("Framework matrix (Excel)", xlsx, "framework_matrix.xlsx", key="dl-xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           help="Participants × themes with their coded text; counts; every coded segment")
        c1.download_button("REFI-QDA project (.qdpx)", lambda: qdpx_bytes(refi_project(study)),
                           f"{study.folder.name}.qdpx", key="dl-qdpx",
                           help="Opens in NVivo, ATLAS.ti, MAXQDA and QualCoder: transcripts, codes by coder, memos")
        c2.download_button("REFI-QDA codebook (.qdc)", lambda: codebook_qdc(codebook, study.folder.name),
                           "codebook.qdc", key="dl-qdc")
        from qualcode.cli.study_commands import segment_rows

        table = pd.DataFrame(segment_rows(study, None, True, coder))
        if not table.empty:
            table["codes"] = table["codes"].map(lambda cs: ";".join(sorted({c["code"] for c in cs})))
            table["suggestions"] = table["suggestions"].map(
                lambda xs: ";".join(f"{x['code']}:{x['confidence']:.2f}" for x in xs))
        from qualcode.io.cells import safe_cell

        st.download_button("Segments (CSV)", table.map(safe_cell).to_csv(index=False), "segments.csv",
                           key="dl-segments")
        from qualcode.io.codebook import dump_codebook

        st.download_button("Codebook (YAML)", dump_codebook(codebook), "codebook.yaml", key="dl-codebook")


render()
