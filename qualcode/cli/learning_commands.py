"""Learning commands: ``qualcode next`` (what to code next) and ``qualcode evaluate``."""

from __future__ import annotations

import argparse
import json
import sys

from qualcode.cli import bounds
from qualcode.cli.study_commands import (
    _fraction,
    _positive_int,
    _progress_bar,
    make_study_embedder,
    warn_if_not_tunable,
)
from qualcode.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    # "100" is active.COLD_START, written out so that the CLI starts without numpy (tested)
    p = sub.add_parser("next", help="the segments whose coding would teach the model most",
                       description="Lists segments nobody has coded yet, chosen for what they would "
                       "teach the suggestions: until 100 segments are coded, the most typical segment "
                       "of each group of similar segments coded least; then the ones the suggestions "
                       "are least sure about, each different from the others. Run 'qualcode code "
                       "STUDY' after coding to refresh the suggestions.")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--coder", required=True, metavar="NAME")
    p.add_argument("-n", type=bounds.listed, default=20, help="how many, at most 10,000 (default 20)")
    p.add_argument("--model", type=bounds.model_name_or_path, metavar="NAME_OR_PATH", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_next)

    p = sub.add_parser("evaluate", help="measure suggestions against human-coded texts (gold CSV)",
                       description="GOLD is id,text,<one 0/1 column per code> (other columns named by "
                       "--groups / --text-column). Splits the rows (train_test_split(test_size, random_state="
                       "seed); by --groups, whole groups), fits the suggestion engine that 'qualcode code' "
                       "uses on the training rows (all of them, or a simulated coder's BUDGET rows chosen at "
                       "random or by active learning) and scores what a coder would be shown on the test "
                       "rows: micro/macro/samples F1, precision and recall of the shown suggestions, "
                       "precision of the top suggestion, calibration (ECE and a reliability table), and "
                       "per-code precision, recall, F1 and Cohen's kappa.")
    p.add_argument("gold", metavar="GOLD.csv")
    p.add_argument("--test-size", type=_fraction, default=0.2)
    p.add_argument("--test", metavar="TEST.csv", help="train on every GOLD row, test on this file's rows "
                   "(the same code columns)")
    p.add_argument("--groups", metavar="COLUMN", help="a column naming each row's transcript or participant: "
                   "every row of one group on the same side of the split")
    p.add_argument("--text-column", metavar="COLUMN", default="text", help="the column holding the text "
                   "(default text)")
    p.add_argument("--predictions", metavar="OUT.csv", help="write each test row's id, its coders' codes and "
                   "the codes shown with their confidences")
    p.add_argument("--seed", type=bounds.seed, default=42)
    p.add_argument("--strategy", choices=("full", "random", "active"), default="full")
    p.add_argument("--budget", type=bounds.bounded_int(0, bounds.MAX_ID), default=200, metavar="N",
                   help="rows a simulated coder labels (random/active); 0 with --codebook: cold start")
    p.add_argument("--round-size", type=_positive_int, default=10, metavar="N",
                   help="active: rows the simulated coder labels between retrainings (default 10)")
    p.add_argument("--codebook", metavar="FILE", help="YAML codebook or code,definition CSV: used for codes "
                   "with no labelled example yet (and alone with --budget 0)")
    p.add_argument("--model", type=bounds.model_name_or_path, metavar="NAME_OR_PATH", default=None)
    p.add_argument("--fine-tune", choices=("auto", "always", "never"), default="auto",
                   help="also fine-tune the embedding model on the labelled rows (auto: with a "
                   "sentence-transformers model and at least 200 rows; a few minutes on a CPU)")
    p.add_argument("--repeats", type=bounds.bounded_int(1, 1000), default=1, metavar="N",
                   help="evaluate on N splits (seeds SEED, SEED+1 …) and report the mean and spread: one "
                   "split of a few hundred rows is a small sample (default 1)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_evaluate)


def cmd_next(args: argparse.Namespace) -> int:
    from qualcode.store import Study
    from qualcode.workflow import next_segments

    with Study.open(args.study) as study:
        picks = next_segments(study, args.coder, make_study_embedder(args.model), args.n)
    if args.json:
        print(json.dumps([{"id": p.segment.id, "transcript": p.segment.transcript,
                           "participant": p.segment.participant_id, "text": p.segment.text,
                           "reason": p.reason, "uncertainty": round(p.uncertainty, 4),
                           "code": p.code_id, "confidence": p.confidence} for p in picks], ensure_ascii=False, indent=1))
        return 0
    if not picks:
        print(f"nothing left to code: every segment is coded, or in a transcript {args.coder} marked done")
    for p in picks:
        print(f"segment {p.segment.id} [{p.segment.transcript}] {p.segment.attribution()} — {p.why}\n"
              f"  “{p.segment.text[:160]}”")
    return 0


def _figures(of: dict, sd: dict | None = None) -> str:
    """'micro-F1 0.561   macro-F1 0.299   samples-F1 0.575', with '± sd' after each if given."""
    from qualcode.pipeline.evaluate import FIGURES

    return "   ".join(f"{k.replace('_f1', '-F1')} {of[k]:.3f}" + (f" ± {sd[k]:.3f}" if sd else "") for k in FIGURES)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from qualcode.io.codebook import load_codebook
    from qualcode.io.gold import read_gold
    from qualcode.pipeline.evaluate import evaluate_repeated

    if args.budget < 0:
        raise UsageError(f"--budget: expected 0 or more rows, got {args.budget}")
    if args.budget == 0 and args.strategy != "full" and not args.codebook:
        raise UsageError("--budget 0 (cold start) needs --codebook FILE: with no labels the codebook is the model")
    if not 0 < args.test_size < 1:
        raise UsageError(f"--test-size: expected a fraction between 0 and 1, got {args.test_size}")
    if args.test and args.groups:
        raise UsageError("--groups splits GOLD; with --test the split is GOLD against TEST: give one of the two")
    gold = read_gold(args.gold, args.text_column, (args.groups,) if args.groups else ())
    test = read_gold(args.test, args.text_column) if args.test else None
    if test is not None:
        test = align_codes(test, gold.codes, args.test)
    if args.groups and len(set(gold.columns[args.groups])) < 2:
        raise UsageError(f"--groups {args.groups}: expected at least 2 groups in {args.gold}, "
                         f"got {len(set(gold.columns[args.groups]))}")
    codebook = load_codebook(args.codebook) if args.codebook else None
    embedder = make_study_embedder(args.model)
    warn_if_not_tunable(embedder, args.fine_tune)
    bar, update = _progress_bar("embedding")
    tuning_bar, tuning_update = _progress_bar("fine-tuning", unit="step")
    try:
        result = evaluate_repeated(gold, embedder, args.repeats, args.seed, test_size=args.test_size,
                                   strategy=args.strategy, budget=args.budget, codebook=codebook, progress=update,
                                   fine_tune=args.fine_tune, tuning_progress=tuning_update,
                                   round_size=args.round_size, groups=args.groups, test=test)
    finally:
        bar.close()
        tuning_bar.close()
    predictions = result.pop("predictions")
    if args.predictions:
        write_predictions(args.predictions, predictions)
    if args.json:
        print(json.dumps(result))
        return 0
    w = sys.stdout.write
    w(f"{args.strategy}" + (f", budget {result['n_train']}" if args.strategy != "full" else "") +
      f": trained on {result['n_train']} rows{' (embedding model fine-tuned)' if result['fine_tuned'] else ''}, "
      f"tested on {result['n_test']}" + (f", on each of {result['repeats']} splits" if "splits" in result else "") +
      f" ({result['seconds']} s)\n")
    if "splits" in result:
        for split in result["splits"]:
            w(f"  split seed {split['seed']}: {_figures(split)}\n")
        w(f"mean of {result['repeats']} splits ± standard deviation; per code: means, support summed\n")
    w(_figures(result, result.get("sd")) + "\n")
    w(f"shown (each segment's best, others from their code's learnt threshold, pooled {result['shown_from']:.2f}): "
      f"{result['shown']} suggestions, precision "
      f"{result['shown_precision']:.3f}, recall {result['shown_recall']:.3f}; top suggestion right "
      f"{result['precision_at_1']:.3f}; ECE {result['ece']:.3f}\n")
    w(f"{'confidence':<12} {'suggestions':>11} {'mean conf':>9} {'accepted':>8}\n")
    for band in result["reliability"]:
        conf = "      -" if band["confidence"] is None else f"{band['confidence']:9.3f}"
        acc = "       -" if band["accepted"] is None else f"{band['accepted']:8.3f}"
        w(f"{band['low']:.1f}-{band['high']:.1f}{'' if band['shown'] else ' below':<5} {band['n']:>11} {conf} {acc}\n")
    w("\n")
    w(f"{'code':<48} {'support':>7} {'prec':>6} {'recall':>6} {'F1':>6} {'kappa':>6} {'shown from':>10}\n")
    for code, m in sorted(result["per_code"].items(), key=lambda kv: -kv[1]["support"]):
        kappa = "   n/a" if m["kappa"] is None else f"{m['kappa']:6.3f}"
        shown_from = f"{m['shown_from']:10.2f}" if "shown_from" in m else f"{'':>10}"  # one split: learnt per code
        w(f"{code[:48]:<48} {m['support']:>7} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {kappa} "
          f"{shown_from}\n")
    return 0


def align_codes(test, codes: list[str], path: str):  # noqa: ANN001, ANN201
    """The test file's rows with their code columns in the gold's order; a code missing
    from either file is an error naming it."""
    import dataclasses

    from qualcode.errors import InputError

    missing = [c for c in codes if c not in test.codes]
    extra = [c for c in test.codes if c not in codes]
    if missing or extra:
        raise InputError(path, "the same code columns as GOLD",
                         "; ".join(p for p in (f"missing {', '.join(missing)}" if missing else "",
                                               f"not in GOLD {', '.join(extra)}" if extra else "") if p), line=1)
    order = [test.codes.index(c) for c in codes]
    return dataclasses.replace(test, codes=list(codes), Y=test.Y[:, order])


def write_predictions(path: str, predictions: list[dict]) -> None:
    """id, the coders' codes, the codes shown and their confidences (``;``-separated), one row per test row."""
    import csv
    import io

    from qualcode.io.atomic import write_atomic

    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(["id", "coded", "shown", "confidence"])
    for p in predictions:
        out.writerow([p["id"], "; ".join(p["gold"]), "; ".join(c for c, _ in p["shown"]),
                      "; ".join(f"{v:.3f}" for _, v in p["shown"])])
    write_atomic(path, buffer.getvalue())
