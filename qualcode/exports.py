"""Every export of a study, in one place: the CLI (``qualcode export``) and the app call this.

A format has a name, a file suffix and a writer returning bytes; :func:`write_export` writes
them atomically. Formats:

* ``qdpx`` / ``qdc``: REFI-QDA project / codebook (NVivo, ATLAS.ti, MAXQDA, QualCoder);
* ``codings`` (``.csv``, ``.xlsx``, ``.parquet``): long table for pandas and R, one row
  per coding (segment or span × code × coder × source; on machine rows the confidence and
  ``shown``, 1 where coders are shown the suggestion, the engine's decision, as every count
  of machine suggestions in the app and reports uses it), with transcript, offsets, text,
  the participant and every participant attribute;
* ``wide``: one row per segment, a 0/1 column per code (any coder's or the final coding,
  spans counting for every segment they overlap);
* ``taguette-codebook``: Taguette's codebook CSV (``tag``, ``description``; a sub-code's tag
  is its path ``parent.child``), which Taguette's "import codebook" reads;
* ``transcripts``: a folder of ``.txt`` files, one per transcript, for Taguette's (or any
  tool's) document import.

Every table cell goes through :func:`qualcode.io.cells.safe_cell`. CSV is UTF-8, with a
byte-order mark when asked (``bom``: Excel then reads accents right). Parquet needs the
optional ``pyarrow`` (``pip install 'qualcode[parquet]'``). A ``redactor`` (see
:mod:`qualcode.redact`) is applied to every text and transcript when given.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.errors import UsageError
from qualcode.io.atomic import write_atomic
from qualcode.io.cells import safe_cell
from qualcode.records import engine_showed

if TYPE_CHECKING:
    from qualcode.records import SpanCoding
    from qualcode.store.study import Study

FIXED = ["transcript", "unit", "segment_id", "start", "end", "code_id", "code", "theme", "source", "coder",
         "decided_by", "confidence", "shown", "reason", "codebook_version", "created_at", "participant", "speaker",
         "group", "role", "site"]


@dataclass(frozen=True)
class ExportFormat:
    name: str
    suffix: str  # "" for a folder
    description: str
    writer: Callable[..., bytes] | None  # (study, **options) → bytes; None for a folder


def _attributes(study: Study) -> tuple[dict, list[str]]:
    people = {p.participant_id: p for p in study.participants()}
    keys = sorted({k for p in people.values() for k in p.attributes})
    return people, keys


def _redact(redactor: Any, text: str) -> str:
    return redactor.text(text) if redactor is not None and text else text


def codings_table(study: Study, redactor: Any = None) -> tuple[list[str], list[list[Any]]]:
    """The long table: columns and rows (see the module docstring)."""
    codebook = study.codebook()
    names = {c.id: c.name for c in codebook.codes}
    themes = {c.id: codebook.theme_of(c.id).name for c in codebook.codes}
    people, keys = _attributes(study)
    columns = FIXED + [k if k not in FIXED else f"attribute_{k}" for k in keys] + ["text"]
    segments = {s.id: s for s in study.segments()}
    by_transcript: dict[int, list] = {}
    for seg in segments.values():
        by_transcript.setdefault(seg.transcript_id, []).append(seg)

    def person_cells(seg: Any) -> list[Any]:
        p = people.get(seg.participant_id) if seg is not None else None
        return ([seg.participant_id if seg else "", seg.speaker if seg else "", p.group if p else "",
                 p.role if p else "", p.site if p else ""] + [(p.attributes.get(k, "") if p else "") for k in keys])

    rows = []
    for app in study.applications():
        seg = segments.get(app.segment_id)
        if seg is None or not app.present:
            continue
        rows.append([seg.transcript, "segment", seg.id, seg.start, seg.end, app.code_id, names.get(app.code_id, ""),
                     themes.get(app.code_id, ""), app.source, {"machine": "", "final": "final"}.get(app.source, app.coder or ""),
                     app.coder if app.source == "final" else "", app.confidence,
                     int(engine_showed(app.shown, app.confidence)) if app.source == "machine" else "",
                     app.reason, app.codebook_version,
                     app.created_at] + person_cells(seg) + [_redact(redactor, seg.text)])
    names_of = {t.id: t.name for t in study.transcripts()}
    for r in study.span_codings():
        seg = next((s for s in by_transcript.get(r.transcript_id, []) if s.start <= r.start < s.end), None)
        rows.append([names_of.get(r.transcript_id, ""), "span", seg.id if seg else "", r.start, r.end,
                     r.code_id, names.get(r.code_id, ""), themes.get(r.code_id, ""), r.source,
                     r.coder if r.source != "final" else "final", r.coder if r.source == "final" else "",
                     None, "", "", r.codebook_version, r.created_at] + person_cells(seg)
                    + [_redact(redactor, r.text)])
    rows.sort(key=lambda row: (row[0], row[3], row[4], row[5], row[8], str(row[9])))
    return columns, rows


def wide_table(study: Study, redactor: Any = None) -> tuple[list[str], list[list[Any]]]:
    """One row per segment, a 0/1 column per code (human, final or span codings; not machine)."""
    codes = study.codebook().ids()
    people, keys = _attributes(study)
    coded: dict[int, set[str]] = {}
    for app in study.applications():
        if app.present and app.source in ("human", "final"):
            coded.setdefault(app.segment_id, set()).add(app.code_id)
    segments = study.segments()
    spans: dict[int, list[SpanCoding]] = {}
    for r in study.span_codings():
        spans.setdefault(r.transcript_id, []).append(r)
    columns = ["segment_id", "transcript", "start", "end", "participant", "speaker", "group", "role", "site",
               *[k if k not in FIXED else f"attribute_{k}" for k in keys], "text", *codes]
    rows = []
    for seg in segments:
        have = set(coded.get(seg.id, ()))
        have |= {r.code_id for r in spans.get(seg.transcript_id, []) if seg.start < r.end and r.start < seg.end}
        p = people.get(seg.participant_id)
        rows.append([seg.id, seg.transcript, seg.start, seg.end, seg.participant_id or "", seg.speaker or "",
                     p.group if p else "", p.role if p else "", p.site if p else "",
                     *[(p.attributes.get(k, "") if p else "") for k in keys], _redact(redactor, seg.text),
                     *[int(c in have) for c in codes]])
    return columns, rows


def csv_bytes(columns: list[str], rows: list[list[Any]], bom: bool = False) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


def xlsx_bytes(columns: list[str], rows: list[list[Any]], sheet: str = "codings") -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    ws.append([safe_cell(c) for c in columns])
    for row in rows:
        ws.append([safe_cell(_xlsx_text(v)) for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


_XLSX_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xlsx_text(value: Any) -> Any:
    return _XLSX_BAD.sub(" ", value) if isinstance(value, str) else value  # openpyxl refuses control characters


def parquet_bytes(columns: list[str], rows: list[list[Any]]) -> bytes:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise UsageError("parquet: expected the optional package pyarrow (pip install 'qualcode[parquet]'), "
                         "got none; write .csv or .xlsx instead") from None
    data = {}
    for i, name in enumerate(columns):
        values = [row[i] for row in rows]
        kinds = {type(v) for v in values if v is not None and v != ""}
        if kinds <= {int} and kinds:
            data[name] = pa.array([v if v != "" else None for v in values], pa.int64())
        elif kinds <= {int, float} and kinds:
            data[name] = pa.array([float(v) if v not in (None, "") else None for v in values], pa.float64())
        else:
            data[name] = pa.array([None if v is None else str(safe_cell(v)) for v in values], pa.string())
    buf = io.BytesIO()
    pq.write_table(pa.table(data), buf)
    return buf.getvalue()


def _table_writer(table: Callable) -> Callable[..., bytes]:
    def write(study: Study, suffix: str = ".csv", bom: bool = False, redactor: Any = None, **_: Any) -> bytes:
        columns, rows = table(study, redactor)
        if redactor is not None:  # every text cell: attributes (a `name` column), transcript names, text
            rows = [[redactor.text(v) if isinstance(v, str) and v else v for v in row] for row in rows]
        if suffix == ".xlsx":
            return xlsx_bytes(columns, rows)
        if suffix == ".parquet":
            return parquet_bytes(columns, rows)
        return csv_bytes(columns, rows, bom)
    return write


def taguette_codebook_csv(study: Study, bom: bool = False, **_: Any) -> bytes:
    """Taguette's codebook CSV: ``tag`` (``parent.child`` for a sub-code) and ``description``."""
    codebook = study.codebook()

    def path(code_id: str) -> str:
        code = codebook.get(code_id)
        own = code.name.replace(".", " ").strip()
        return f"{path(code.parent)}.{own}" if code.parent else own

    rows = [[path(c.id), c.definition] for c in codebook.codes]
    return csv_bytes(["tag", "description"], rows, bom)


