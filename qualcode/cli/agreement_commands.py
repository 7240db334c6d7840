"""Agreement commands: ``qualcode agreement`` (a table or a study)."""

from __future__ import annotations

import argparse
import json

from qualcode.cli import bounds
from qualcode.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    from qualcode.agreement import LEVELS, STATISTICS

    p = sub.add_parser(
        "agreement", help="inter-coder agreement, from a rating table or a study",
        description="With --table FILE.csv: one statistic on a units × coders table (first column the "
        "unit id, one column per coder, blank = missing), with a seeded bootstrap 95%% CI. "
        "With STUDY: per code and coder pair, percent agreement, Cohen's kappa, Krippendorff's "
        "alpha and Gwet's AC1, flagging codes below --threshold.")
    p.add_argument("study", metavar="STUDY", nargs="?", help="a study folder (instead of --table)")
    p.add_argument("--table", metavar="FILE", help="units × coders CSV table")
    p.add_argument("--statistic", choices=STATISTICS, default="alpha",
                   help="with --table: percent, cohen, scott, fleiss, alpha or ac1 (default alpha)")
    p.add_argument("--level", choices=LEVELS, default="nominal", help="for alpha: nominal, ordinal or interval")
    p.add_argument("--bootstrap", type=bounds.bootstrap, default=1000, metavar="N",
                   help="bootstrap resamples for the CI (0 to 100,000; default 1000)")
    p.add_argument("--seed", type=bounds.seed, default=42)
    p.add_argument("--coders", metavar="A,B", help="with STUDY: the coders to compare (default: all)")
    p.add_argument("--codes", metavar="ID,...", help="with STUDY: only these codes")
    p.add_argument("--threshold", type=float, default=0.667, help="flag codes with alpha below this")
    p.add_argument("--codebook-version", type=bounds.record_id, metavar="N",
                   help="with STUDY: only decisions made under this codebook version (default: all)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--out", metavar="FILE.xlsx", help="with STUDY: also write the tables to an Excel workbook")
    p.set_defaults(handler=cmd_agreement)


def cmd_agreement(args: argparse.Namespace) -> int:
    if bool(args.table) == bool(args.study):
        raise UsageError("expected either STUDY or --table FILE.csv, not " +
                         ("both" if args.table else "neither"))
    if args.bootstrap < 0:
        raise UsageError(f"--bootstrap: expected 0 or more resamples, got {args.bootstrap}")
    return _table(args) if args.table else _study(args)


def _table(args: argparse.Namespace) -> int:
    from qualcode.agreement import agreement
    from qualcode.io.tables import read_rating_table

    numeric = args.statistic == "alpha" and args.level in ("ordinal", "interval")
    coders, units, rows = read_rating_table(args.table, numeric=numeric)
    if args.statistic in ("cohen", "scott") and len(coders) != 2:
        raise UsageError(f"--statistic {args.statistic}: expected a table with exactly 2 coder columns, "
                         f"got {len(coders)} ({', '.join(coders)}); use fleiss, alpha or ac1 for more")
    result = agreement(rows, args.statistic, level=args.level, n_boot=args.bootstrap, seed=args.seed)
    if args.json:
        print(json.dumps(result.as_dict()))
    elif result.value is None:
        print(f"{args.statistic}: {result.reason} ({result.n_units} units, {result.n_coders} coders)")
    else:
        ci = f", 95% CI {result.ci_low:.4f} to {result.ci_high:.4f}" if result.ci_low is not None else ""
        level = f" ({args.level})" if args.statistic == "alpha" else ""
        print(f"{args.statistic}{level} = {result.value:.4f}{ci} ({result.n_units} units, {result.n_coders} coders)")
    return 0


def _study(args: argparse.Namespace) -> int:
    from pathlib import Path

    from qualcode.reports.agreement_report import agreement_rows, format_rows, write_agreement_xlsx
    from qualcode.store import Study

    if args.out and (Path(args.out).suffix.lower() != ".xlsx" or not Path(args.out).parent.exists()):
        raise UsageError(f"--out {args.out}: expected an .xlsx file in an existing folder")
    coders = [c.strip() for c in args.coders.split(",")] if args.coders else None
    codes = [c.strip() for c in args.codes.split(",")] if args.codes else None
    with Study.open(args.study) as study:
        rows = agreement_rows(study, coders, codes, threshold=args.threshold,
                              n_boot=args.bootstrap, seed=args.seed, version=args.codebook_version)
    if args.out:
        write_agreement_xlsx(rows, args.out, args.threshold)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print(format_rows(rows, args.threshold))
        if args.out:
            print(f"wrote {args.out}")
    return 0
