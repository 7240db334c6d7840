"""Steps that join the pipeline to a study: ``code_study`` (embed, fit, suggest, store).

This is orchestration only: the computation lives in :mod:`qualcode.pipeline`, the
storage in :mod:`qualcode.store`; the CLI and the app both call these functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qualcode.pipeline import suggest
from qualcode.pipeline.acknowledgements import PROTOTYPES as ACKNOWLEDGEMENTS
from qualcode.pipeline.embed import Embedder, Progress, fine_tune_plan
from qualcode.pipeline.prototypes import code_prototypes  # noqa: F401  (re-exported: callers import it here)
from qualcode.pipeline.suggest import FLOOR, TOP_K, CodeSuggester
from qualcode.records import DiscoveredCluster, Suggestion

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
               tuning_progress: Progress | None = None, fine_tune_cache: str | None = None, *,
               stage: Callable[[str], None] | None = None, write_chunk: int | None = None) -> CodingReport:
    """Embed every codeable segment (cached), learn from all human decisions, and
    replace the stored machine suggestions (confidence ≥ ``floor``, best ``top_k``).

    The engine is :class:`qualcode.pipeline.suggest.CodeSuggester`, the one ``qualcode
    evaluate`` measures: the codebook prior, updated by the decisions on similar segments,
    blended with a classifier trained on the decided segments (final decisions first),
    weighted ``positives / (positives + prior_weight)`` per code, so that a code with few
    coded examples still leans on its definition and examples. What is stored is the
    engine's :meth:`~qualcode.pipeline.suggest.CodeSuggester.stored` rule, each with the
    engine's :meth:`~qualcode.pipeline.suggest.CodeSuggester.shown` decision (its display
    rule learnt from the decisions), which the app follows.

    ``fine_tune`` (``auto`` / ``always`` / ``never``): also fine-tune the embedding model on
    the decided segments (auto: a sentence-transformers model and ≥ 200 decided segments;
    minutes on a CPU). With ``fine_tune_cache`` (a folder), the tuned model and its scores
    are kept there: coding again with the same decisions (e.g. after importing more
    transcripts) reuses them.

    ``stage(name)`` is told each step as it starts (``embedding``, ``learning``,
    ``suggesting``, ``saving``), and ``progress(done, total)`` follows the embedding, the
    fine-tuned model and the saving. ``write_chunk``: store the suggestions of that many
    segments per transaction (the app's background job, so coders are never kept waiting
    on the write lock for long); ``None``, the default, stores them all in one.

    Speed (50,000 segments): segments are read as bare (id, text) columns, the stored
    suggestions are picked with one ``nonzero`` over the matrix, and only the decided
    segments named in a reason are read as records.
    """
    say = stage or (lambda name: None)
    codebook = study.codebook()
    codes = codebook.ids()  # themes too: a segment may speak to a theme as a whole
    index = study.codeable_index()  # (id, transcript id, text) in transcript order, no record per segment
    if not index:
        return CodingReport(0, 0, 0, 0)
    ids = [x[0] for x in index]
    texts = [x[2] for x in index]
    say("embedding")
    misses_before = getattr(embedder, "misses", 0)
    X = embedder.encode(texts, progress)
    embedded = getattr(embedder, "misses", 0) - misses_before
    proto_texts, owners, labels = code_prototypes(codebook, codes)
    say("learning")
    tunable, minimum = fine_tune_plan(embedder, fine_tune)
    engine = CodeSuggester(embedder.encode(proto_texts), np.array(owners, dtype=np.int64),
                           prior_weight=prior_weight, min_labelled=MIN_LABELLED, floor=floor, top_k=top_k,
                           fine_tune=tunable, fine_tune_min=minimum, progress=tuning_progress,
                           fine_tune_cache=fine_tune_cache, acknowledgements=embedder.encode(list(ACKNOWLEDGEMENTS)),
                           dialogue=study.is_dialogue())
    engine.fit(texts, human_labels(study, ids, codes), embeddings=X)
    say("suggesting")
    proba = engine.predict_proba(texts, embeddings=X, progress=progress)  # fine-tuned: every segment through it
    rows, cols, suggestions = _stored_suggestions(study, engine, proba, X, ids, codes, labels)
    say("saving")
    model_id = embedder.model_id
    if write_chunk is None:
        n = study.replace_suggestions(suggestions, ids, model_id)
    else:
        n = 0
        bounds = np.searchsorted(rows, np.arange(0, len(ids) + write_chunk, write_chunk))
        for c, start in enumerate(range(0, len(ids), write_chunk)):
            n += study.replace_suggestions(suggestions[bounds[c]:bounds[c + 1]], ids[start:start + write_chunk],
                                           model_id)
            if progress:
                progress(min(start + write_chunk, len(ids)), len(ids))
    study.prepare_review_index(codes)  # the next *Review next*, here or in another process, finds it ready
    return CodingReport(len(ids), n, int((engine.positives_ > 0).sum()), embedded, engine.fine_tuned_,
                        engine.fine_tune_reused_)


def _stored_suggestions(study: Study, engine: CodeSuggester, proba: np.ndarray, X: np.ndarray, ids: list[int],
                        codes: list[str], labels: list[str]) -> tuple[np.ndarray, np.ndarray, list[Suggestion]]:
    """The suggestions the engine's ``stored`` rule keeps, segment by segment, each segment's
    best first (ties in codebook order), with their reasons and the engine's ``shown``
    decision (stored with them, so the app shows exactly what was measured); and their
    (row, column) in ``proba``."""
    stored = engine.stored(proba)
    shown = engine.shown(proba)
    best_proto, nearest = engine.explain(X)
    rows, cols = np.nonzero(stored)
    order = np.lexsort((cols, -proba[rows, cols], rows))
    rows, cols = rows[order], cols[order]
    refs = np.unique(nearest[rows, cols])
    wanted = [ids[r] for r in refs if r >= 0]
    records = {}
    for i in range(0, len(wanted), 900):
        records.update({seg.id: seg for seg in study.segments(ids=wanted[i:i + 900])})
    suggestions = []
    for i, k in zip(rows.tolist(), cols.tolist(), strict=True):
        ref = nearest[i, k]
        if ref >= 0 and ref != i and ids[ref] in records:
            seg = records[ids[ref]]
            reason = f"like coded segment {seg.id} ({seg.attribution()}): “{seg.text[:120]}”"
        else:
            reason = labels[best_proto[i, k]]
        suggestions.append(Suggestion(ids[i], codes[k], float(round(proba[i, k], 4)), reason, bool(shown[i, k])))
    return rows, cols, suggestions


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
    code`` to refresh them). Embeddings come from the cache, and only for the segments
    the selection looks at (on a large study a bounded sample, see ``POOL`` in
    :mod:`qualcode.pipeline.active`); uncertainty is summed in SQL, and the pool, the sums
    and the vectors are kept until suggestions or segments are written again (the review
    mark, ``study.review_index``); decisions, done transcripts and the blind rule are read
    on every call.
    """
    from qualcode.pipeline.active import select_next, typical_first

    codes = study.codebook().ids()
    col = {c: j for j, c in enumerate(codes)}
    pool = study.review_index(coder)  # ids in transcript order, cached until the review mark changes
    finished = sorted(tid for tid, who in study.done_by_all().items() if coder in who)
    open_ = ~pool.decided & ~np.isin(pool.transcript_ids, finished)
    if not open_.any():
        return []
    labelled = np.flatnonzero(pool.decided)
    score, has_model = None, False
    if not typical_first(len(labelled)):  # the cold start needs no uncertainty: not summed then
        pool = study.review_index(coder, codes)  # decisions read afresh: ``open_`` again
        open_ = ~pool.decided & ~np.isin(pool.transcript_ids, finished)
        labelled = np.flatnonzero(pool.decided)
        has_model = pool.suggested is not None and bool(pool.suggested[open_].any())  # None: no codes
        score = pool.uncertainty[open_] if has_model else None
    unl = np.flatnonzero(open_).astype(np.int64)
    # rows are places in the pool, the same from one click to the next (see stable_sample)
    picks = select_next(_pool_rows(study, pool, embedder), unl, labelled.astype(np.int64), n, score=score)
    reason = "typical" if typical_first(len(labelled), has_model) else "uncertain"
    ids = [int(pool.segment_ids[i]) for i in picks]
    chosen = {s.id: s for s in study.segments(ids=ids)}
    proba = np.zeros((len(ids), len(codes)))
    for segment_id, code_id, confidence in study.machine_confidences(coder, segment_ids=ids):
        if code_id in col:
            proba[ids.index(segment_id), col[code_id]] = confidence
    blind = study.blind_transcripts(coder)
    out = []
    for k, segment_id in enumerate(ids):
        seg = chosen[segment_id]
        terms = 1 - np.abs(2 * proba[k] - 1)
        j = int(np.argmax(terms)) if proba[k].any() else None  # the code it is least sure about
        hidden = seg.transcript_id in blind  # blind double-coding: name no machine code
        out.append(NextSegment(seg, float(terms.max()) if j is not None else 1.0,
                               None if hidden or j is None else codes[j],
                               None if hidden or j is None else float(proba[k, j]), reason))
    return out


