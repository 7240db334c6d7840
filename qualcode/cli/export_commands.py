"""Exchange commands: ``qualcode export`` (REFI-QDA, tables for pandas and R, Taguette)."""

from __future__ import annotations

import argparse
from pathlib import Path

from qualcode.cli.study_commands import _fraction, _open


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write a REFI-QDA project or codebook, a table of codings, or Taguette files",
                       description="The format follows --out. FILE.qdpx: a REFI-QDA project for NVivo, ATLAS.ti, "
                       "MAXQDA and QualCoder (transcripts, codebook, every coder's codes as their own user, "
                       "'final' for adjudicated codes, memos, participants as cases). FILE.qdc: the codebook. "
                       "codings.csv / .xlsx / .parquet: one row per coding with every participant attribute "
                       "(--wide: a 0/1 segment x code matrix). codebook.csv: Taguette's codebook CSV. "
                       "FOLDER/: the transcripts as .txt files (Taguette's document import). "
                       "To read files back in: qualcode import STUDY FILE.qdpx; qualcode codebook STUDY FILE.qdc")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--out", metavar="FILE", required=True,
                   help="FILE.qdpx, FILE.qdc, codings.csv|.xlsx|.parquet, codebook.csv (Taguette) or FOLDER/")
    p.add_argument("--machine", type=_fraction, metavar="CONFIDENCE", default=None,
                   help=".qdpx: also export machine suggestions with at least this confidence (user 'qualcode')")
    p.add_argument("--wide", action="store_true", help="tables: one row per segment, a 0/1 column per code")
    p.add_argument("--bom", action="store_true", help="CSV: start with a byte-order mark (for Excel)")
    add_redaction_arguments(p)
    p.set_defaults(handler=cmd_export)


def add_redaction_arguments(p: argparse.ArgumentParser) -> None:
    """--redact / --identifiable, the same on every command that writes the study's text."""
    p.add_argument("--redact", metavar="FILE",
                   help="more names or phrases to replace by [name], one a line (names on the participants "
                   "sheet and speaker labels are always replaced)")
    p.add_argument("--identifiable", action="store_true",
                   help="keep names in the text (recorded in the audit log); by default they are replaced")


def redactor_for(study, args: argparse.Namespace):  # noqa: ANN001, ANN201
    """The redactor every export uses: names replaced unless --identifiable."""
    from qualcode.errors import UsageError
    from qualcode.redact import Redactor

    if args.identifiable and args.redact:
        raise UsageError("--redact and --identifiable: expected one of them, got both")
    return Redactor.from_study(study, args.redact, identifiable=args.identifiable)


def cmd_export(args: argparse.Namespace) -> int:
    from qualcode.exports import format_for, write_export

    out = Path(args.out)
    fmt = format_for(args.out, args.wide)
    with _open(args.study) as study:
        redactor = redactor_for(study, args)
        project = None
        if fmt.name == "qdpx":
            from qualcode.store.refi_project import refi_project

            project = refi_project(study, args.machine)
        written = write_export(study, out, fmt, machine_threshold=args.machine, bom=args.bom, wide=args.wide,
                               project=project, redactor=None if args.identifiable else redactor)
        from qualcode.cli.user_commands import owner_name

        study.record_export(owner_name(), fmt.name, str(out.resolve()), identifiable=args.identifiable)
        if args.identifiable:
            print("IDENTIFIABLE: names kept in the text (recorded in the audit log)")
        if project is not None:
            n_codings = sum(len(sel.codings) for src in project.sources for sel in src.selections)
            print(f"wrote {out}: {len(project.sources)} transcripts, {len(project.codebook)} codes, "
                  f"{n_codings} codings by {len(project.users)} user(s), {len(project.participants)} cases")
        elif fmt.name == "qdc":
            print(f"wrote {out}: codebook '{study.codebook().name}', {len(study.codebook())} codes")
        elif fmt.name == "transcripts":
            print(f"wrote {len(written)} transcript(s) to {out}")
        else:
            print(f"wrote {out} ({fmt.description})")
    return 0
