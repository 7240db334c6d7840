"""Start: the study at a glance."""

from __future__ import annotations

from collections import Counter

import streamlit as st

from app.state import current_study


def render() -> None:
    study = current_study()
    if study is None:
        return
    st.title(f"Study: {study.folder.name}")
    transcripts = study.transcripts()
    people = study.participants()
    segments = study.segments(codeable_only=True)
    c1, c2, c3 = st.columns(3)
    c1.metric("Transcripts", len(transcripts))
    c2.metric("Participants", len([p for p in people if not p.is_interviewer]))
    c3.metric("Codeable segments", len(segments))
    groups = Counter((p.group or "unknown", p.site or "—") for p in people if not p.is_interviewer)
    if groups:
        st.subheader("Participants by group and site")
        st.table([{"group": g, "site": s, "participants": n} for (g, s), n in sorted(groups.items())])
    codebook = study.codebook()
    machine = Counter(a.code_id for a in study.applications(source="machine") if (a.confidence or 0) >= 0.5)
    st.subheader("Suggestions per code (confidence ≥ 50 %)")
    st.table([{"code": ("  " if c.parent else "") + c.name, "suggested segments": machine.get(c.id, 0)}
              for c in codebook])
