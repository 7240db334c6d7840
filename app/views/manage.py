"""Manage the study (supervisors): import transcripts and a participants sheet by upload, and
edit participants and their attributes.

Uploads go through the very readers the CLI uses (qualcode.io.transcripts.read_transcript,
qualcode.io.participants.read_participants), which read paths: each upload is written to a
private temporary folder (mode 0700, removed afterwards) under its own file name, so every
message names the file as the researcher knows it. One import is one transaction, as on the
command line: a single unreadable file imports nothing, and its message stands next to the
field it came from. Participant edits are audited and re-attach segments to people.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path

import streamlit as st

from app.components.role_needed import needs_role
from app.state import md_escape, require_coder, saved
from qualcode.errors import QualcodeError
from qualcode.wording import counted

TRANSCRIPT_TYPES = ["txt", "docx", "vtt", "srt", "csv"]
FIELDS = ("group", "role", "site")


def _write(folder: Path, upload) -> Path:  # noqa: ANN001
    """The upload under its own base name (never a path the browser chose) in ``folder``."""
    name = Path(upload.name.replace("\\", "/")).name or "upload"
    path = folder / name
    n = 1
    while path.exists():  # two uploads with one name: keep both, readably
        n += 1
        path = folder / f"{Path(name).stem} ({n}){Path(name).suffix}"
    path.write_bytes(upload.getvalue())
    return path


def _plain(message: str, folder: Path) -> str:
    return message.replace(str(folder) + "/", "").replace(str(folder), "")


def import_uploads(study, me: str, max_words: int) -> None:  # noqa: ANN001
    """Read every upload, then import all in one transaction, or nothing with the reasons."""
    from qualcode.io.participants import read_participants
    from qualcode.io.transcripts import read_transcript

    files = st.session_state.get("u_transcripts") or []
    sheet = st.session_state.get("u_participants")
    errors: dict[str, list[str]] = {"transcripts": [], "participants": []}
    st.session_state["u_errors"] = errors
    if not files and sheet is None:
        errors["transcripts"].append("Choose transcript files or a participants sheet first.")
        return
    folder = Path(tempfile.mkdtemp(prefix="qualcode-upload-"))  # 0700: only this user reads it
    try:
        people = None
        if sheet is not None:
            try:
                people = read_participants(_write(folder, sheet))
            except QualcodeError as exc:
                errors["participants"].append(_plain(str(exc), folder))
        transcripts = []
        for upload in files:
            path = _write(folder, upload)
            try:
                t = read_transcript(path)
            except QualcodeError as exc:
                errors["transcripts"].append(_plain(str(exc), folder))
                continue
            transcripts.append(dataclasses.replace(t, source_path=f"upload:{path.name}"))
        if errors["transcripts"] or errors["participants"]:
            errors["transcripts" if errors["transcripts"] else "participants"].append(
                "Nothing was imported: fix the file above and upload again.")
            return
        try:
            report = study.import_transcripts(transcripts, people, max_words=max_words, actor=me)
        except QualcodeError as exc:
            errors["transcripts"].append(_plain(str(exc), folder) + " — nothing was imported.")
            return
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    warnings = [f"{t.name}: {w}" for t in transcripts for w in getattr(t, "warnings", ())]
    st.session_state["u_report"] = (report.imported, report.unchanged, report.segments, report.participants, warnings)
    saved(f"Imported {counted(len(report.imported), 'transcript')}", later=True)


def parse_attributes(text: str) -> dict[str, str]:
    """One ``name = value`` a line (what the edit box shows)."""
    out: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if "=" not in line:
            raise ValueError(f"attributes line {n}: expected 'name = value', got {line.strip()!r}")
        name, value = line.split("=", 1)
        out[name.strip()] = value.strip()
    return out


def save_participant(study, me: str, pid: str, create: bool, prefix: str) -> None:  # noqa: ANN001
    ss = st.session_state
    try:
        changes = {f: ss.get(f"{prefix}{f}", "") for f in FIELDS}
        changes["speakers"] = ss.get(f"{prefix}speakers", "")
        changes["attributes"] = parse_attributes(ss.get(f"{prefix}attributes", ""))
        person = study.update_participant(pid if not create else ss.get("padd_id", ""), changes, me, create=create)
    except (QualcodeError, ValueError) as exc:
        ss["p_error"] = str(exc)
        return
    for key in [k for k in ss if k.startswith(prefix)]:
        del ss[key]
    ss.pop("padd_id", None)
    saved(f"Participant {person.participant_id} saved", later=True)


def participant_form(study, me: str, person, prefix: str) -> None:  # noqa: ANN001
    """Fields of one participant (empty for a new one); the values stay while the page is open."""
    defaults = {"group": person.group if person else "", "role": person.role if person else "",
                "site": person.site if person else "",
                "speakers": "; ".join(person.speakers) if person else "",
                "attributes": "\n".join(f"{k} = {v}" for k, v in person.attributes.items()) if person else ""}
    for name, value in defaults.items():
        st.session_state.setdefault(f"{prefix}{name}", value)
    c1, c2, c3 = st.columns(3)
    c1.text_input("Group", key=f"{prefix}group")
    c2.text_input("Role", key=f"{prefix}role", help="'Interviewer' marks the person's turns as not codeable")
    c3.text_input("Site", key=f"{prefix}site")
    st.text_input("Speaker labels (separated by ;)", key=f"{prefix}speakers",
                  help="How this person is named in transcripts; a turn by one of these belongs to them")
    st.text_area("Other attributes (one 'name = value' a line)", key=f"{prefix}attributes")
    st.button("Add participant" if person is None else "Save", key=f"{prefix}save", type="primary",
              on_click=save_participant, args=(study, me, person.participant_id if person else "", person is None, prefix))


def render() -> None:
    st.title("Manage the study")
    ctx = require_coder()
    if ctx is None:
        return
    study, me, role = ctx
    if role not in ("supervisor", "admin"):
        st.info(md_escape("This page is for supervisors. " + needs_role("supervisor", me, role, "import transcripts and manage the study")))
        return
    errors = st.session_state.get("u_errors", {})
    st.subheader("Import transcripts")
    st.file_uploader("Transcripts (.txt, .docx, .vtt, .srt, .csv)", type=TRANSCRIPT_TYPES,
                     accept_multiple_files=True, key="u_transcripts")
    for message in errors.get("transcripts", []):
        st.error(md_escape(message))
    st.file_uploader("Participants sheet (.csv)", type=["csv"], key="u_participants")
    for message in errors.get("participants", []):
        st.error(md_escape(message))
    max_words = st.number_input("Longest segment (words)", 10, 400, 80, 10, key="u_words",
                                help="Long turns are split into segments of about this many words")
    st.button("Import", key="u_import", type="primary", on_click=import_uploads, args=(study, me, max_words))
    if report := st.session_state.pop("u_report", None):
        imported, unchanged, segments, people, warnings = report
        st.success(md_escape(f"Imported {counted(len(imported), 'transcript')} ({counted(segments, 'segment')})"
                             f"{', ' + counted(people, 'participant') + ' added or changed' if people else ''}"
                             f"{'; already in the study, left as they were: ' + ', '.join(unchanged) if unchanged else ''}"))
        for w in warnings:
            st.warning(md_escape(w))
    st.subheader("Participants")
    if error := st.session_state.pop("p_error", None):
        st.error(md_escape(error))
    people = study.participants()
    if people:
        st.dataframe([{"participant": p.participant_id, "group": p.group, "role": p.role, "site": p.site,
                       "speakers": "; ".join(p.speakers), **p.attributes} for p in people],
                     hide_index=True, width="stretch")
        by_id = {p.participant_id: p for p in people}
        pid = st.selectbox("Edit participant", list(by_id), key="p_pick")
        participant_form(study, me, by_id[pid], prefix=f"p_{pid}_")
    else:
        st.caption("No participants yet: import a participants sheet or add one below.")
    with st.expander("Add a participant"):
        st.text_input("Participant id", key="padd_id")
        participant_form(study, me, None, prefix="padd_")


render()
