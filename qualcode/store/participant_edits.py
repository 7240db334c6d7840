"""Editing participants from the app: their group, role, site, speaker labels and attributes.

Mixed into :class:`qualcode.store.study.Study`. One transaction and one audit row per edit
(before and after); segments are re-attached to people afterwards, since a changed speaker
label or interviewer role changes which turns belong to whom and which can be coded.
"""

from __future__ import annotations

import json
from typing import Any

from qualcode.errors import StoreError
from qualcode.records import Participant
from qualcode.store.core import StudyCore
from qualcode.store.models import ParticipantRow

PARTICIPANT_FIELDS = ("group", "role", "site", "speakers", "attributes")
MAX_FIELD_CHARS = 100


def _check(field: str, value: Any) -> Any:
    if field == "speakers":
        if isinstance(value, str):
            value = [v for v in (x.strip() for x in value.split(";")) if v]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise StoreError(f"participant field 'speakers': expected a list of speaker labels, got {value!r}")
        return [v.strip() for v in value if v.strip()]
    if field == "attributes":
        if not isinstance(value, dict):
            raise StoreError(f"participant field 'attributes': expected name → value pairs, got {value!r}")
        clean = {}
        for k, v in value.items():
            k = str(k).strip()
            if not k:
                raise StoreError("participant field 'attributes': expected a name for every attribute, got an empty one")
            if k in ("participant_id", *PARTICIPANT_FIELDS):
                raise StoreError(f"participant attribute {k!r}: expected a name other than the "
                                 f"built-in fields ({', '.join(PARTICIPANT_FIELDS)})")
            clean[k] = "" if v is None else str(v).strip()
        return clean
    if not isinstance(value, str):
        raise StoreError(f"participant field {field!r}: expected text, got {value!r}")
    if len(value.strip()) > MAX_FIELD_CHARS:
        raise StoreError(f"participant field {field!r}: expected at most {MAX_FIELD_CHARS} characters, "
                         f"got {len(value.strip())}")
    return value.strip()


class ParticipantEdits(StudyCore):
    def update_participant(self, participant_id: str, changes: dict[str, Any], actor: str,
                           create: bool = False) -> Participant:
        """Change some of a participant's fields (``create``: add a new participant).

        ``changes`` maps any of group, role, site, speakers (list, or text split on ``;``)
        and attributes (the whole name → value mapping) to new values.
        """
        pid = (participant_id or "").strip()
        if not pid or len(pid) > MAX_FIELD_CHARS:
            raise StoreError(f"participant id: expected 1 to {MAX_FIELD_CHARS} characters, got {participant_id!r}")
        unknown = sorted(set(changes) - set(PARTICIPANT_FIELDS))
        if unknown:
            raise StoreError(f"participant {pid}: expected fields among {', '.join(PARTICIPANT_FIELDS)}, "
                             f"got {', '.join(unknown)}")
        clean = {k: _check(k, v) for k, v in changes.items()}
        with self._tx() as s:
            row = s.get(ParticipantRow, pid)
            if row is None and not create:
                raise StoreError(f"participant: expected an id of the study, got {pid!r}")
            if row is not None and create:
                raise StoreError(f"participant: expected a new id, got {pid!r} which the study already holds")
            current = (self._participant(row) if row is not None else Participant(pid))
            person = Participant(pid, clean.get("group", current.group), clean.get("role", current.role),
                                 clean.get("site", current.site),
                                 tuple(clean.get("speakers", current.speakers)),
                                 clean.get("attributes", dict(current.attributes)))
            self._upsert_participants(s, [person], actor)
            self._link_segments(s)
            row = s.get(ParticipantRow, pid)
            return Participant(row.id, row.group, row.role, row.site, tuple(json.loads(row.speakers)),
                               json.loads(row.attributes))


__all__ = ["PARTICIPANT_FIELDS", "ParticipantEdits"]
