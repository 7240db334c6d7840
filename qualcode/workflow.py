"""Steps that join the pipeline to a study: ``code_study`` (embed, fit, suggest, store).

This is orchestration only: the computation lives in :mod:`qualcode.pipeline`, the
storage in :mod:`qualcode.store`; the CLI and the app both call these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qualcode.pipeline import suggest
from qualcode.pipeline.embed import Embedder, Progress, fine_tune_plan
from qualcode.pipeline.prototypes import code_prototypes  # noqa: F401  (re-exported: callers import it here)
from qualcode.pipeline.suggest import FLOOR, TOP_K, CodeSuggester
from qualcode.records import Suggestion

if TYPE_CHECKING:
    from qualcode.io.refi import RefiProject
from qualcode.store import Study


@dataclass
class CodingReport:
    segments: int
    suggestions: int
    codes_learned: int
    embedded: int
    fine_tuned: bool = False
    fine_tune_reused: bool = False  # the tuned model came from the cache (same decisions as last time)


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


MIN_LABELLED = suggest.MIN_LABELLED  # decided segments before a classifier is trained at all


def code_study(study: Study, embedder: Embedder, progress: Progress | None = None,
               floor: float = FLOOR, top_k: int = TOP_K, prior_weight: float = 5.0, fine_tune: str = "auto",
               tuning_progress: Progress | None = None, fine_tune_cache: str | None = None) -> CodingReport:
    """Embed every codeable segment (cached), learn from all human decisions, and
    replace the stored machine suggestions (confidence ≥ ``floor``, best ``top_k``).

    The engine is :class:`qualcode.pipeline.suggest.CodeSuggester`, the one ``qualcode
    evaluate`` measures: the codebook prior, updated by the decisions on similar segments,
    blended with a classifier trained on the decided segments (final decisions first),
    weighted ``positives / (positives + prior_weight)`` per code, so that a code with few
    coded examples still leans on its definition and examples. What is stored is the
    engine's :meth:`~qualcode.pipeline.suggest.CodeSuggester.stored` rule; the app shows
    those at :data:`qualcode.pipeline.suggest.SHOW_THRESHOLD` or above.

    ``fine_tune`` (``auto`` / ``always`` / ``never``): also fine-tune the embedding model on
    the decided segments (auto: a sentence-transformers model and ≥ 200 decided segments;
    minutes on a CPU, so the app's refresh button uses ``never``). With ``fine_tune_cache``
    (a folder), the tuned model and its scores are kept there: coding again with the same
    decisions (e.g. after importing more transcripts) reuses them.
    """
    codebook = study.codebook()
    codes = codebook.ids()  # themes too: a segment may speak to a theme as a whole
    segments = study.segments(codeable_only=True)
    if not segments:
        return CodingReport(0, 0, 0, 0)
    misses_before = getattr(embedder, "misses", 0)
    X = embedder.encode([s.text for s in segments], progress)
    embedded = getattr(embedder, "misses", 0) - misses_before
    proto_texts, owners, labels = code_prototypes(codebook, codes)
    ids = [s.id for s in segments]
    texts = [s.text for s in segments]
    tunable, minimum = fine_tune_plan(embedder, fine_tune)
    engine = CodeSuggester(embedder.encode(proto_texts), np.array(owners, dtype=np.int64),
                           prior_weight=prior_weight, min_labelled=MIN_LABELLED, floor=floor, top_k=top_k,
                           fine_tune=tunable, fine_tune_min=minimum, progress=tuning_progress,
                           fine_tune_cache=fine_tune_cache)
    engine.fit(texts, human_labels(study, ids, codes), embeddings=X)
    proba = engine.predict_proba(texts, embeddings=X, progress=progress)  # fine-tuned: every segment through it
    stored = engine.stored(proba)
    best_proto, nearest = engine.explain(X)
    suggestions: list[Suggestion] = []
    for i, seg in enumerate(segments):
        for k in np.argsort(-proba[i], kind="stable"):
            if not stored[i, k]:
                continue
            if nearest[i, k] >= 0 and nearest[i, k] != i:
                ref = segments[nearest[i, k]]
                reason = f"like coded segment {ref.id} ({ref.attribution()}): “{ref.text[:120]}”"
            else:
                reason = labels[best_proto[i, k]]
            suggestions.append(Suggestion(seg.id, codes[k], float(round(proba[i, k], 4)), reason))
    n = study.replace_suggestions(suggestions, ids, embedder.model_id)
    return CodingReport(len(segments), n, int((engine.positives_ > 0).sum()), embedded, engine.fine_tuned_,
                        engine.fine_tune_reused_)


@dataclass(frozen=True)
class NextSegment:
    segment: object  # qualcode.records.Segment
    uncertainty: float
    code_id: str | None
    confidence: float | None
    reason: str = "uncertain"  # or "typical": the most typical of a group of segments coded least

    @property
    def why(self) -> str:
        """Why this segment is offered, in words for the coder."""
        if self.reason == "typical":
            return "typical of similar segments not coded yet"
        if self.code_id:
            return f"unsure about {self.code_id} ({self.confidence:.0%})"
        return "uncertain"


def next_segments(study: Study, coder: str, embedder: Embedder, n: int = 20) -> list[NextSegment]:
    """The segments whose decisions would teach the model most, for ``coder``.

    Candidates: codeable segments no coder has decided yet (the model learns from every
    coder's decisions, so a segment someone has coded teaches it nothing new), outside
    transcripts this coder marked done. Until ``COLD_START`` segments are decided (or
    while there are no suggestions), the most typical segment of each group of similar
    segments coded least; then uncertainty, from the stored suggestions (run ``qualcode
    code`` to refresh them). Embeddings come from the cache. See
    :mod:`qualcode.pipeline.active`.
    """
    from qualcode.pipeline.active import select_next, typical_first, uncertainty

    codes = study.codebook().ids()
    col = {c: j for j, c in enumerate(codes)}
    decided = {a.segment_id for a in study.applications(source="human")}
    decided |= {a.segment_id for a in study.applications(source="final")}
    finished = {t.id for t in study.transcripts() if coder in study.done_by(t.id)}
    segments = study.segments(codeable_only=True)
    candidates = [s for s in segments if s.id not in decided and s.transcript_id not in finished]
    if not candidates:
        return []
    labelled = [s for s in segments if s.id in decided]
    row = {s.id: i for i, s in enumerate(candidates)}
    proba = np.zeros((len(candidates), len(codes)))
    blind = study.blind_transcripts(coder)
    for app in study.applications(source="machine"):
        if app.segment_id in row and app.code_id in col:
            proba[row[app.segment_id], col[app.code_id]] = app.confidence or 0.0
    everything = candidates + labelled
    E = embedder.encode([s.text for s in everything])
    unl = np.arange(len(candidates))
    lab = np.arange(len(candidates), len(everything))
    has_model = bool(proba.any())
    picks = select_next(E, unl, lab, n, proba if has_model else None)
    reason = "typical" if typical_first(len(labelled), has_model) else "uncertain"
    unc = uncertainty(proba) if has_model else np.ones(len(candidates))
    out = []
    for i in picks:
        seg = candidates[i]
        j = int(np.argmax(1 - np.abs(2 * proba[i] - 1))) if has_model else None
        hidden = seg.transcript_id in blind  # blind double-coding: name no machine code
        out.append(NextSegment(seg, float(unc[i]), None if hidden or j is None else codes[j],
                               None if hidden or j is None else float(proba[i, j]), reason))
    return out


def discover_study(study: Study, embedder: Embedder, n_clusters: int | None = None,
                   progress: Progress | None = None) -> list[dict]:
    """Cluster the codeable segments into candidate themes and keep the result in the study."""
    from qualcode.pipeline.discover import discover_themes

    segments = study.segments(codeable_only=True)
    X = embedder.encode([s.text for s in segments], progress)
    clusters = discover_themes(X, [s.text for s in segments], n_clusters)
    result = [{"label": c.label, "size": c.size, "keywords": list(c.keywords),
               "exemplars": [segments[i].id for i in c.exemplars],
               "participants": len({segments[i].participant_id or segments[i].speaker for i in c.members}),
               "segments": [segments[i].id for i in c.members]} for c in clusters]
    study.save_discovery(result, embedder.model_id)
    return result


def refi_project(study: Study, machine_threshold: float | None = None) -> RefiProject:
    """The study as a REFI-QDA project: every coder's codes (by coder), the final codes
    (user ``final``), memos on segments, participants as cases; machine suggestions only
    with ``machine_threshold`` (user ``qualcode``)."""
    from qualcode.io.refi import RefiProject, RefiSelection, RefiSource

    segments = {s.id: s for s in study.segments()}
    codings: dict[int, list[tuple[str, str]]] = {}
    users: list[str] = [name for name, _ in study.coders()]
    for app in study.applications():
        if not app.present or app.segment_id not in segments:
            continue
        if app.source == "human":
            who = app.coder or "unknown"
        elif app.source == "final":
            who = "final"
        elif machine_threshold is not None and (app.confidence or 0.0) >= machine_threshold:
            who = "qualcode"
        else:
            continue
        codings.setdefault(app.segment_id, []).append((app.code_id, who))
    memos: dict[int, list[tuple[str, str]]] = {}
    for memo in study.memos():
        if memo["segment_id"] in segments:
            memos.setdefault(memo["segment_id"], []).append((memo["coder"], memo["text"]))
    used = {who for pairs in codings.values() for _, who in pairs} | {c for m in memos.values() for c, _ in m}
    users = list(dict.fromkeys([u for u in users if u in used] + sorted(used)))
    by_transcript: dict[int, list[int]] = {}
    for sid in set(codings) | set(memos):
        by_transcript.setdefault(segments[sid].transcript_id, []).append(sid)
    sources = []
    speaks: dict[str, set[str]] = {}
    for t in study.transcripts():
        picked = sorted(by_transcript.get(t.id, []), key=lambda sid: segments[sid].start)
        selections = tuple(RefiSelection(str(sid), segments[sid].start, segments[sid].end,
                                         tuple(dict.fromkeys(codings.get(sid, []))), tuple(memos.get(sid, [])))
                           for sid in picked)
        sources.append(RefiSource(t.name, study.plain_text(t.id), selections))
        for pid in t.participants:
            speaks.setdefault(pid, set()).add(t.name)
    participants = tuple(p for p in study.participants() if not p.is_interviewer)
    return RefiProject(name=study.folder.name, codebook=study.codebook(), users=tuple(users),
                       sources=tuple(sources), participants=participants,
                       cases_sources={p: tuple(sorted(n)) for p, n in speaks.items()})
