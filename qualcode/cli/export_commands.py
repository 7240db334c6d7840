"""Exchange commands: ``qualcode export`` (REFI-QDA project or codebook)."""

from __future__ import annotations

import argparse
from pathlib import Path

from qualcode.cli.study_commands import _fraction, _open
from qualcode.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write a REFI-QDA project (.qdpx) or codebook (.qdc)",
                       description="REFI-QDA exchange files open in NVivo, ATLAS.ti, MAXQDA, QualCoder and "
                       "Taguette. A .qdpx holds the transcripts, the codebook, every coder's codes (one "
                       "user per coder, plus 'final' for adjudicated codes), memos, and participants as "
                       "cases with their group, role and site. A .qdc holds the codebook only. "
                       "To read a REFI-QDA codebook in: qualcode codebook STUDY FILE.qdc")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--out", metavar="FILE", required=True, help="FILE.qdpx (project) or FILE.qdc (codebook)")
    p.add_argument("--machine", type=_fraction, metavar="CONFIDENCE", default=None,
                   help="also export machine suggestions with at least this confidence (user 'qualcode')")
    p.set_defaults(handler=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from qualcode.io.refi import write_qdc, write_qdpx
    from qualcode.workflow import refi_project

    out = Path(args.out)
    kind = out.suffix.lower()
    if kind not in (".qdpx", ".qdc"):
        raise UsageError(f"--out {out}: expected a file ending in .qdpx (project) or .qdc (codebook), "
                         f"got '{out.suffix or 'no extension'}'")
    if not out.parent.exists():
        raise UsageError(f"--out {out}: expected an existing folder, got no folder {out.parent}")
    with _open(args.study) as study:
        from qualcode.cli.user_commands import owner_name

        study.audit_export(kind.lstrip("."), out.resolve(), actor=owner_name())
        if kind == ".qdc":
            codebook = study.codebook()
            write_qdc(codebook, out, scope=study.folder.name)
            print(f"wrote {out}: codebook '{codebook.name}', {len(codebook)} codes")
            return 0
        project = refi_project(study, args.machine)
    write_qdpx(project, out)
    n_codings = sum(len(sel.codings) for src in project.sources for sel in src.selections)
    print(f"wrote {out}: {len(project.sources)} transcripts, {len(project.codebook)} codes, "
          f"{n_codings} codings by {len(project.users)} user(s), {len(project.participants)} cases")
    return 0
