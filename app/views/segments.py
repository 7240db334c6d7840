"""Segments: browse the study's coded segments and machine suggestions (read-only)."""

from __future__ import annotations

import streamlit as st

from app.state import current_study


def render() -> None:
    study = current_study()
    if study is None:
        return
    st.title("Segments")
    transcripts = study.transcripts()
    if not transcripts:
        st.info("This study has no transcripts yet. Import some with `qualcode import STUDY FILES`.")
        return
    names = [t.name for t in transcripts]
    choice = st.selectbox("Transcript", names, key="segments_transcript")
    tid = transcripts[names.index(choice)].id
    segments = study.segments(transcript_id=tid)
    ids = [s.id for s in segments]
    suggestions: dict[int, list] = {}
    for app in study.applications(source="machine", segment_ids=ids):
        suggestions.setdefault(app.segment_id, []).append(app)
    codebook = study.codebook()
    names_by_id = {c.id: c.name for c in codebook}
    for seg in segments:
        who = seg.attribution() if seg.participant_id else (seg.speaker or "—")
        with st.container(border=True):
            st.caption(f"#{seg.id} · {who}" + (" · interviewer" if seg.is_interviewer else ""))
            st.write(seg.text)
            for s in sorted(suggestions.get(seg.id, []), key=lambda a: -(a.confidence or 0)):
                st.caption(f"suggested: **{names_by_id.get(s.code_id, s.code_id)}** "
                           f"({s.confidence:.0%}) — {s.reason}")
