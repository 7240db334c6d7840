"""Start: who you are, and the study at a glance."""

from __future__ import annotations

from collections import Counter

import streamlit as st

from app.state import current_study, current_user, md_escape, set_user
from qualcode.errors import QualcodeError

st.title("qualcode")
study = current_study()
if study is not None:
    st.caption(f"Study: **{study.folder.name}** · everything stays on this computer")
    who = current_user()
    with st.form("who"):
        st.subheader("Who are you?")
        known = [name for name, _ in study.coders()]
        pick = st.selectbox("Your name", ["(new coder)"] + known,
                            index=(known.index(who[0]) + 1) if who and who[0] in known else 0)
        new = st.text_input("…or a new name", placeholder="e.g. alice")
        role = st.radio("Role", ["coder", "supervisor"], horizontal=True,
                        index=1 if who and who[1] == "supervisor" else 0,
                        help="Supervisors see the Agreement page and can adjudicate.")
        go = st.form_submit_button("Start coding", type="primary")
    if go:
        name = new.strip() if new.strip() else ("" if pick == "(new coder)" else pick)
        if not name:
            st.error("Name: type your name, or choose it from the list.")
        else:
            try:
                study.ensure_coder(name, role)
            except QualcodeError as exc:
                st.error(f"Name: {md_escape(str(exc))}")
            else:
                set_user(name)
                st.rerun()
    if who:
        st.success(f"You are **{md_escape(who[0])}** ({who[1]}). Go to **Code** in the sidebar to start.")

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
    done = {t.id: study.done_by(t.id) for t in transcripts}
    rows = [{"coder": name, "segments decided": len(per_coder.get(name, ())),
             "transcripts done": sum(1 for d in done.values() if name in d)} for name, _ in study.coders()]
    if rows:
        st.dataframe(rows, hide_index=True)
    else:
        st.caption("Nobody has coded yet.")
    codebook = study.codebook()
    counts = Counter(a.code_id for a in human if a.present)
    final = Counter(a.code_id for a in study.applications(source="final") if a.present)
    # 0.5: the display threshold until qualcode.pipeline.suggest.SHOW_THRESHOLD lands (engine branch)
    machine = Counter(a.code_id for a in study.applications(source="machine") if (a.confidence or 0) >= 0.5)
    st.subheader("Codes")
    st.caption("Coded by coders: segments × coders who applied the code; final: after adjudication; "
               "machine suggestions: the model's guesses at 50 % or more, not anyone's decision.")
    st.dataframe([{"code": ("    " if c.parent else "") + c.name, "coded by coders": counts.get(c.id, 0),
                   "final": final.get(c.id, 0), "machine suggestions (≥ 50 %)": machine.get(c.id, 0)}
                  for c in codebook], hide_index=True)
