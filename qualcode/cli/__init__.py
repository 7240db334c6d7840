"""The ``qualcode`` command: parse, call the Study API, print, exit.

Errors a user can fix (:class:`QualcodeError`, bad arguments) end in ONE line on
stderr and exit code 2; anything else is a bug and keeps its traceback.
Heavy modules are imported inside the commands so that ``qualcode --help`` is fast.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Sequence

from qualcode import __version__
from qualcode.errors import QualcodeError, safe_text

_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<got>[^']*)' \(choose from (?P<choices>[^)]*)\)")


def did_you_mean(message: str) -> str:
    """argparse's "invalid choice" message, with the nearest choice named first when one is
    close (a typo such as ``reprot``); any other message unchanged."""
    m = _INVALID_CHOICE.search(message)
    if not m:
        return message
    choices = re.findall(r"'([^']*)'", m["choices"])
    near = difflib.get_close_matches(m["got"], choices, n=1, cutoff=0.6)
    return f"{message}; did you mean '{near[0]}'?" if near else message


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(2, f"{self.prog}: error: {did_you_mean(message)} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    from qualcode.cli import agreement_commands as ac
    from qualcode.cli import coding_commands as cc
    from qualcode.cli import discover_commands as dc
    from qualcode.cli import export_commands as ec
    from qualcode.cli import learning_commands as lc
    from qualcode.cli import report_commands as rc
    from qualcode.cli import study_commands as sc
    from qualcode.cli import user_commands as uc

    parser = _Parser(prog="qualcode", description=(
        "Qualitative coding of interview transcripts, on this computer only. "
        "Typical use: qualcode init STUDY --codebook CODEBOOK.yaml; "
        "qualcode import STUDY transcripts/ --participants participants.csv; "
        "qualcode code STUDY; qualcode report STUDY --out report.md; qualcode app STUDY."))
    parser.add_argument("--version", action="version", version=f"qualcode {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sc.register(sub)
    cc.register(sub)
    lc.register(sub)
    ac.register(sub)
    ec.register(sub)
    rc.register(sub)
    uc.register(sub)
    dc.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except QualcodeError as exc:
        # one line whatever the message holds (a file's text, a driver's multi-line message)
        print(f"qualcode {args.command}: error: {safe_text(exc, 2000)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qualcode: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