_ROWS: dict[tuple, tuple] = {}  # (study folder, review mark, model) -> (LazyRows, [study]): the last only


def _pool_rows(study: Study, pool, embedder: Embedder):  # noqa: ANN001, ANN202 - a ReviewIndex; LazyRows
    """The pool's embedding rows, each read and encoded on first use, kept while the review
    mark stands: a row is a place in the pool, and the pool's segments and texts change only
    with a new mark, so the next click reuses the vectors (no segment texts read again)."""
    from qualcode.pipeline.active import LazyRows

    key = (str(study.folder), pool.mark, getattr(embedder, "model_id", id(embedder)))
    kept = _ROWS.get(key) if pool.mark is not None else None
    if kept is None or len(kept[0]) != len(pool.segment_ids):
        ids, reader = pool.segment_ids, [study]

        def encode(r: np.ndarray) -> np.ndarray:  # only the rows the selection looks at
            return embedder.encode(reader[0].segment_texts([int(ids[i]) for i in r]))

        kept = (LazyRows(len(ids), encode), reader)
        _ROWS.clear()
        _ROWS[key] = kept
    kept[1][0] = study  # texts are read as the person asking now
    return kept[0]


def discover_study(study: Study, embedder: Embedder, n_clusters: int | None = None,
                   progress: Progress | None = None, *, scope: str = "all", by: str | None = None,
                   min_size: int | None = None, seed: int = 0, redact: tuple[str, ...] = (),
                   actor: str = "machine") -> tuple[DiscoveredCluster, ...]:
    """Cluster the codeable segments (``scope`` "uncoded": those nobody has coded) into
    candidate themes, set each against the codebook and, with ``by``, against the groups of a
    participant attribute; keep the run in the study (``study.discovery()``) and return its
    clusters. The same seed gives the same clusters."""
    from qualcode.errors import UsageError
    from qualcode.pipeline.discover import NEW_CODED_SHARE, NEW_SIMILARITY, code_similarity, discover_clusters
    from qualcode.pipeline.discover_groups import group_table

    if scope not in ("all", "uncoded"):
        raise UsageError(f"scope: expected 'all' or 'uncoded', got {scope!r}")
    segments = study.segments(codeable_only=True)
    coded: dict[int, set[str]] = {}
    for app in study.applications():
        if app.present and app.source in ("human", "final"):
            coded.setdefault(app.segment_id, set()).add(app.code_id)
    if scope == "uncoded":
        segments = [s for s in segments if s.id not in coded]
    participants = {p.participant_id: p for p in study.participants()}
    groups = [_discover_attribute(s, participants, by) for s in segments] if by else None
    authors = [s.participant_id or s.speaker or s.transcript for s in segments]
    names = [*redact, *{s.speaker or "" for s in segments}, *participants]
    names += [v for p in participants.values() for k, v in p.attributes.items() if "name" in k.lower()]
    texts = [s.text for s in segments]
    X = embedder.encode(texts, progress)
    found = discover_clusters(X, texts, n_clusters, min_size, seed, authors, names)
    codes, sim = _discover_code_similarity(study, embedder, found.centres, code_similarity)
    labels = np.full(len(segments), -1)
    clusters = []
    for c in found.clusters:
        labels[list(c.members)] = c.label
        ids = [segments[i].id for i in c.members]
        nearest = []
        for j in np.argsort(-sim[c.label], kind="stable")[:3] if len(codes) else []:
            share = sum(codes[j].id in coded.get(i, ()) for i in ids) / len(ids)
            nearest.append({"code": codes[j].id, "name": codes[j].name,
                            "similarity": round(float(sim[c.label, j]), 4), "coded_share": round(share, 4)})
        clusters.append({"label": c.label, "size": c.size, "keywords": list(c.keywords),
                         "phrases": list(c.phrases), "exemplars": [segments[i].id for i in c.exemplars],
                         "participants": len({authors[i] for i in c.members}), "segments": ids,
                         "fit": list(c.fit), "nearest_codes": nearest,
                         "new": bool(len(codes)) and all(n["similarity"] < NEW_SIMILARITY for n in nearest)
                         and _discover_top_share(ids, coded) < NEW_CODED_SHARE})
    extra: dict = {"outliers": [segments[i].id for i in found.outliers]}
    if by:
        cells = group_table(labels, groups, authors)
        extra["groups"] = [dict(vars(cell)) for cell in cells]
        for cl in clusters:
            cl["groups"] = {cell.group: cell.segments for cell in cells if cell.cluster == cl["label"]}
            cl["specific_to"] = [cell.group for cell in cells if cell.cluster == cl["label"] and cell.specific]
    params = {"scope": scope, "by": by, "min_size": min_size, "n_clusters": n_clusters,
              "segments": len(segments), "redact": len(redact)}
    run_id = study.save_discovery(clusters, embedder.model_id, actor=actor, seed=seed, params=params, extra=extra)
    return study.discovery(run_id).clusters


