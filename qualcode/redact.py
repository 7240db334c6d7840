"""Names out of every quote and exported text, by default.

A paper's quotes must not identify anyone. Speaker labels ("Dr Okafor:") already become
participant ids in attributions, but the *text* still says "Dr Okafor said…" or "Ray
told me". A :class:`Redactor` replaces, whole-word and case-insensitively:

* every speaker label of a participant (the ``speaker`` column) by that participant's id,
  written ``[P03]`` (generic labels such as "Interviewer" are no names and stay);
* the ``name`` column of the participants sheet (the full name and each of its words of
  two letters or more, so "Grace Okafor" also catches "Dr Okafor") by ``[P03]``;
* each line of a ``--redact FILE`` (one name or phrase a line; a line starting with ``#`` is a comment)
  by ``[name]``.

Longer phrases win over their parts ("Grace Okafor" before "Grace"). The participant id
itself is never replaced. ``identifiable=True`` gives a redactor that changes nothing
(the CLI records that choice in the audit log).

:meth:`Redactor.with_offsets` returns the new text and a ``remap`` function from old to
new offsets, for exports that carry offsets into the text (REFI-QDA selections).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import InputError
from qualcode.records import INTERVIEWER_NAMES, Participant

if TYPE_CHECKING:
    from qualcode.store import Study

NAME_PLACEHOLDER = "[name]"


def read_redact_file(path: str | Path) -> list[str]:
    """The phrases of a redact file: one a line, blank lines and ``#`` comments skipped."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, "a text file with one name or phrase a line", "no such file") from None
    except UnicodeDecodeError as exc:
        raise InputError(path, "UTF-8 text", f"undecodable byte at position {exc.start}") from None
    phrases = []
    for line_no, line in enumerate(text.splitlines(), 1):
        phrase = line.strip()
        if not phrase or phrase.startswith("#"):
            continue
        if len(phrase) > 200:
            raise InputError(path, "a name or phrase of at most 200 characters", f"{len(phrase)}", line=line_no)
        phrases.append(phrase)
    return phrases


@dataclass(frozen=True)
class Redactor:
    """Replaces names by placeholders (see the module doc). ``replacements`` maps a
    lower-cased phrase to what it becomes."""

    replacements: dict[str, str] = field(default_factory=dict)
    identifiable: bool = False

    @classmethod
    def from_participants(cls, participants: Iterable[Participant], phrases: Iterable[str] = (),
                          identifiable: bool = False) -> Redactor:
        if identifiable:
            return cls({}, identifiable=True)
        table: dict[str, str] = {}
        people = list(participants)
        ids = {p.participant_id.lower() for p in people}
        for phrase in phrases:
            table[phrase.strip().lower()] = NAME_PLACEHOLDER
        for p in people:
            tag = f"[{p.participant_id}]"
            name = (p.attributes.get("name") or "").strip()
            words = [w for w in re.split(r"[\s,]+", name) if len(w.strip(".")) >= 2]
            labels = [sp for sp in p.speakers if sp.strip().lower() not in INTERVIEWER_NAMES]  # "Interviewer" is no name
            for phrase in [name, *words, *labels]:
                key = phrase.strip().lower()
                if key and key not in ids:
                    table.setdefault(key, tag)
        return cls(table)

    @classmethod
    def from_study(cls, study: Study, redact_file: str | Path | None = None,
                   identifiable: bool = False) -> Redactor:
        phrases = read_redact_file(redact_file) if redact_file else []
        return cls.from_participants(study.participants(), phrases, identifiable)

    def _pattern(self) -> re.Pattern[str] | None:
        if not self.replacements:
            return None
        alternatives = sorted(self.replacements, key=len, reverse=True)
        # Whole words: not next to a letter or digit (an underscore counts as a boundary, so
        # "okafor_interview.docx" loses the name too).
        return re.compile(r"(?<![^\W_])(?:" + "|".join(re.escape(a) for a in alternatives) + r")(?![^\W_])",
                          re.IGNORECASE)

    def text(self, s: str) -> str:
        """``s`` with every name replaced."""
        return self.with_offsets(s)[0]

    def with_offsets(self, s: str) -> tuple[str, Callable[..., int]]:
        """``(new_s, remap)``: ``remap(old)`` is where offset ``old`` of ``s`` lands in
        ``new_s``. An offset inside a replaced name maps to the placeholder's start, or to
        its end with ``remap(old, at_end=True)`` (use it for the end of a selection)."""
        pattern = self._pattern()
        if pattern is None or not s:
            return s, lambda old, at_end=False: old
        pieces: list[str] = []
        starts: list[int] = []  # old start of each replacement
        spans: list[tuple[int, int, int, int]] = []  # old start, old end, new start, new end
        last = 0
        shift = 0
        for m in pattern.finditer(s):
            new = self.replacements[m.group(0).lower()]
            pieces.append(s[last:m.start()])
            new_start = m.start() + shift
            pieces.append(new)
            spans.append((m.start(), m.end(), new_start, new_start + len(new)))
            starts.append(m.start())
            shift += len(new) - (m.end() - m.start())
            last = m.end()
        pieces.append(s[last:])

        def remap(old: int, at_end: bool = False) -> int:
            i = bisect.bisect_right(starts, old) - 1
            if i < 0:
                return old
            o_start, o_end, n_start, n_end = spans[i]
            if old == o_start:
                return n_start
            if old < o_end:
                return n_end if at_end else n_start
            return n_end + (old - o_end)

        return "".join(pieces), remap

    def names(self) -> list[str]:
        """The phrases replaced (for tests and the audit log's count; never printed)."""
        return sorted(self.replacements)


IDENTIFIABLE = Redactor({}, identifiable=True)
