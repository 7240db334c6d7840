"""Coding from the command line: decide, done, assign, disagreements, adjudicate."""

from __future__ import annotations

import argparse
import json
import sys

from qualcode.cli import bounds
from qualcode.errors import UsageError


def _yes_no(text: str) -> bool:
    if text.lower() in ("yes", "y", "true", "1", "present"):
        return True
    if text.lower() in ("no", "n", "false", "0", "absent"):
        return False
    raise argparse.ArgumentTypeError(f"expected yes or no, got {text!r}")


def _coders(text: str) -> list[str]:
    names = [c.strip() for c in text.split(",") if c.strip()]
    if len(names) < 2 or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"expected two or more different names separated by commas, got {text!r}")
    return names


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("decide", help="a coder applies (or rejects) a code on a segment")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--segment", type=bounds.record_id, required=True, metavar="ID")
    p.add_argument("--code", required=True, metavar="ID")
    p.add_argument("--coder", required=True, metavar="NAME")
    p.add_argument("--reject", action="store_true", help="record that the code does not apply")
    p.set_defaults(handler=cmd_decide)

    p = sub.add_parser("done", help="a coder marks a transcript done")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--transcript", required=True, metavar="NAME")
    p.add_argument("--coder", required=True, metavar="NAME")
    p.set_defaults(handler=cmd_done)

    p = sub.add_parser("assign", help="assign a blind double-coding sample of transcripts",
                       description="Assign a random fraction of transcripts to every named coder. On those "
                       "transcripts each coder sees only their own codes until all of them mark it done.")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--coders", type=_coders, required=True, metavar="A,B")
    p.add_argument("--fraction", type=float, required=True, help="share of transcripts, e.g. 0.2")
    p.add_argument("--stratify", choices=("group", "site", "role"), help="draw the fraction within each value")
    p.add_argument("--seed", type=bounds.seed, default=42)
    p.add_argument("--include-seen", action="store_true", help="also draw transcripts a coder already coded "
                   "with the machine's suggestions in view (recorded in the audit log)")
    p.set_defaults(handler=cmd_assign)

    p = sub.add_parser("reopen", help="a supervisor reopens a transcript a coder marked done")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--transcript", required=True, metavar="NAME")
    p.add_argument("--coder", required=True, metavar="NAME", help="whose done mark to undo")
    p.add_argument("--by", default="owner", metavar="NAME", help="who reopens it (kept in the audit log)")
    p.set_defaults(handler=cmd_reopen)

    p = sub.add_parser("disagreements", help="segments where two coders differ, side by side")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--coders", type=_coders, required=True, metavar="A,B")
    p.add_argument("--code", metavar="ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_disagreements)

    p = sub.add_parser("adjudicate", help="record the final code on a segment, with a rationale")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--segment", type=bounds.record_id, required=True, metavar="ID")
    p.add_argument("--code", required=True, metavar="ID")
    p.add_argument("--present", type=_yes_no, required=True, metavar="yes|no")
    p.add_argument("--by", required=True, metavar="NAME", help="the adjudicator")
    p.add_argument("--rationale", required=True, help="why (kept with the final code and in the audit log)")
    p.set_defaults(handler=cmd_adjudicate)


def _open(path: str):
    from qualcode.store import Study

    return Study.open(path)


def cmd_decide(args: argparse.Namespace) -> int:
    with _open(args.study) as study:
        study.decide(args.segment, args.code, args.coder, present=not args.reject)
    print(f"{args.coder}: {'rejected' if args.reject else 'applied'} {args.code} on segment {args.segment}")
    return 0


def cmd_done(args: argparse.Namespace) -> int:
    with _open(args.study) as study:
        study.mark_done(study.transcript_id(args.transcript), args.coder)
    print(f"{args.coder} marked {args.transcript} done")
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    if not 0 < args.fraction <= 1:
        raise UsageError(f"--fraction: expected a number above 0 and at most 1, got {args.fraction}")
    with _open(args.study) as study:
        seen = study.seen_transcripts(args.coders)
        names = study.assign(args.coders, args.fraction, args.stratify, args.seed, actor="owner",
                             include_seen=args.include_seen)
    for name, who in seen.items():
        print(f"warning: {name}: {', '.join(who)} already coded it with suggestions in view; " +
              ("included (--include-seen)" if args.include_seen else "left out of the sample"), file=sys.stderr)
    print(f"assigned {len(names)} transcript(s) to {', '.join(args.coders)} (blind until all mark them done):")
    for name in names:
        print(f"  {name}")
    return 0


def cmd_disagreements(args: argparse.Namespace) -> int:

    a, b = args.coders[:2]
    with _open(args.study) as study:
        rows = study.disagreements(a, b, args.code)
    if args.json:
        print(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=1))
        return 0
    if not rows:
        print(f"{a} and {b} agree on every code of the segments both coded")
    for r in rows:
        final = "" if r.final is None else f" | final: {'yes' if r.final else 'no'}"
        print(f"segment {r.segment} ({r.attribution}) code {r.code}: "
              f"{a}={'yes' if r.applied[0] else 'no'} {b}={'yes' if r.applied[1] else 'no'}{final}\n"
              f"  “{r.text[:200]}”")
    return 0


def cmd_adjudicate(args: argparse.Namespace) -> int:
    if not args.rationale.strip():
        raise UsageError("--rationale: expected a short reason, got an empty one")
    with _open(args.study) as study:
        study.set_final(args.segment, args.code, args.present, args.by, args.rationale)
    print(f"final: {args.code} {'applies' if args.present else 'does not apply'} on segment {args.segment}")
    return 0


def cmd_reopen(args: argparse.Namespace) -> int:
    with _open(args.study) as study:
        study.reopen(study.transcript_id(args.transcript), args.coder, args.by)
    print(f"{args.transcript} reopened for {args.coder}")
    return 0