def _discover_top_share(ids: list[int], coded: dict[int, set[str]]) -> float:
    """The largest share of ``ids`` coded (by anyone) with one code."""
    counts: dict[str, int] = {}
    for i in ids:
        for code in coded.get(i, ()):
            counts[code] = counts.get(code, 0) + 1
    return max(counts.values(), default=0) / max(len(ids), 1)


def _discover_attribute(segment, participants: dict, by: str) -> str:  # noqa: ANN001
    """The segment's value of participant attribute ``by`` ("(no participant)" if unlinked)."""
    from qualcode.errors import UsageError

    known = {"group", "role", "site"} | {k for p in participants.values() for k in p.attributes}
    if by not in known:
        raise UsageError(f"--by: expected a participant attribute ({', '.join(sorted(known))}), got {by!r}")
    p = participants.get(segment.participant_id)
    if p is None:
        return "(no participant)"
    value = getattr(p, by) if by in ("group", "role", "site") else p.attributes.get(by, "")
    return str(value) or "(blank)"


def _discover_code_similarity(study: Study, embedder: Embedder, centres: np.ndarray, similarity):  # noqa: ANN001, ANN202
    """The codebook's codable codes and the (clusters × codes) cosine to their prototypes."""
    from qualcode.errors import StoreError

    try:
        codebook = study.codebook()
    except StoreError:  # no codebook yet: every cluster is just a cluster
        return [], np.zeros((len(centres), 0))
    codes = [c for c in codebook.codes if c.is_codable]
    if not codes or not len(centres):
        return codes, np.zeros((len(centres), len(codes)))
    texts, owners, _ = code_prototypes(codebook, [c.id for c in codes])
    return codes, similarity(centres, embedder.encode(texts), owners, len(codes))


def refi_project(study: Study, machine_threshold: float | None = None) -> RefiProject:
    """The study as a REFI-QDA project; see :mod:`qualcode.store.refi_project`."""
    from qualcode.store.refi_project import refi_project as build

    return build(study, machine_threshold)
