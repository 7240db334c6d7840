"""Start: who you are, and the study at a glance."""

from __future__ import annotations

from collections import Counter

import streamlit as st

from app.state import current_study, current_user, md_escape


def render() -> None:
    st.title("qualcode")
    study = current_study()
    if study is None:
        return
    st.caption(f"Study: **{study.folder.name}** · everything stays on this computer")
    who = current_user(ask_name=True)
    if who is None:
        return
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
    c3.metric("Codeable segments", study.codeable_count(),
              help="Participants' turns only: interviewer turns and procedural lines are not coded")
    if people:
        st.subheader("Participants by group and site")
        table = Counter((p.group or "unknown", p.site or "—") for p in people)
        st.dataframe([{"group": g, "site": s, "participants": n} for (g, s), n in sorted(table.items())],
                     hide_index=True)
    progress(study, who[0])
    codes(study, who[0])


def progress(study, me: str) -> None:  # noqa: ANN001
    st.subheader("Coding progress")
    st.caption("Each coder's own decisions (human coding); machine suggestions are not counted here.")
    decided = study.decided_counts(me)  # counted in SQL, with the blind rule: no row per decision
    done = study.done_by_all()  # one query, not one per transcript
    rows = [{"coder": name, "segments decided": decided.get(name, 0),
             "transcripts done": sum(1 for d in done.values() if name in d)} for name, _ in study.coders()]
    if rows:
        st.dataframe(rows, hide_index=True)
    else:
        st.caption("Nobody has coded yet.")


def codes(study, me: str) -> None:  # noqa: ANN001
    human = study.code_counts(me, "human")
    final = study.code_counts(me, "final")
    machine = study.code_counts(me, "machine")  # the ones the engine decided to show, as on the cards
    st.subheader("Codes")
    st.caption("Coded by coders (human): segments × coders who applied the code (a span coding counts for every "
               "segment it overlaps); final: after adjudication; "
               "machine suggestions shown: the model's guesses the engine decided to show coders on the Code "
               "page, not anyone's decision.")
    st.dataframe([{"code": ("    " if c.parent else "") + c.name, "coded by coders (human)": human.get(c.id, 0),
                   "final (adjudicated)": final.get(c.id, 0), "machine suggestions shown": machine.get(c.id, 0)}
                  for c in study.codebook()], hide_index=True)


render()