def _qdpx(study: Study, machine_threshold: float | None = None, redactor: Any = None, project: Any = None,
          **_: Any) -> bytes:
    from qualcode.io.refi import qdpx_bytes
    from qualcode.store.refi_project import refi_project

    project = project or refi_project(study, machine_threshold)
    return qdpx_bytes(redact_project(project, redactor) if redactor is not None else project)


def redact_project(project: Any, redactor: Any) -> Any:
    """A REFI project with every text redacted; selections moved with ``redactor.with_offsets``'s
    remap, so each still covers the same (redacted) words."""
    from dataclasses import replace

    def notes(items: tuple) -> tuple:
        return tuple(replace(n, text=redactor.text(n.text)) for n in items)

    sources = []
    for src in project.sources:
        text, remap = redactor.with_offsets(src.plain_text)
        selections = tuple(replace(sel, start=remap(sel.start), end=remap(sel.end),
                                   description=redactor.text(sel.description)) for sel in src.selections)
        sources.append(replace(src, name=redactor.text(src.name), plain_text=text, selections=selections,
                               notes=notes(src.notes)))
    # cases: every attribute value (a `name` column becomes the participant id) and the names of
    # their sources, redacted as the sources themselves are
    people = tuple(replace(p, speakers=tuple(redactor.text(x) for x in p.speakers),
                           attributes={k: redactor.text(str(v)) for k, v in p.attributes.items()})
                   for p in project.participants)
    cases = {pid: tuple(redactor.text(n) for n in names) for pid, names in project.cases_sources.items()}
    return replace(project, sources=tuple(sources), notes=notes(project.notes), participants=people,
                   cases_sources=cases, code_notes={k: notes(v) for k, v in project.code_notes.items()})


