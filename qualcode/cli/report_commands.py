"""Report commands: ``report`` (theme report, framework matrix) and ``saturation``."""

from __future__ import annotations

import argparse
import getpass
import json
from pathlib import Path

from qualcode.cli import bounds
from qualcode.cli.study_commands import _fraction, _open
from qualcode.errors import UsageError

SOURCE_CHOICES = ("best", "final", "human", "machine", "auto")
FORMATS = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html", ".docx": "docx",
           ".xlsx": "xlsx"}


def _share(text: str) -> float:
    value = _fraction(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1 (e.g. 0.05), got {value}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="write the theme report (Markdown, HTML, Word) or its workbook (Excel)",
        description="Counts by any participant attribute (participants 'of' each group and segments), "
        "representative quotes (whole sentences, marked when from machine suggestions), code co-occurrence, "
        "charts, saturation and the framework matrix. The format follows the file name: .md, .html, .docx "
        "or .xlsx. Names are replaced in every text unless --identifiable (recorded in the audit log).")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--out", metavar="FILE", required=True, help="report.md, report.html, report.docx or report.xlsx")
    p.add_argument("--by", metavar="ATTR[,ATTR]", default="group",
                   help="participant attribute(s) to break counts down by: group, role, site or any column "
                   "of the participants sheet (e.g. gender,age_band); default group")
    p.add_argument("--source", choices=SOURCE_CHOICES, default="best",
                   help="coding counted: final, human (coders'), machine (the suggestions coders are shown) or "
                   "best (final where adjudicated, else coders', else suggestions; marked); auto = best")
    p.add_argument("--threshold", type=_fraction, default=None, metavar="CONFIDENCE",
                   help="count machine suggestions from this confidence instead of those the engine decided to "
                   "show coders (default: the ones shown, as on the Code page)")
    p.add_argument("--redact", metavar="FILE", help="more names or phrases to replace by [name], one a line")
    p.add_argument("--identifiable", action="store_true",
                   help="keep names in quotes and text (recorded in the study's audit log)")
    p.add_argument("--saturation-threshold", type=_share, default=0.05, metavar="SHARE",
                   help="saturation: fewer than this share of codes new after an interview (default 0.05)")
    p.add_argument("--title", help="the report's title (default: 'Theme report: STUDY')")
    p.set_defaults(handler=cmd_report)

    p = sub.add_parser(
        "saturation", help="new codes per successive interview and where they stop (Guest et al. 2006)",
        description="For the codes counted (as in 'report'), the new codes each interview adds in import "
        "order, the cumulative curve, and the interview after which fewer than --threshold of all codes "
        "appear; per attribute group with --by; over random orders with --orders.")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--by", metavar="ATTR", help="one participant attribute: a curve per group")
    p.add_argument("--orders", type=bounds.orders, default=0, metavar="N",
                   help="also N random interview orders (at most 10,000): mean curve, band (lowest–highest) "
                   "and median point")
    p.add_argument("--threshold", type=_share, default=0.05, metavar="SHARE", help="share of new codes (0.05)")
    p.add_argument("--source", choices=SOURCE_CHOICES, default="best", help="coding counted (as in report)")
    p.add_argument("--confidence", type=_fraction, default=None,
                   help="count machine suggestions from this confidence instead of those the engine decided to "
                   "show coders (default: the ones shown)")
    p.add_argument("--seed", type=bounds.seed, default=0, help="random orders' seed (default 0)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=cmd_saturation)


def _actor() -> str:
    try:
        return getpass.getuser() or "cli"
    except (KeyError, OSError):  # no login name (some containers)
        return "cli"


def cmd_report(args: argparse.Namespace) -> int:
    from qualcode.redact import Redactor
    from qualcode.reports import paper_formats as pf
    from qualcode.reports.data import collect
    from qualcode.reports.theme_report import write_markdown_report

    out = Path(args.out)
    kind = FORMATS.get(out.suffix.lower())
    if kind is None:
        raise UsageError(f"--out {out}: expected a file ending in .md, .html, .docx or .xlsx, "
                         f"got '{out.suffix or 'no extension'}'")
    if not out.parent.exists():
        raise UsageError(f"--out {out}: expected an existing folder, got no folder {out.parent}")
    if args.identifiable and args.redact:
        raise UsageError("--redact and --identifiable: expected one of them, got both")
    writers = {"markdown": write_markdown_report, "html": pf.write_html_report, "docx": pf.write_docx_report,
               "xlsx": pf.write_xlsx_report}
    with _open(args.study) as study:
        redactor = Redactor.from_study(study, args.redact, identifiable=args.identifiable)
        data = collect(study, source=args.source, threshold=args.threshold, by=args.by, redactor=redactor,
                       title=args.title, saturation_threshold=args.saturation_threshold)
        writers[kind](data, out)
        study.record_export(_actor(), f"report {kind}", str(out), identifiable=args.identifiable)
    print(f"wrote {out}" + (" (IDENTIFIABLE: names kept; recorded in the audit log)" if args.identifiable else
                            " (names replaced)"))
    return 0


def cmd_saturation(args: argparse.Namespace) -> int:
    from qualcode.reports.data import collect_saturation
    from qualcode.reports.saturation import format_table

    with _open(args.study) as study:
        results = collect_saturation(study, args.by, args.threshold, args.orders, args.source, args.confidence,
                                     args.seed)
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2, ensure_ascii=False))
    elif not results:
        print("no codeable segments yet")
    else:
        print("\n\n".join(format_table(r) for r in results))
    return 0
