"""Discover: themes nobody expected. Clusters of similar segments, each set against the
codebook (nearest codes, *new* when none is near) and, optionally, against participant
groups; a cluster can be promoted to a new code or merged into one as suggestions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from app.state import code_label, embedder, md_escape, require_coder, saved
from qualcode.errors import QualcodeError

if TYPE_CHECKING:
    from qualcode.records import DiscoveryRun


def run_form(study, coder: str) -> None:  # noqa: ANN001
    attrs = sorted({"group", "role", "site"} | {k for p in study.participants() for k in p.attributes})
    with st.form("discover-form"):
        c1, c2, c3, c4 = st.columns(4)
        scope = c1.radio("Segments", ["all", "uncoded"], horizontal=True,
                         help="uncoded: only segments nobody has coded yet")
        by = c2.selectbox("Compare groups by", ["(none)", *attrs])
        min_size = c3.number_input("Smallest cluster (0: from the study's size)", 0, 1000, 0)
        seed = c4.number_input("Seed (the same seed, the same clusters)", 0, 10_000, 0)
        if st.form_submit_button("Discover themes"):
            from qualcode.workflow import discover_study

            bar = st.progress(0.0, text="Embedding segments…")
            clusters = discover_study(study, embedder(), None,
                                      lambda d, t: bar.progress(d / max(t, 1), text=f"{d}/{t} segments"),
                                      scope=scope, by=None if by == "(none)" else by,
                                      min_size=min_size or None, seed=int(seed), actor=coder)
            bar.empty()
            saved(f"{len(clusters)} clusters")


def group_section(run: DiscoveryRun) -> None:
    if not run.groups:
        return
    import pandas as pd

    by = run.params["by"]
    frame = pd.DataFrame([vars(g) for g in run.groups])
    st.subheader(f"Clusters by {by}")
    st.dataframe(frame.pivot(index="cluster", columns="group", values="segments"))
    specific = frame[frame.specific]
    st.caption("Specific to one group: Fisher's exact test (one-sided) per cluster × group, Benjamini-Hochberg "
               "q < 0.05. The test counts segments; one talkative participant's segments are not independent, "
               "so look at how many participants each cell has.")
    if specific.empty:
        st.write("No cluster is specific to one group.")
    for g in specific.itertuples():
        st.markdown(f"- cluster **{g.cluster}** · **{g.group}**: {g.share_in_group:.0%} of the group's segments vs "
                    f"{g.share_elsewhere:.0%} elsewhere, {g.segments} segments from {g.participants} "
                    f"participants (p = {g.p:.2g}, q = {g.q:.2g})")


def cluster_section(study, run: DiscoveryRun, coder: str) -> None:  # noqa: ANN001
    codebook = study.codebook()
    codes = [c.id for c in codebook.codes if c.is_codable]
    texts = {s.id: s for s in study.segments(ids=[i for c in run.clusters for i in c.exemplars])}
    for c in run.clusters:
        head = ("**New theme?** · " if c.new else "") + \
            f"**{md_escape(', '.join(c.keywords[:5])) or '(no distinctive words: mostly short replies)'}**"
        with st.expander(f"{c.label}: {head} — {c.size} segments, {c.participants} participants"):
            if c.nearest_codes:
                st.dataframe([{"code": code_label(codebook, n.code) if n.code in codebook.ids() else n.code,
                               "similarity": n.similarity, "coded with it": f"{n.coded_share:.0%}"}
                              for n in c.nearest_codes], hide_index=True)
            if c.groups:
                st.caption(" · ".join(f"{g}: {n}" for g, n in c.groups.items()))
            for sid in c.exemplars:
                if sid in texts:
                    st.markdown(f"> “{md_escape(' '.join(texts[sid].text.split()))}” "
                                f"({md_escape(texts[sid].attribution())})")
            left, right = st.columns(2)
            if not study.may("promote_cluster"):
                left.caption("Promoting a cluster to a code makes a new codebook version: an admin's task.")
            name = left.text_input("New code's name", key=f"promote-name-{c.label}")
            if left.button("Promote to code", key=f"promote-{c.label}"):
                if not name.strip():
                    left.error("Name: type the new code's name first.")
                else:
                    try:
                        code_id = study.promote_cluster(c.label, name.strip(), coder, run_id=run.id)
                    except QualcodeError as exc:
                        left.error(md_escape(str(exc)))
                    else:
                        saved(f"New code {code_id}: edit its drafted definition on the Codebook page")
            into = right.selectbox("Merge into", codes, key=f"merge-code-{c.label}",
                                   format_func=lambda i: code_label(codebook, i))
            if right.button("Merge into code", key=f"merge-{c.label}"):
                try:
                    n = study.merge_cluster(c.label, into, coder, run_id=run.id)
                except QualcodeError as exc:
                    right.error(md_escape(str(exc)))
                else:
                    saved(f"{n} segments suggested for {code_label(codebook, into)}")


def render() -> None:
    st.title("Discover")
    ctx = require_coder()
    if ctx is None:
        return
    study, coder, _role = ctx
    run_form(study, coder)
    run = study.discovery()
    if run is None:
        st.caption("No clusters yet: press *Discover themes*.")
        return
    st.caption(f"Run {run.id} · {len(run.clusters)} clusters · {len(run.outliers)} segments in "
               f"no cluster · seed {run.seed} · model {run.model} · {run.at[:16]} by {run.by}")
    group_section(run)
    cluster_section(study, run, coder)


render()