def _qdc(study: Study, **_: Any) -> bytes:
    from qualcode.io.refi import codebook_qdc

    return codebook_qdc(study.codebook(), scope=study.folder.name)


FORMATS = {f.name: f for f in (
    ExportFormat("qdpx", ".qdpx", "REFI-QDA project", _qdpx),
    ExportFormat("qdc", ".qdc", "REFI-QDA codebook", _qdc),
    ExportFormat("codings", ".csv", "long table: one row per coding", _table_writer(codings_table)),
    ExportFormat("wide", ".csv", "0/1 segment × code matrix", _table_writer(wide_table)),
    ExportFormat("taguette-codebook", ".csv", "Taguette codebook CSV (tag, description)", taguette_codebook_csv),
    ExportFormat("transcripts", "", "a folder of plain-text transcripts", None),
)}
TABLE_SUFFIXES = (".csv", ".xlsx", ".parquet")


def format_for(path: str | Path, wide: bool = False) -> ExportFormat:
    """The format a file name asks for: ``.qdpx``, ``.qdc``, ``codebook*.csv`` (Taguette), a
    table (``.csv``, ``.xlsx``, ``.parquet``; ``wide`` for the 0/1 matrix) or a folder."""
    named_as_folder = str(path).endswith(("/", "\\"))  # before Path() drops the slash
    path = Path(path)
    suffix = path.suffix.lower()
    if named_as_folder or path.is_dir():
        return FORMATS["transcripts"]
    if suffix in (".qdpx", ".qdc"):
        return FORMATS[suffix[1:]]
    if suffix == ".csv" and path.stem.lower().startswith("codebook") and not wide:
        return FORMATS["taguette-codebook"]
    if suffix in TABLE_SUFFIXES:
        return FORMATS["wide" if wide else "codings"]
    raise UsageError(f"--out {path}: expected .qdpx, .qdc, codebook.csv (Taguette), a table (.csv, .xlsx, "
                     f".parquet) or a folder ending in / (transcripts), got '{path.suffix or 'no extension'}'")


