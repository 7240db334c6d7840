"""Agreement of a study, per code and per pair of coders (machine and final included).

Every code is a present/absent variable per segment for each coder. Units are the
codeable segments of the transcripts both coders coded. Rows for ``overall (mean)``
average the per-code values; ``overall (pooled)`` treats every segment × code as a unit.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from qualcode.agreement import agreement, encode_table
from qualcode.store import Study


def _value(result) -> float | None:  # noqa: ANN001
    return None if result.value is None else round(result.value, 4)


def pair_row(label: str, pair: tuple[str, str], table: np.ndarray, threshold: float, n_boot: int,
             seed: int) -> dict:
    rows = encode_table(table.tolist())  # encoded once for all four statistics
    alpha = agreement(rows, "alpha", n_boot=n_boot, seed=seed)
    kappa = agreement(rows, "cohen", n_boot=0)
    return {
        "code": label, "coders": f"{pair[0]}|{pair[1]}", "units": len(table),
        "prevalence": round(float(table.mean()), 4) if len(table) else None,
        "percent": _value(agreement(rows, "percent", n_boot=0)), "kappa": _value(kappa),
        "alpha": _value(alpha),
        "alpha_ci_low": None if alpha.ci_low is None else round(alpha.ci_low, 4),
        "alpha_ci_high": None if alpha.ci_high is None else round(alpha.ci_high, 4),
        "ac1": _value(agreement(rows, "ac1", n_boot=0)),
        "flag": alpha.value is None or alpha.value < threshold,
        "reason": alpha.reason or kappa.reason,
    }


def agreement_rows(study: Study, coders: list[str] | None = None, codes: list[str] | None = None,
                   threshold: float = 0.667, n_boot: int = 1000, seed: int = 42,
                   version: int | None = None, machine: bool = True) -> list[dict]:
    """Rows per code and pair. ``version`` counts only decisions made under that codebook
    version (and reads its codes); each row names the versions of the decisions counted.
    ``machine``: also compare each coder (and the final coding) with the machine suggestions
    (a pair named ``machine|coder``); False: people's own decisions only."""
    codebook = study.codebook(version)
    code_ids = codes or codebook.ids()
    unknown = [c for c in code_ids if c not in codebook.ids()]
    if unknown:
        from qualcode.errors import UsageError

        raise UsageError(f"--codes: expected ids of the codebook, got {', '.join(unknown)}")
    humans = coders or [name for name, _ in study.coders() if study.coded_transcripts(name)]
    pairs = list(combinations(humans, 2))
    has_machine = bool(study.applications(source="machine"))
    has_final = bool(study.applications(source="final"))
    if has_machine and machine:
        pairs += [("machine", h) for h in humans] + ([("machine", "final")] if has_final else [])
    out: list[dict] = []
    for pair in pairs:
        _, tables, versions = study.presence_tables(list(pair), code_ids, version)
        per_code = [pair_row(code, pair, tables[code], threshold, n_boot, seed) for code in code_ids]
        out.extend(per_code)
        alphas = [r["alpha"] for r in per_code if r["alpha"] is not None]
        mean_alpha = _mean(alphas)
        out.append({"code": "overall (mean)", "coders": f"{pair[0]}|{pair[1]}",
                    "units": per_code[0]["units"] if per_code else 0, "prevalence": None,
                    "percent": _mean([r["percent"] for r in per_code]), "kappa": _mean([r["kappa"] for r in per_code]),
                    "alpha": mean_alpha, "alpha_ci_low": None, "alpha_ci_high": None,
                    "ac1": _mean([r["ac1"] for r in per_code]),
                    "flag": mean_alpha is None or mean_alpha < threshold,
                    "reason": "" if alphas else "no code has a defined alpha"})
        pooled = np.vstack([tables[c] for c in code_ids]) if code_ids else np.zeros((0, 2))
        out.append(pair_row("overall (pooled)", pair, pooled, threshold, n_boot, seed))
        for row in out[-len(code_ids) - 2:]:
            row["codebook_versions"] = ",".join(str(v) for v in versions)
    return out


def _mean(values: list) -> float | None:
    defined = [v for v in values if v is not None]
    return round(float(np.mean(defined)), 4) if defined else None


def format_rows(rows: list[dict], threshold: float) -> str:
    if not rows:
        return "no pair of coders has coded the same transcripts yet"
    head = f"{'code':<28} {'coders':<22} {'units':>5} {'prev':>5} {'%agree':>6} {'kappa':>6} {'alpha':>6} " \
           f"{'95% CI':>15} {'AC1':>6}"
    lines = [head, "-" * len(head)]

    def f(v: float | None) -> str:
        return "   n/a" if v is None else f"{v:6.3f}"

    for r in rows:
        ci = "" if r["alpha_ci_low"] is None else f"{r['alpha_ci_low']:.2f} to {r['alpha_ci_high']:.2f}"
        mark = "  < flagged" if r["flag"] else ""
        reason = f"  ({r['reason']})" if r["reason"] and r["alpha"] is None else ""
        prev = "" if r["prevalence"] is None else f"{r['prevalence']:.2f}"
        lines.append(f"{r['code'][:28]:<28} {r['coders'][:22]:<22} {r['units']:>5} {prev:>5} {f(r['percent'])} "
                     f"{f(r['kappa'])} {f(r['alpha'])} {ci:>15} {f(r['ac1'])}{mark}{reason}")
    versions = sorted({v for r in rows for v in r.get("codebook_versions", "").split(",") if v}, key=int)
    lines.append(f"flagged: alpha below {threshold} (Krippendorff's guideline) or undefined; "
                 f"decisions counted were made under codebook version(s) {', '.join(versions) or 'none'}")
    return "\n".join(lines)


COLUMNS = ("code", "coders", "units", "prevalence", "percent", "kappa", "alpha", "alpha_ci_low",
           "alpha_ci_high", "ac1", "flag", "reason", "codebook_versions")


def write_agreement_xlsx(rows: list[dict], path, threshold: float) -> None:  # noqa: ANN001
    """Write :func:`agreement_workbook` to ``path`` atomically."""
    from pathlib import Path

    from qualcode.io.atomic import write_atomic

    write_atomic(Path(path), agreement_workbook(rows, threshold))


def agreement_workbook(rows: list[dict], threshold: float) -> bytes:
    """One sheet per coder pair plus an 'all' sheet; flagged rows are filled orange."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "all"
    flagged = PatternFill("solid", fgColor="FFD8A8")
    pairs = list(dict.fromkeys(r["coders"] for r in rows))
    for title, subset in [("all", rows)] + [(p.replace("|", " vs ")[:31], [r for r in rows if r["coders"] == p])
                                            for p in pairs]:
        ws = sheet if title == "all" else book.create_sheet(title)
        ws.append(list(COLUMNS))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in subset:
            ws.append([r[c] for c in COLUMNS])
            if r["flag"]:
                for cell in ws[ws.max_row]:
                    cell.fill = flagged
        ws.freeze_panes = "C2"
        ws.column_dimensions["A"].width = 28
        ws.column_dimensions["B"].width = 22
    notes = book.create_sheet("about")
    notes.append([f"Flagged: Krippendorff's alpha below {threshold}, or undefined."])
    notes.append(["Units: codeable segments of the transcripts both coders coded; each code is present/absent."])
    notes.append(["alpha CI: percentile bootstrap over segments (seeded)."])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
