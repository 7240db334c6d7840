"""Study commands: init, import, codebook, code, segments, demo, app (report: report_commands.py)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from qualcode.cli import bounds
from qualcode.errors import InputError, UsageError
from qualcode.exports import segment_rows  # noqa: F401  (the app imports it from here)

_positive_int = bounds.positive_int  # other command modules import it from here


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {value}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="create a study folder and its database",
                       description="Create STUDY (a new folder) with its database and, optionally, a codebook.")
    p.add_argument("study", metavar="STUDY", help="folder to create")
    p.add_argument("--codebook", metavar="FILE", help="codebook YAML (or code,definition CSV) to start with")
    p.add_argument("--from", dest="from_project", metavar="PROJECT",
                   help="start from a REFI-QDA project (.qdpx or .qde from NVivo, ATLAS.ti, MAXQDA, QualCoder, "
                   "Taguette or qualcode): its texts, codes, codings, coders, memos and cases")
    p.add_argument("--db", metavar="URL", help="database URL (default: SQLite file in STUDY; "
                   "or QUALCODE_DATABASE_URL), e.g. postgresql://user@localhost/qualcode")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("import", help="import transcripts and/or a participants sheet",
                       description="Import transcripts (.txt .docx .vtt .srt .csv, or folders of them) "
                       "in one transaction: if any file is bad, nothing is imported. Unchanged files "
                       "already in the study are skipped. A REFI-QDA project (.qdpx or .qde) brings its texts, "
                       "codes, codings by coder, memos and cases, and says what it skipped (audio, video, …).")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("files", metavar="FILE", nargs="*", help="transcript files or folders")
    p.add_argument("--participants", metavar="CSV", help="participants sheet (see data_templates/participants.csv)")
    p.add_argument("--max-words", type=bounds.segment_words, default=None,
                   help="longest segment in words, at most 100,000 (default 80, or QUALCODE_SEGMENT_WORDS)")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("codebook", help="show, load or change the study's codebook (each change is a new version)",
                       description="Without FILE or a change, print the current codebook as YAML. With FILE, "
                       "check it and store it as the next codebook version. --rename, --define, --merge "
                       "and --split change one code and store a new version; earlier versions and the "
                       "coding done under them are kept.")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("file", metavar="FILE", nargs="?")
    p.add_argument("--version", type=bounds.record_id, metavar="N", help="print this version instead of the current one")
    p.add_argument("--versions", action="store_true", help="list the codebook versions")
    change = p.add_mutually_exclusive_group()
    change.add_argument("--rename", nargs=2, metavar=("ID", "NAME"), help="give a code a new name")
    change.add_argument("--define", nargs=2, metavar=("ID", "DEFINITION"), help="give a code a new definition")
    change.add_argument("--merge", nargs=2, metavar=("SOURCE", "TARGET"), help="merge SOURCE into TARGET")
    change.add_argument("--split", nargs="+", metavar="ID NEW_ID:NAME",
                        help="split ID into two or more new codes, e.g. --split access phones:'Phone lines' "
                        "slots:'Appointment slots'")
    p.add_argument("--by", default="supervisor", metavar="NAME", help="who makes the change (audit log)")
    p.add_argument("--note", default="", help="why this version (kept in the audit log)")
    p.add_argument("--map", action="append", default=[], metavar="OLD=NEW",
                   help="with FILE: give the codings of study code OLD (absent from FILE) to FILE's code NEW")
    p.add_argument("--dry-run", action="store_true", help="with FILE: show what would change, store nothing")
    p.set_defaults(handler=cmd_codebook)

    p = sub.add_parser("code", help="suggest codes for every segment (learning from coders' decisions)",
                       description="Embed the study's segments (cached: unchanged text is never "
                       "embedded twice), learn from every human decision, and store machine suggestions.")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--model", type=bounds.model_name_or_path, metavar="NAME_OR_PATH", default=None,
                   help="sentence-transformers model name or local folder (default: the bundled "
                   "all-MiniLM-L6-v2; 'hash' for a model-free lexical embedder)")
    p.add_argument("--floor", type=_fraction, default=0.3, help="store suggestions with at least this confidence")
    p.add_argument("--fine-tune", choices=("auto", "always", "never"), default="auto",
                   help="also fine-tune the embedding model on the decided segments (auto: with a "
                   "sentence-transformers model and at least 200 decided segments; a few minutes on a CPU)")
    p.set_defaults(handler=cmd_code)

    p = sub.add_parser("segments", help="write the study's segments (CSV or JSON) to stdout or a file",
                       description="One row per segment with its participant's attributes; in CSV each "
                       "coder's codes (and the final codes) in a column of their own, 'codes: NAME'.")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--format", choices=("csv", "json"), default=None,
                   help="default: from --out's suffix, else json")
    p.add_argument("--out", metavar="FILE", help="write to FILE (atomically) instead of stdout")
    p.add_argument("--bom", action="store_true", help="CSV: start with a byte-order mark (for Excel)")
    p.add_argument("--transcript", metavar="NAME", help="only this transcript")
    p.add_argument("--codeable", action="store_true", help="leave out interviewer turns and procedural lines")
    p.add_argument("--coder", metavar="NAME", help="show what this coder may see (blind double-coding applies)")
    from qualcode.cli.export_commands import add_redaction_arguments

    add_redaction_arguments(p)
    p.set_defaults(handler=cmd_segments)

    p = sub.add_parser("demo", help="build, code and report the example study, then open the app")
    p.add_argument("dir", metavar="DIR", nargs="?", default="qualcode-demo")
    p.add_argument("--no-app", action="store_true", help="do not start the app")
    p.add_argument("--model", type=bounds.model_name_or_path, metavar="NAME_OR_PATH", default=None)
    p.add_argument("--port", type=bounds.port, default=8501)
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("app", help="open the coding app in your browser (local only)")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--port", type=bounds.port, default=8501)
    p.add_argument("--host", metavar="ADDRESS", default="localhost",
                   help="serve a team on this address (needs accounts: 'qualcode user add'); default: this computer only")
    p.set_defaults(handler=cmd_app)


def _settings():
    from qualcode.settings import Settings

    return Settings.from_env()


def _open(path: str):
    from qualcode.store import Study

    return Study.open(path)


def cmd_init(args: argparse.Namespace) -> int:
    import shutil

    from qualcode.io.codebook import load_codebook
    from qualcode.store import Study

    codebook = load_codebook(args.codebook) if args.codebook else None
    read = None
    if args.from_project:
        from qualcode.io.refi_read import read_refi_project

        _project_file(Path(args.from_project))
        read = read_refi_project(args.from_project)  # a bad file fails before the study exists
    url = args.db or _settings().database_url
    existed = Path(args.study).exists()
    lines = []
    with Study.init(args.study, codebook=codebook, db_url=url) as study:
        if read is not None:
            from qualcode.store.project_import import store_project

            try:
                lines = store_project(study, read, args.from_project,
                                      max_words=_settings().segment_words).lines()
            except BaseException:
                study.close()
                if not existed:
                    shutil.rmtree(args.study, ignore_errors=True)
                raise
    where = "PostgreSQL/URL database" if url else f"{Path(args.study) / 'study.sqlite'}"
    print(f"created study {args.study} ({where})" +
          (f" with codebook '{codebook.name}' ({len(codebook)} codes)" if codebook else ""))
    for line in lines:
        print(line)
    return 0


PROJECT_SUFFIXES = (".qdpx", ".qde")


def _project_file(path: Path) -> Path:
    if path.suffix.lower() not in PROJECT_SUFFIXES:
        raise UsageError(f"{path}: expected a REFI-QDA project ending in .qdpx or .qde, "
                         f"got '{path.suffix or 'no extension'}'")
    if not path.is_file():
        raise InputError(path, "an existing REFI-QDA project file", "no such file")
    return path


def expand_files(items: list[str]) -> list[Path]:
    from qualcode.io.transcripts import SUPPORTED_SUFFIXES

    out: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in SUPPORTED_SUFFIXES)
            if not found:
                raise InputError(path, "a folder with transcripts (" + ", ".join(SUPPORTED_SUFFIXES) + ")",
                                 "none")
            out.extend(found)
        elif not path.exists():
            raise InputError(path, "an existing file", "no such file")
        else:
            out.append(path)
    return out


def cmd_import(args: argparse.Namespace) -> int:
    from qualcode.io.participants import read_participants
    from qualcode.io.transcripts import read_transcript

    if not args.files and not args.participants:
        raise UsageError("expected transcript files and/or --participants CSV, got neither")
    projects = [f for f in args.files if Path(f).suffix.lower() in PROJECT_SUFFIXES]
    if projects:
        if len(args.files) > 1 or args.participants:
            raise UsageError(f"expected one REFI-QDA project on its own, got {len(args.files)} file(s)"
                             + (" and --participants" if args.participants else ""))
        from qualcode.store.project_import import import_project

        with _open(args.study) as study:
            report = import_project(study, _project_file(Path(projects[0])),
                                    max_words=args.max_words or _settings().segment_words)
        for line in report.lines():
            print(line)
        return 0
    study = _open(args.study)  # fail early on an unknown study, before reading anything
    with study:
        people = read_participants(args.participants) if args.participants else None
        transcripts = [read_transcript(p) for p in expand_files(args.files)]
        report = study.import_transcripts(transcripts, people,
                                          max_words=args.max_words or _settings().segment_words)
    print(f"imported {len(report.imported)} transcript(s), {report.segments} segments; "
          f"{len(report.unchanged)} unchanged" +
          (f"; {report.participants} participant(s) added or updated" if people else ""))
    for warning in report.warnings:  # readable but suspicious: the coder should check these
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def cmd_codebook(args: argparse.Namespace) -> int:
    from qualcode.io.codebook import dump_codebook, load_codebook
    from qualcode.records import Code

    changes = [x for x in (args.rename, args.define, args.merge, args.split) if x]
    if args.file and changes:
        raise UsageError("expected either a codebook FILE or one change (--rename, --define, --merge, --split), not both")
    with _open(args.study) as study:
        if args.file:
            from qualcode.store.codebook_import import apply_codebook_import, plan_codebook_import

            mapping = {}
            for item in args.map:
                old, sep, new = item.partition("=")
                if not sep or not old.strip() or not new.strip():
                    raise UsageError(f"--map: expected OLD=NEW, got {item!r}")
                mapping[old.strip()] = new.strip()
            codebook = load_codebook(args.file)
            plan = plan_codebook_import(study, codebook, mapping)
            for line in plan.lines():
                print(line)
            if args.dry_run:
                print("dry run: nothing stored")
                return 0
            version = apply_codebook_import(study, plan, args.by, args.note or f"loaded from {args.file}")
            if version is None:
                print(f"codebook unchanged: still version {study.codebook_version()} ({len(plan.codebook)} codes)")
            else:
                print(f"codebook '{plan.codebook.name}' stored as version {version} ({len(plan.codebook)} codes)")
        elif args.rename:
            version = study.rename_code(args.rename[0], args.rename[1], args.by, args.note)
            print(f"renamed {args.rename[0]} to '{args.rename[1]}': codebook version {version}")
        elif args.define:
            version = study.edit_code(args.define[0], args.by, args.note, definition=args.define[1])
            print(f"new definition for {args.define[0]}: codebook version {version}")
        elif args.merge:
            version = study.merge_codes(args.merge[0], args.merge[1], args.by, args.note)
            print(f"merged {args.merge[0]} into {args.merge[1]}: codebook version {version}")
        elif args.split:
            code_id, parts = args.split[0], args.split[1:]
            new_codes = []
            for part in parts:
                new_id, sep, name = part.partition(":")
                if not sep or not new_id.strip() or not name.strip():
                    raise UsageError(f"--split: expected NEW_ID:NAME, got {part!r}")
                new_codes.append(Code(id=new_id.strip(), name=name.strip(), definition=""))
            version = study.split_code(code_id, new_codes, args.by, args.note)
            todo = study.segments_to_recode(code_id)
            print(f"split {code_id} into {', '.join(c.id for c in new_codes)}: codebook version {version}; "
                  f"{len(todo)} segment(s) coded {code_id} to re-code")
        elif args.versions:
            for v in study.codebook_versions():
                print(f"{v.version:>3}  {v.created_at[:16]}  {v.created_by:<12} {v.note}")
        else:
            sys.stdout.write(dump_codebook(study.codebook(args.version)))
    return 0


def make_study_embedder(model: str | None):
    from qualcode.pipeline.embed import make_embedder

    settings = _settings()
    return make_embedder(model or settings.model, cache_dir=settings.cache_dir / "embeddings")


def warn_if_not_tunable(embedder, fine_tune: str) -> None:  # noqa: ANN001
    """``--fine-tune always`` with a model that cannot be fine-tuned: say so, then go on."""
    from qualcode.pipeline.embed import fine_tunable

    if fine_tune == "always" and fine_tunable(embedder) is None:
        print(f"note: --fine-tune always has no effect with the model '{embedder.model_id}' "
              "(only a sentence-transformers model can be fine-tuned)", file=sys.stderr)


def _progress_bar(desc: str, unit: str = "seg"):
    from tqdm import tqdm

    bar = tqdm(total=0, desc=desc, unit=unit, file=sys.stderr, disable=None, leave=False)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return bar, update


def run_coding(study, model: str | None, fine_tune: str = "auto", floor: float = 0.3) -> str:  # noqa: ANN001
    from qualcode.workflow import code_study

    embedder = make_study_embedder(model)
    warn_if_not_tunable(embedder, fine_tune)
    bar, update = _progress_bar("embedding")
    tuning_bar, tuning_update = _progress_bar("fine-tuning", unit="step")
    try:
        result = code_study(study, embedder, update, floor=floor, fine_tune=fine_tune, tuning_progress=tuning_update,
                            fine_tune_cache=str(_settings().cache_dir / "fine-tuned"))
    finally:
        bar.close()
        tuning_bar.close()
    tuned = ""
    if result.fine_tuned:
        reused = ", reused from the last run: same decisions" if result.fine_tune_reused else ""
        tuned = f" (embedding model fine-tuned on them{reused})"
    return (f"coded {result.segments} segments: {result.suggestions} suggestions stored, "
            f"{result.embedded} newly embedded ({result.segments - result.embedded} from cache), "
            f"{result.codes_learned} code(s) learned from coders' decisions{tuned}")


def cmd_code(args: argparse.Namespace) -> int:
    with _open(args.study) as study:
        study.codebook()  # a clear message if the study has no codebook yet
        print(run_coding(study, args.model, args.fine_tune, args.floor))
    return 0


def cmd_segments(args: argparse.Namespace) -> int:
    from qualcode.exports import segments_csv
    from qualcode.io.atomic import write_atomic

    fmt = args.format or ("csv" if args.out and Path(args.out).suffix.lower() == ".csv" else "json")
    if args.out and not Path(args.out).parent.exists():
        raise UsageError(f"--out {args.out}: expected an existing folder, got no folder {Path(args.out).parent}")
    from qualcode.cli.export_commands import redactor_for
    from qualcode.cli.user_commands import owner_name

    with _open(args.study) as study:
        redactor = redactor_for(study, args)
        rows = segment_rows(study, args.transcript, args.codeable, args.coder)
        for row in rows:  # names replaced in every text; start/end stay offsets into the stored transcript
            for key, value in row.items():
                if isinstance(value, str) and value:
                    row[key] = redactor.text(value)
                elif isinstance(value, dict):
                    row[key] = {k: redactor.text(v) if isinstance(v, str) else v for k, v in value.items()}
        if fmt == "json":
            data = (json.dumps(rows, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
        else:
            data = segments_csv(rows, args.bom)
        if args.out:
            write_atomic(args.out, data)  # first: a file that could not be written is not audited
        if args.out or args.identifiable:
            study.record_export(owner_name(), "segments", str(Path(args.out).resolve()) if args.out else "stdout",
                                identifiable=args.identifiable)
    if args.out:
        print(f"wrote {args.out}: {len(rows)} segments")
    else:
        sys.stdout.write(data.decode("utf-8"))
    return 0


def data_template(name: str) -> Path:
    """A folder or file shipped in ``data_templates/`` or ``codebooks/``."""
    import qualcode

    here = Path(qualcode.__file__).resolve().parent
    for candidate in (here / "_bundled" / name, here.parent / name):
        if candidate.exists():
            return candidate
    raise UsageError(f"{name}: expected it beside the qualcode package (a source checkout), got nothing")


def build_demo(target: Path, model: str | None) -> list[str]:
    from qualcode.io.codebook import load_codebook
    from qualcode.io.participants import read_participants
    from qualcode.io.transcripts import read_transcript
    from qualcode.reports.paper_formats import write_html_report
    from qualcode.reports.theme_report import write_markdown_report
    from qualcode.store import Study

    example = data_template("data_templates/example")
    codebook = load_codebook(data_template("codebooks/gp_commissioning.yaml"))
    lines = []
    if (target / "study.json").exists():
        study = Study.open(target)
        lines.append(f"using the existing demo study in {target}")
    else:
        study = Study.init(target, codebook=codebook, db_url=None)
        lines.append(f"created the demo study in {target}")
    with study:
        people = read_participants(example / "participants.csv")
        transcripts = [read_transcript(p) for p in expand_files([str(example / "transcripts")])]
        report = study.import_transcripts(transcripts, people, max_words=_settings().segment_words)
        lines.append(f"imported {len(report.imported)} transcript(s) ({len(report.unchanged)} unchanged)")
        lines.append(run_coding(study, model))
        write_markdown_report(study, target / "report.md")
        write_html_report(study, target / "report.html")
        lines.append(f"wrote {target / 'report.md'} and {target / 'report.html'} (open it in a browser)")
    return lines


def cmd_demo(args: argparse.Namespace) -> int:
    target = Path(args.dir)
    for line in build_demo(target, args.model):
        print(line)
    if args.no_app:
        return 0
    return launch_app(target, args.port)


def launch_app(study_dir: Path, port: int, host: str = "localhost") -> int:
    script = data_template("app/streamlit_app.py")
    env = dict(os.environ, QUALCODE_STUDY=str(Path(study_dir).resolve()), HF_HUB_OFFLINE="1")
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
           "--server.address", host, "--browser.gatherUsageStats", "false",
           "--server.headless", "true", "--client.toolbarMode", "minimal",
           # Streamlit's full gc.collect() after every run cost 0.2-0.5 s per click on a large
           # study (bench/app_latency.py); Python's own collector still runs.
           "--runner.postScriptGC", "false"]
    print(f"the app is at http://{host}:{port} (Ctrl+C to stop)")
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 0


def cmd_app(args: argparse.Namespace) -> int:
    from qualcode.cli.user_commands import is_loopback

    with _open(args.study) as study:  # a clear message for an unknown study before starting the server
        if not is_loopback(args.host) and not study.has_accounts():
            raise UsageError(f"--host {args.host}: expected accounts before serving other computers, got a "
                             "study without any (add them with 'qualcode user add STUDY NAME --role ROLE')")
    return launch_app(Path(args.study), args.port, args.host)
