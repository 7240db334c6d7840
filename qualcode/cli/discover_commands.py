"""``qualcode discover``: candidate themes, set against the codebook and the groups; and
turning one into a code (``--promote N --name``) or into suggestions (``--merge N --into``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.cli import bounds
from qualcode.cli.study_commands import _positive_int, _progress_bar, make_study_embedder
from qualcode.errors import InputError, UsageError

if TYPE_CHECKING:
    from qualcode.records import DiscoveredCluster, DiscoveryRun


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("discover", help="candidate themes by clustering the segments",
                       description="Clusters the codeable segments by meaning (k-means on the embeddings; "
                       "segments far from every cluster are kept apart as outliers), labels each cluster "
                       "with its most distinctive words and phrases (without fillers, contractions and "
                       "names), quotes it from different participants, lists the codes nearest to it and "
                       "marks it *new* when none is near. With --by, shows how each cluster spreads over a "
                       "participant attribute's groups and which clusters belong to one group (Fisher's "
                       "exact test, Benjamini-Hochberg corrected). Each run is kept in the study. Then "
                       "--promote N --name NAME makes cluster N a code; --merge N --into CODE makes its "
                       "segments suggestions for CODE.")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--scope", choices=("all", "uncoded"), default="all",
                   help="all codeable segments, or only those nobody has coded (default all)")
    p.add_argument("--by", metavar="ATTR", help="participant attribute to compare (group, role, site, …)")
    p.add_argument("--min-size", type=_positive_int, default=None, metavar="N",
                   help="smallest cluster kept (default: 3, or 1 %% of the segments)")
    p.add_argument("--clusters", type=bounds.listed, default=None, metavar="N", help="how many (default: from size)")
    p.add_argument("--seed", type=bounds.seed, default=0, help="the same seed gives the same clusters (default 0)")
    p.add_argument("--redact", metavar="FILE", help="names never to use as labels, one per line")
    p.add_argument("--model", type=bounds.model_name_or_path, metavar="NAME_OR_PATH", default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--promote", type=bounds.record_id, metavar="N", help="make cluster N of the latest run a new code")
    p.add_argument("--name", metavar="NAME", help="with --promote: the new code's name")
    p.add_argument("--parent", metavar="CODE", help="with --promote: put the new code under CODE")
    p.add_argument("--merge", type=bounds.record_id, metavar="N", help="suggest code --into for cluster N's segments")
    p.add_argument("--into", metavar="CODE", help="with --merge: the code")
    p.add_argument("--run", type=_positive_int, metavar="ID", help="with --promote/--merge: an earlier run")
    p.add_argument("--coder", metavar="NAME", help="who promotes or merges (required for those)")
    p.set_defaults(handler=cmd_discover)


def _read_redact(path: str) -> tuple[str, ...]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(file=path, expected="a UTF-8 text file, one name per line", got=str(exc)) from None
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _act(args: argparse.Namespace, study) -> int:  # noqa: ANN001
    if not args.coder:
        raise UsageError("--coder: expected who promotes or merges (a person's name), got none")
    if args.promote is not None:
        if not args.name:
            raise UsageError("--name: expected the new code's name with --promote, got none")
        code_id = study.promote_cluster(args.promote, args.name, args.coder, run_id=args.run, parent=args.parent)
        code = study.codebook().get(code_id)
        print(f"cluster {args.promote} is now code {code_id} ('{code.name}'), codebook version "
              f"{study.codebook_version()}\n  definition (a draft: edit it): {code.definition}")
        return 0
    if not args.into:
        raise UsageError("--into: expected the code to merge cluster into, got none")
    n = study.merge_cluster(args.merge, args.into, args.coder, run_id=args.run)
    print(f"{n} segments of cluster {args.merge} are now suggestions for {args.into} "
          f"(reason 'discovery cluster {args.merge}'); accept or reject them in the app")
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    from qualcode.store import Study
    from qualcode.workflow import discover_study

    if args.promote is not None and args.merge is not None:
        raise UsageError("--promote/--merge: expected one of them, got both")
    redact = _read_redact(args.redact) if args.redact else ()
    with Study.open(args.study) as study:
        if args.promote is not None or args.merge is not None:
            return _act(args, study)
        bar, update = _progress_bar("embedding")
        try:
            discover_study(study, make_study_embedder(args.model), args.clusters, update, scope=args.scope,
                           by=args.by, min_size=args.min_size, seed=args.seed, redact=redact)
        finally:
            bar.close()
        run = study.discovery()
        texts = {s.id: s for s in study.segments(ids=[i for c in run.clusters for i in c.exemplars])}
    if args.json:
        out = run.as_dict()
        for c in out["clusters"]:
            c["quotes"] = [{"segment": i, "text": texts[i].text, "attribution": texts[i].attribution()}
                           for i in c["exemplars"]]
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    print_run(run, texts)
    return 0


def label_text(cluster: DiscoveredCluster, n: int = 6) -> str:
    """The cluster's top labels, or why it has none (short replies are all stop words)."""
    return ", ".join(cluster.keywords[:n]) or "(no distinctive words: mostly short replies)"


def print_run(run: DiscoveryRun, texts: dict) -> None:
    clusters = run.clusters
    if not clusters:
        print("no clusters: too few segments, or none as large as --min-size")
        return
    print(f"run {run.id}: {len(clusters)} clusters, {len(run.outliers)} segments in none "
          f"(outliers), seed {run.seed}, model {run.model}")
    for c in clusters:
        flag = "NEW  " if c.new else ""
        print(f"\n{flag}cluster {c.label}: {label_text(c)} — {c.size} segments, "
              f"{c.participants} participants")
        if c.nearest_codes:
            print("  nearest codes: " + "; ".join(f"{n.code} (similarity {n.similarity:.2f}, "
                                                  f"{n.coded_share:.0%} coded with it)"
                                                  for n in c.nearest_codes))
        if c.groups:
            print(f"  by {run.params['by']}: " + ", ".join(f"{g} {n}" for g, n in c.groups.items()) +
                  (f" — specific to {', '.join(c.specific_to)}" if c.specific_to else ""))
        for sid in c.exemplars:
            print(f"  “{' '.join(texts[sid].text.split())[:160]}” ({texts[sid].attribution()})")
    specific = [g for g in run.groups or () if g.specific]
    if run.groups is not None:
        print(f"\nclusters specific to one {run.params['by']} (Fisher's exact test, one-sided, "
              "Benjamini-Hochberg q < 0.05; segments of one participant are not independent, so mind "
              "the participants column):")
        for g in specific or []:
            print(f"  cluster {g.cluster} · {g.group}: {g.share_in_group:.0%} of its segments vs "
                  f"{g.share_elsewhere:.0%} elsewhere, {g.segments} segments from {g.participants} "
                  f"participants, p = {g.p:.2g}, q = {g.q:.2g}")
        if not specific:
            print("  none")
