"""One exception tree for everything a user can get wrong.

Every error a person can cause (a bad file, a broken codebook, a wrong argument, an
unknown study) is a :class:`QualcodeError`. The CLI prints ``str(error)`` as one line on
stderr and exits with code 2; any other exception is a bug in qualcode.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

GOT_LIMIT = 200  # characters of what was found that a message shows


def safe_text(text: object, limit: int = GOT_LIMIT) -> str:
    """``text`` fit for a one-line message: control, format and line/paragraph separator
    characters (newlines, U+202E, U+2029 …) shown as escapes, and at most ``limit``
    characters kept, then "…" (a wrongly decoded 12 KB header or a 5,000-digit number is
    named, not echoed)."""
    text = str(text)
    cut = len(text) > limit
    out = []
    for ch in text[:limit] if cut else text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(ch.encode("unicode_escape").decode("ascii") if ord(ch) > 0x7F or ch in "\n\r\t"
                       else f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out) + ("…" if cut else "")


class QualcodeError(Exception):
    """Base class: a problem the user can fix, described in one line."""


@dataclass(eq=False)
class InputError(QualcodeError):
    """A file that could not be read as expected.

    ``file`` and ``line`` locate the problem, ``expected`` says what qualcode needs and
    ``got`` what it found instead.
    """

    file: str | Path | None
    expected: str
    got: str = ""
    line: int | None = None
    field: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = str(self.file) if self.file is not None else "input"
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f": field '{self.field}'"
        msg = f"{where}: expected {self.expected}"
        if self.got:
            msg += f", got {safe_text(self.got)}"
        return msg


class CodebookError(InputError):
    """A codebook that is not valid (duplicate id, unknown parent, cycle …)."""


class StoreError(QualcodeError):
    """The study store cannot do what was asked (unknown study, conflicting data …)."""


class ModelError(QualcodeError):
    """The embedding model cannot be loaded or used."""


class UsageError(QualcodeError):
    """A command was called with arguments that do not fit together."""


class OutputError(QualcodeError):
    """A file qualcode was asked to write cannot be written there (a folder, a device, no
    such folder, no permission); the message names the path."""


class StaleEditError(StoreError):
    """A write based on an out-of-date copy: someone else changed it since it was read.

    The message names who changed it and when, so nothing is overwritten silently."""


class AccessDenied(StoreError):
    """The acting user's role does not allow this; the message names the role needed."""
