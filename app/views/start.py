"""Start: who you are, and the study at a glance."""

from __future__ import annotations

from collections import Counter

import streamlit as st

from app.state import current_study, current_user, md_escape

st.title("qualcode")
study = current_study()
if study is not None:
    st.caption(f"Study: **{study.folder.name}** · everything stays on this computer")
    who = current_user(ask_name=True)
    if who is None:
        st.stop()
    st.success(f"You are **{md_escape(who[0])}** ({who[1]}). Go to **Code** in the sidebar to start.")
    if study.has_accounts() and st.button("Log out", key="logout"):
        from app.auth import logout

        logout(study)
    study = study.for_user(who[0])

    transcripts = study.transcripts()
    people = [p for p in study.participants() if not p.is_interviewer]
    c1, c2, c3 = st.columns(3)
    c1.metric("Transcripts", len(transcripts))
    c2.metric("Participants", len(people))
    codeable = len(study.segments(codeable_only=True))
    c3.metric("Codeable segments", codeable,
              help="Participants' turns only: interviewer turns and procedural lines are not coded")
    if people:
        st.subheader("Participants by group and site")
        table = Counter((p.group or "unknown", p.site or "—") for p in people)
        st.dataframe([{"group": g, "site": s, "participants": n} for (g, s), n in sorted(table.items())],
                     hide_index=True)
    st.subheader("Coding progress")
    st.caption("Each coder's own decisions (human coding); machine suggestions are not counted here.")
    human = study.applications(source="human")
    per_coder: dict[str, set[int]] = {}
    for a in human:
        per_coder.setdefault(a.coder, set()).add(a.segment_id)
    done = study.done_by_all()  # one query, not one per transcript
    rows = [{"coder": name, "segments decided": len(per_coder.get(name, ())),
             "transcripts done": sum(1 for d in done.values() if name in d)} for name, _ in study.coders()]
    if rows:
        st.dataframe(rows, hide_index=True)
    else:
        st.caption("Nobody has coded yet.")
    codebook = study.codebook()
    counts = Counter(a.code_id for a in human if a.present)
    final = Counter(a.code_id for a in study.applications(source="final") if a.present)
    from qualcode.pipeline.suggest import SHOW_THRESHOLD

    machine = Counter(a.code_id for a in study.applications(source="machine")
                      if (a.confidence or 0) >= SHOW_THRESHOLD)
    st.subheader("Codes")
    st.caption("Coded by coders: segments × coders who applied the code; final: after adjudication; "
               "machine suggestions: the model's guesses at 50 % or more, not anyone's decision.")
    st.dataframe([{"code": ("    " if c.parent else "") + c.name, "coded by coders": counts.get(c.id, 0),
                   "final": final.get(c.id, 0), "machine suggestions (≥ 50 %)": machine.get(c.id, 0)}
                  for c in codebook], hide_index=True)
