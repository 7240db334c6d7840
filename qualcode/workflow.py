"""Steps that join the pipeline to a study: ``code_study`` (embed, fit, suggest, store).

This is orchestration only: the computation lives in :mod:`qualcode.pipeline`, the
storage in :mod:`qualcode.store`; the CLI and the app both call these functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qualcode.pipeline.embed import Embedder, Progress
from qualcode.pipeline.suggest import CodebookMatcher
from qualcode.records import Codebook, Suggestion
from qualcode.store import Study


@dataclass
class CodingReport:
    segments: int
    suggestions: int
    codes_learned: int
    embedded: int


def code_prototypes(codebook: Codebook, codes: list[str]) -> tuple[list[str], list[int], list[str]]:
    """The texts that describe each code: its definition, then each example quote."""
    texts, owners, labels = [], [], []
    for k, code_id in enumerate(codes):
        code = codebook.get(code_id)
        texts.append(code.description())
        owners.append(k)
        labels.append(f"definition of '{code.name}'")
        for example in code.examples:
            texts.append(example)
            owners.append(k)
            labels.append(f"example of '{code.name}': “{example}”")
    return texts, owners, labels


def human_labels(study: Study, segment_ids: list[int], codes: list[str]) -> np.ndarray:
    """Y for the matcher: final decisions first, else coders' (1 applied, 0 rejected or
    another code applied on a segment the coder decided), NaN where nobody decided."""
    row = {sid: i for i, sid in enumerate(segment_ids)}
    col = {c: j for j, c in enumerate(codes)}
    Y = np.full((len(segment_ids), len(codes)), np.nan)
    decided = np.zeros(len(segment_ids), dtype=bool)
    final_rows: set[int] = set()
    for app in study.applications(source="final"):
        if app.segment_id in row and app.code_id in col:
            i = row[app.segment_id]
            Y[i, col[app.code_id]] = 1.0 if app.present else 0.0
            final_rows.add(i)
    for app in study.applications(source="human"):
        if app.segment_id in row and app.code_id in col and row[app.segment_id] not in final_rows:
            i, j = row[app.segment_id], col[app.code_id]
            decided[i] = True
            Y[i, j] = max(Y[i, j], 1.0 if app.present else 0.0) if not np.isnan(Y[i, j]) else \
                (1.0 if app.present else 0.0)
    for i in final_rows:
        decided[i] = True
    # A segment somebody coded is a negative for the codes nobody applied to it.
    Y[decided] = np.where(np.isnan(Y[decided]), 0.0, Y[decided])
    return Y


def code_study(study: Study, embedder: Embedder, progress: Progress | None = None,
               floor: float = 0.3, top_k: int = 5, matcher: CodebookMatcher | None = None) -> CodingReport:
    """Embed every codeable segment (cached), learn from all human decisions, and
    replace the stored machine suggestions (confidence ≥ ``floor``, best ``top_k``)."""
    codebook = study.codebook()
    codes = codebook.ids()  # themes too: a segment may speak to a theme as a whole
    segments = study.segments(codeable_only=True)
    if not segments:
        return CodingReport(0, 0, 0, 0)
    misses_before = getattr(embedder, "misses", 0)
    X = embedder.encode([s.text for s in segments], progress)
    embedded = getattr(embedder, "misses", 0) - misses_before
    proto_texts, owners, labels = code_prototypes(codebook, codes)
    P = embedder.encode(proto_texts)
    ids = [s.id for s in segments]
    Y = human_labels(study, ids, codes)
    model = matcher or CodebookMatcher()
    model.fit(X, Y, prototypes=P, prototype_codes=np.array(owners), n_codes=len(codes))
    proba = model.predict_proba(X)
    best_proto, nearest = model.explain(X)
    suggestions: list[Suggestion] = []
    for i, seg in enumerate(segments):
        order = np.argsort(-proba[i])[:top_k]
        for k in order:
            if proba[i, k] < floor:
                break
            if nearest[i, k] >= 0 and model.classifiers_[k] is not None:
                ref = segments[nearest[i, k]]
                reason = f"like coded segment {ref.id} ({ref.attribution()}): “{ref.text[:120]}”"
            else:
                reason = labels[best_proto[i, k]]
            suggestions.append(Suggestion(seg.id, codes[k], float(round(proba[i, k], 4)), reason))
    n = study.replace_suggestions(suggestions, ids, embedder.model_id)
    learned = sum(1 for c in model.classifiers_ if c is not None)
    return CodingReport(len(segments), n, learned, embedded)
