"""Start: who you are, and the study at a glance."""

from __future__ import annotations

from collections import Counter

import streamlit as st

from app.state import current_study, current_user

st.title("qualcode")
study = current_study()
if study is not None:
    st.caption(f"Study: **{study.folder.name}** · everything stays on this computer")
    who = current_user(ask_name=True)
    if who is None:
        st.stop()
    st.success(f"You are **{who[0]}** ({who[1]}). Go to **Code** to start.")
    if study.has_accounts() and st.button("Log out", key="logout"):
        from app.auth import logout

        logout(study)
    study = study.for_user(who[0])

    transcripts = study.transcripts()
    people = [p for p in study.participants() if not p.is_interviewer]
    c1, c2, c3 = st.columns(3)
    c1.metric("Transcripts", len(transcripts))
    c2.metric("Participants", len(people))
    c3.metric("Codeable segments", sum(t.n_segments for t in transcripts))
    if people:
        st.subheader("Participants by group and site")
        table = Counter((p.group or "unknown", p.site or "—") for p in people)
        st.dataframe([{"group": g, "site": s, "participants": n} for (g, s), n in sorted(table.items())],
                     hide_index=True)
    st.subheader("Coding progress")
    human = study.applications(source="human")
    per_coder: dict[str, set[int]] = {}
    for a in human:
        per_coder.setdefault(a.coder, set()).add(a.segment_id)
    done = {t.id: study.done_by(t.id) for t in transcripts}
    rows = [{"coder": name, "segments decided": len(per_coder.get(name, ())),
             "transcripts done": sum(1 for d in done.values() if name in d)} for name, _ in study.coders()]
    if rows:
        st.dataframe(rows, hide_index=True)
    else:
        st.caption("Nobody has coded yet.")
    codebook = study.codebook()
    counts = Counter(a.code_id for a in human if a.present)
    machine = Counter(a.code_id for a in study.applications(source="machine") if (a.confidence or 0) >= 0.5)
    st.subheader("Codes")
    st.dataframe([{"code": ("    " if c.parent else "") + c.name, "coded segments": counts.get(c.id, 0),
                   "suggested (≥ 50 %)": machine.get(c.id, 0)} for c in codebook], hide_index=True)
