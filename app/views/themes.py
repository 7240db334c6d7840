"""Themes: counts by any participant attribute (or a pair) with their denominators,
representative quotes, code co-occurrence (pick a pair to read its segments), saturation,
discovered clusters, and downloads for the paper. Everything shown is anonymised, as the
reports are, and says which coding it counts."""

from __future__ import annotations

import streamlit as st

from app.components.machine_counted import machine_threshold
from app.state import download, embedder, md_escape, require_coder, saved, verbatim

SOURCE_HELP = ("best: final codes where a segment was adjudicated, else coders' codes, else machine "
               "suggestions (marked: those shown to coders, or from the confidence you pick); final, human "
               "(coders') or machine: only that kind")


def render() -> None:
    st.title("Themes")
    ctx = require_coder()
    if ctx is None:
        return
    study, coder, _role = ctx
    from qualcode.redact import Redactor
    from qualcode.reports.coding import SOURCES
    from qualcode.reports.data import attributes_of, collect

    redactor = Redactor.from_study(study)
    choices = [a for a in attributes_of(study.participants()) if a != "name"]
    c1, c2, c3 = st.columns([1, 1, 2])
    source = c1.selectbox("Coding counted", SOURCES, help=SOURCE_HELP)
    threshold = machine_threshold(c2, "themes-threshold")
    by = c3.multiselect("Break down by (one or two attributes)", choices, default=["group"], max_selections=2,
                        key="themes-by") or ["group"]
    data = collect(study, source, threshold, by, redactor=redactor, with_matrix=False)
    st.caption(data.intro())
    counts, quotes, co, sat, clusters, downloads = st.tabs(
        ["Counts", "Quotes", "Co-occurrence", "Saturation", "Discovered clusters", "Downloads"])
    with counts:
        _counts(data)
    with quotes:
        _quotes(data)
    with co:
        _cooccurrence(study, data, redactor)
    with sat:
        _saturation(data)
    with clusters:
        _clusters(study, coder)
    with downloads:
        _downloads(study, data, coder, source, threshold, by, redactor)


def _counts(data) -> None:  # noqa: ANN001
    import pandas as pd

    from qualcode.reports.charts import counts_figure

    if not any(s.segments for s in data.summaries):
        st.info("Nothing is coded yet (with this choice of coding).")
        return
    level = st.radio("Show", ["themes", "codes"], horizontal=True)
    rows = [s for s in data.summaries if (s.depth == 0) == (level == "themes")]
    table = pd.DataFrame([{"code": s.code.name, "participants": f"{s.participants} of {data.n_participants}",
                           "segments": s.segments, **{f"{g} (n={data.people[g]})": s.by[g].words()
                                                      for g in data.groups}} for s in rows])
    st.dataframe(table, hide_index=True)
    st.caption(data.cell_caption())
    fig = counts_figure(data, level)
    if fig is not None:
        st.pyplot(fig, clear_figure=False)  # labels wrapped, legend beside the bars: nothing cut


def _quotes(data) -> None:  # noqa: ANN001
    st.caption(f"Whole sentences (8–60 words) from different participants. Counted: {data.counted_short()}.")
    for s in data.summaries:
        if not s.segments:
            continue
        st.markdown(("### " if s.depth == 0 else "#### ") + verbatim(s.code.name) +
                    f"  \n<span style='color:gray'>{s.participants} of {data.n_participants} participants, "
                    f"{s.segments} segments</span>", unsafe_allow_html=True)
        if not s.quotes:
            st.caption("No quotable sentence (8–60 words) in its coded segments.")
        for q in s.quotes:
            st.markdown(f"> “{md_escape(q.text)}” {md_escape(q.cite())}")


def _cooccurrence(study, data, redactor) -> None:  # noqa: ANN001
    import pandas as pd

    from qualcode.reports.charts import heatmap_figure

    pairs = [p for p in data.pairs if p.both]
    st.caption(f"Segments coded with both codes ({data.counted_short()}); Jaccard = with both / with either. "
               "Pick a pair (or a row) to read its segments.")
    if not pairs:
        st.info("No two codes share a segment yet.")
        return
    table = pd.DataFrame([{"code": data.name(p.a), "with": data.name(p.b), "both": p.both, "either": p.either,
                           "Jaccard": round(p.jaccard, 2)} for p in pairs])
    picked = st.dataframe(table, hide_index=True, on_select="rerun", selection_mode="single-row", key="co-table")
    labels = [f"{data.name(p.a)} × {data.name(p.b)} — {p.both} segment{'s' if p.both != 1 else ''} "
              f"(Jaccard {p.jaccard:.2f})" for p in pairs]
    rows = getattr(getattr(picked, "selection", None), "rows", None) or []
    index = st.selectbox("Segments coded with both", range(len(pairs)), format_func=labels.__getitem__,
                         index=rows[0] if rows else 0, key="co-pair")
    for seg in study.segments(ids=pairs[index].segment_ids):
        st.markdown(f"> {verbatim(redactor.text(' '.join(seg.text.split())))}  \n"
                    f"<span style='color:gray'>{verbatim(seg.attribution())} · "
                    f"{verbatim(redactor.text(seg.transcript))} "
                    f"{seg.start}–{seg.end}</span>", unsafe_allow_html=True)
    fig = heatmap_figure(data)
    if fig is not None:
        st.pyplot(fig, clear_figure=False)