def write_transcripts(study: Study, folder: str | Path, redactor: Any = None) -> list[Path]:
    """Each transcript as ``NAME.txt`` (UTF-8) in ``folder``, each written atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for t in study.transcripts():
        safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", t.name).strip(" .") or f"transcript-{t.id}"
        path = folder / f"{safe}.txt"
        write_atomic(path, _redact(redactor, study.plain_text(t.id)))
        out.append(path)
    return out


def write_export(study: Study, path: str | Path, fmt: ExportFormat | None = None, **options: Any) -> list[Path]:
    """Write ``study`` to ``path`` in ``fmt`` (default: from the name); returns what was written."""
    path = Path(path)
    fmt = fmt or format_for(path, options.get("wide", False))
    if fmt.writer is None:
        if path.exists() and not path.is_dir():
            raise UsageError(f"--out {path}: expected a folder for the transcripts, got a file")
        if not path.parent.exists():
            raise UsageError(f"--out {path}: expected an existing folder, got no folder {path.parent}")
        return write_transcripts(study, path, options.get("redactor"))
    if not path.parent.exists():
        raise UsageError(f"--out {path}: expected an existing folder, got no folder {path.parent}")
    data = fmt.writer(study, suffix=path.suffix.lower(), **options)
    write_atomic(path, data)
    return [path]


def segment_rows(study: Study, transcript: str | None, codeable: bool, coder: str | None = None) -> list[dict]:
    """The ``segments`` command's rows: each segment with its participant's attributes and every
    coder's codes (span codings count for the segments they overlap) and the suggestions."""
    tid = study.transcript_id(transcript) if transcript else None
    segs = study.segments(transcript_id=tid, codeable_only=codeable)
    people = {p.participant_id: p for p in study.participants()}
    codes: dict[int, list[dict]] = {}
    suggestions: dict[int, list[dict]] = {}
    apps = study.visible_applications(coder) if coder else study.applications()
    for app in apps:
        if app.source == "machine":
            suggestions.setdefault(app.segment_id, []).append(
                {"code": app.code_id, "confidence": app.confidence, "reason": app.reason})
        elif app.present:
            codes.setdefault(app.segment_id, []).append({"code": app.code_id, "source": app.source,
                                                        "coder": app.coder})
    spans: dict[int, list[SpanCoding]] = {}
    if coder is None:  # span codings (their blind rule lives with the app branch's Study.span_codings)
        for r in study.span_codings():
            spans.setdefault(r.transcript_id, []).append(r)
    rows = []
    for s in segs:
        p = people.get(s.participant_id)
        mine = list(codes.get(s.id, []))
        mine += [{"code": r.code_id, "source": r.source, "coder": r.coder, "span": [r.start, r.end]}
                 for r in spans.get(s.transcript_id, []) if s.start < r.end and r.start < s.end]
        rows.append({
            "id": s.id, "transcript": s.transcript, "participant": s.participant_id, "group": s.group,
            "role": s.role, "site": s.site, "attributes": dict(p.attributes) if p else {},
            "speaker": s.speaker, "start": s.start, "end": s.end,
            "start_time": s.start_time, "end_time": s.end_time, "interviewer": s.is_interviewer,
            "text": s.text, "codes": mine,
            "suggestions": sorted(suggestions.get(s.id, []), key=lambda x: -(x["confidence"] or 0)),
        })
    return rows


def segments_csv(rows: list[dict], bom: bool = False) -> bytes:
    """Segments as CSV: every attribute a column; each coder's codes, and the final codes, a column."""
    fixed = ["id", "transcript", "participant", "group", "role", "site", "speaker", "start", "end",
             "start_time", "end_time", "interviewer"]
    keys = sorted({k for r in rows for k in r["attributes"]})
    coders = sorted({c["coder"] or "" for r in rows for c in r["codes"] if c["source"] == "human"})
    columns = fixed + [k if k not in fixed else f"attribute_{k}" for k in keys] + ["text"] + \
        [f"codes: {c}" for c in coders] + ["codes: final", "suggestions"]
    table = []
    for r in rows:
        by: dict[str, set[str]] = {}
        for c in r["codes"]:
            by.setdefault("final" if c["source"] == "final" else f"human:{c['coder'] or ''}", set()).add(c["code"])
        table.append([r[k] for k in fixed] + [r["attributes"].get(k, "") for k in keys] + [r["text"]]
                     + [";".join(sorted(by.get(f"human:{c}", ()))) for c in coders]
                     + [";".join(sorted(by.get("final", ()))),
                        ";".join(f"{x['code']}:{x['confidence']:.2f}" for x in r["suggestions"])])
    return csv_bytes(columns, table, bom)