def _saturation(data) -> None:  # noqa: ANN001
    import pandas as pd

    from qualcode.reports.charts import saturation_figure

    st.caption("New codes per successive interview (import order), after Guest, Bunce and Johnson (2006). "
               "`qualcode saturation STUDY --orders 100` adds random orders and their band.")
    for g in data.saturation:
        st.markdown(f"**{md_escape(g.group)}**: {md_escape(g.curve.sentence())}.")
    fig = saturation_figure(data)
    if fig is not None:
        st.pyplot(fig, clear_figure=False)
        first = data.saturation[0].curve
        st.dataframe(pd.DataFrame({"interview": first.interviews, "new codes": first.new,
                                   "cumulative": first.cumulative}), hide_index=True)


def _clusters(study, coder: str) -> None:  # noqa: ANN001
    found = study.discovery()
    n = st.number_input("How many clusters (0: choose from the study's size)", 0, 50, 0)
    if st.button("Discover themes", key="discover"):
        from qualcode.workflow import discover_study

        bar = st.progress(0.0, text="Embedding segments…")
        result = discover_study(study, embedder(), n or None,
                                lambda d, t: bar.progress(d / max(t, 1), text=f"{d}/{t} segments"), actor=coder)
        bar.empty()
        saved(f"{len(result)} candidate themes")
        found = study.discovery()
    if not found:
        st.caption("No clusters yet: press *Discover themes*.")
        return
    ids = [i for c in found.clusters for i in c.exemplars]
    texts = {s.id: s for s in study.segments(ids=ids)}
    st.caption(f"{len(found.clusters)} clusters · model {found.model} · {found.at[:16]}")
    for c in found.clusters:
        with st.expander(f"**{md_escape(', '.join(c.keywords[:5]))}** — {c.size} segments, "
                         f"{c.participants} participants"):
            for sid in c.exemplars:
                if sid in texts:
                    st.markdown(f"> “{md_escape(texts[sid].text)}” ({md_escape(texts[sid].attribution())})")
    st.page_link("views/discover.py", label="Promote a cluster to a code, or merge it into one: Discover page",
                 icon=":material/explore:")


def _downloads(study, data, coder, source, threshold, by, redactor) -> None:  # noqa: ANN001, PLR0913
    import pandas as pd

    from qualcode.reports.theme_report import markdown_report

    st.caption("Anonymised (names replaced). For an identifiable copy use `qualcode report … --identifiable`, "
               "which the audit log records.")
    def dl(what: str, label: str, payload, filename: str, **options) -> None:  # noqa: ANN001, ANN003
        download(study, coder, what, label, payload, filename, **options)

    dl("report", "Theme report (Markdown)", markdown_report(data), "report.md", key="dl-report")
    # The files below are made only when their button is clicked (a callable), so the
    # page stays fast on large studies.
    from qualcode.exports import redact_project
    from qualcode.io.refi import codebook_qdc, qdpx_bytes
    from qualcode.reports.data import collect
    from qualcode.reports.paper_formats import docx_report, html_report, xlsx_report
    from qualcode.workflow import refi_project

    def full():  # noqa: ANN202 (with the framework matrix)
        return collect(study, source, threshold, by, redactor=redactor)

    c1, c2, c3 = st.columns(3)
    dl("html", "Theme report (HTML)", lambda: html_report(full()), "report.html", mime="text/html",
       key="dl-html", where=c1)
    dl("docx", "Theme report (Word)", lambda: docx_report(full()), "report.docx", key="dl-docx", where=c2,
       mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    dl("xlsx", "Framework matrix (Excel)", lambda: xlsx_report(full()), "report.xlsx", key="dl-xlsx", where=c3,
       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
       help="Counts, co-occurrence, the framework matrix, every coded segment, saturation, charts")
    dl("qdpx", "REFI-QDA project (.qdpx)", lambda: qdpx_bytes(redact_project(refi_project(study), redactor)),
       f"{study.folder.name}.qdpx", key="dl-qdpx", where=c1,
       help="Opens in NVivo, ATLAS.ti, MAXQDA and QualCoder: transcripts, codes by coder, memos "
       "(anonymised like the reports; selections moved with their redacted text)")
    dl("qdc", "REFI-QDA codebook (.qdc)", lambda: codebook_qdc(data.codebook, study.folder.name),
       "codebook.qdc", key="dl-qdc", where=c2)
    from qualcode.cli.study_commands import segment_rows
    from qualcode.io.cells import safe_cell

    table = pd.DataFrame(segment_rows(study, None, True, coder))
    if not table.empty:
        table["codes"] = table["codes"].map(lambda cs: ";".join(sorted({c["code"] for c in cs})))
        table["suggestions"] = table["suggestions"].map(
            lambda xs: ";".join(f"{x['code']}:{x['confidence']:.2f}" for x in xs))
        for column in ("text", "speaker", "transcript"):  # anonymised like the reports
            table[column] = table[column].map(lambda v: redactor.text(v) if isinstance(v, str) else v)
        table = table.map(safe_cell)
    dl("segments", "Segments (CSV)", table.to_csv(index=False), "segments.csv", key="dl-segments",
       help="Anonymised; start/end are offsets in the transcript as imported")
    from qualcode.io.codebook import dump_codebook

    dl("codebook", "Codebook (YAML)", dump_codebook(data.codebook), "codebook.yaml", key="dl-codebook")


render()
