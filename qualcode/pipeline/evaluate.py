"""Evaluate code suggestions against human coders: gold CSV → split → fit → figures.

What is measured is the product: :class:`qualcode.pipeline.suggest.CodeSuggester`, built
by :func:`make_engine` exactly as ``qualcode code`` builds it (the codebook's prototypes,
the same blending, floor, top-k and display threshold), fitted as a study fits it (every
text of the corpus, the training rows decided, the test rows not), and scored on what a
coder would be *shown*: a code counts as predicted when it is the segment's best stored
suggestion or its confidence reaches its code's show threshold, learnt from the training
rows' decisions out of fold (:mod:`qualcode.pipeline.display`; 0.5 before 50 decisions).

The split is scikit-learn's ``train_test_split(test_size, random_state=seed)`` over rows,
or with ``groups`` ``GroupShuffleSplit`` (every row of one transcript or participant on
one side), or a separate test file. Nothing is tuned on the test rows.

Strategies: ``full`` trains on every training row; ``random`` and ``active`` simulate a
coder who labels ``budget`` training rows, chosen at random or by
:mod:`qualcode.pipeline.active` in rounds of ``round_size``: the first ``COLD_START``
rows from typical clusters (no model needed), then by the engine's uncertainty,
refitted every round. With ``budget=0`` the codebook is the whole model (cold start).

One split is a small sample; :func:`evaluate_repeated` (``--repeats N``) runs further
splits and reports the mean and spread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from qualcode.io.gold import Gold
from qualcode.pipeline.acknowledgements import PROTOTYPES as ACKNOWLEDGEMENTS
from qualcode.pipeline.active import select_next, typical_first
from qualcode.pipeline.calibration import reliability
from qualcode.pipeline.embed import Embedder, fine_tune_plan
from qualcode.pipeline.prototypes import gold_prototypes
from qualcode.pipeline.suggest import CodeSuggester
from qualcode.records import Codebook

STRATEGIES = ("full", "random", "active")


def metrics(Y: np.ndarray, P: np.ndarray, codes: list[str]) -> dict:
    from sklearn.metrics import cohen_kappa_score, f1_score, precision_recall_fscore_support

    prec, rec, f1, support = precision_recall_fscore_support(Y, P, average=None, zero_division=0)
    per_code = {}
    for j, code in enumerate(codes):
        kappa = None
        if len(set(Y[:, j])) > 1 or len(set(P[:, j])) > 1:
            kappa = float(cohen_kappa_score(Y[:, j], P[:, j]))
            kappa = None if np.isnan(kappa) else round(kappa, 4)
        per_code[code] = {"precision": round(float(prec[j]), 4), "recall": round(float(rec[j]), 4),
                          "f1": round(float(f1[j]), 4), "kappa": kappa, "support": int(support[j])}
    return {
        "micro_f1": round(float(f1_score(Y, P, average="micro", zero_division=0)), 4),
        "macro_f1": round(float(f1_score(Y, P, average="macro", zero_division=0)), 4),
        "samples_f1": round(float(f1_score(Y, P, average="samples", zero_division=0)), 4),
        "per_code": per_code,
    }


def shown_metrics(Y: np.ndarray, proba: np.ndarray, engine: CodeSuggester) -> dict:
    """What a coder meets: precision and recall of the shown suggestions, whether the top
    suggestion of a row is right (``precision_at_1``, over rows with a stored suggestion),
    and how far the stored confidences are from the share accepted (``ece`` over the shown
    ones; ``reliability`` per confidence band from the floor up)."""
    shown = engine.shown(proba)
    stored = engine.stored(proba)
    hits = int((shown & (Y == 1)).sum())
    top = proba.argmax(axis=1) if proba.shape[1] else np.zeros(len(Y), dtype=np.int64)
    has = stored.any(axis=1)
    at_1 = float(Y[np.flatnonzero(has), top[has]].mean()) if has.any() else 0.0
    table, ece = reliability(proba[stored], Y[stored], engine.floor, engine.show_threshold)
    return {"shown": int(shown.sum()), "shown_precision": round(hits / shown.sum(), 4) if shown.any() else 0.0,
            "shown_recall": round(hits / Y.sum(), 4) if Y.sum() else 0.0,
            "precision_at_1": round(at_1, 4), "ece": round(ece, 4), "reliability": table}


def make_engine(codes: list[str], codebook: Codebook | None, embedder: Embedder, **options: object) -> CodeSuggester:
    """The engine ``qualcode code`` would build for these codes: the codebook's prototypes
    (a code the codebook does not know has none), the default decision rule and seed (the
    split's seed changes the split, not the product)."""
    prototypes, owners = None, None
    if codebook is not None:
        texts, owners, _ = gold_prototypes(codebook, codes)
        prototypes = embedder.encode(texts) if texts else None
        owners = np.asarray(owners, dtype=np.int64)
    return CodeSuggester(prototypes, owners, acknowledgements=embedder.encode(list(ACKNOWLEDGEMENTS)), **options)


def decided(Y: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Y as a study holds it: the ``rows`` decided, every other row NaN."""
    out = np.full(Y.shape, np.nan)
    out[rows] = Y[rows]
    return out


def fit_engine(engine: CodeSuggester, texts: list[str], E: np.ndarray, Y: np.ndarray,
               rows: np.ndarray) -> CodeSuggester:
    """A fresh copy of ``engine`` fitted as a study fits it: every text, ``rows`` decided."""
    from sklearn.base import clone

    return clone(engine).fit(texts, decided(Y, rows), embeddings=E)


def simulate_labelling(strategy: str, budget: int, texts: list[str], E: np.ndarray, Y: np.ndarray,
                       train: np.ndarray, seed: int, engine: CodeSuggester | None = None, round_size: int = 10,
                       progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """The training rows a simulated coder labels, in the order labelled. Past the cold
    start, ``engine`` (never fine-tuned here: ten fine-tunings would take an hour) is
    refitted every round and its uncertainty on the pool picks the next rows."""
    from sklearn.base import clone

    budget = min(budget, len(train))
    if strategy == "random":
        return np.random.default_rng(seed).permutation(train)[:budget]
    quick = clone(engine).set_params(fine_tune=None) if engine is not None else CodeSuggester()
    labelled: list[int] = []
    while len(labelled) < budget:
        chosen = np.array(labelled, dtype=np.int64)
        pool = np.setdiff1d(train, chosen)
        n = min(round_size, budget - len(labelled))
        proba = None
        if not typical_first(chosen.size):  # typical clusters need no model
            model = _fit(quick, texts, E, Y, chosen)
            proba = model.predict_proba([texts[i] for i in pool], embeddings=E[pool])
        labelled.extend(select_next(E, pool, chosen, n, proba, random_state=seed))
        if progress:
            progress(len(labelled), budget)
    return np.array(labelled, dtype=np.int64)


def _fit(engine: CodeSuggester, texts: list[str], E: np.ndarray, Y: np.ndarray, rows: np.ndarray) -> CodeSuggester:
    return fit_engine(engine, texts, E, Y, rows)


def split(gold: Gold, test_size: float, seed: int, groups: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Train and test row indices; with ``groups`` (a kept column) no group on both sides."""
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    rows = np.arange(len(gold.texts))
    if groups is None:
        train, test = train_test_split(rows, test_size=test_size, random_state=seed)
        return np.asarray(train), np.asarray(test)
    labels = np.asarray(gold.columns[groups])
    if len(set(labels.tolist())) < 2:
        raise ValueError(f"--groups {groups}: expected at least 2 groups, got {len(set(labels.tolist()))}")
    train, test = next(GroupShuffleSplit(1, test_size=test_size, random_state=seed).split(rows, groups=labels))
    return np.asarray(train), np.asarray(test)


def evaluate(gold: Gold, embedder: Embedder, test_size: float = 0.2, seed: int = 42, strategy: str = "full",
             budget: int = 200, codebook: Codebook | None = None,
             progress: Callable[[int, int], None] | None = None, fine_tune: str = "auto",
             tuning_progress: Callable[[int, int], None] | None = None, round_size: int = 10,
             embeddings: np.ndarray | None = None, groups: str | None = None, test: Gold | None = None,
             test_embeddings: np.ndarray | None = None) -> dict:
    """``fine_tune``: ``auto`` (fine-tune the embedding model for the final model when it is a
    sentence-transformer and at least 200 rows are labelled), ``always`` or ``never``.
    ``embeddings``: the gold texts already embedded by ``embedder``. ``test``: train on
    every gold row, test on these rows (their codes in the gold's order). The result's
    ``predictions`` hold each test row's shown codes and confidences."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}")
    tunable, minimum = fine_tune_plan(embedder, fine_tune)
    start = time.perf_counter()
    E = embeddings if embeddings is not None else embedder.encode(gold.texts, progress)
    texts, Y, ids = list(gold.texts), gold.Y, list(gold.ids)
    if test is None:
        train, held = split(gold, test_size, seed, groups)
    else:  # the corpus is both files, as a study holding both would be
        E_test = test_embeddings if test_embeddings is not None else embedder.encode(test.texts)
        train = np.arange(len(texts))
        held = np.arange(len(texts), len(texts) + len(test.texts))
        texts, Y, ids = texts + list(test.texts), np.vstack([Y, test.Y]), ids + list(test.ids)
        E = np.vstack([E, E_test])
    engine = make_engine(gold.codes, codebook, embedder, fine_tune=tunable, fine_tune_min=minimum,
                         progress=tuning_progress)
    if strategy == "full":
        rows = train
    else:
        rows = simulate_labelling(strategy, budget, texts, E, Y, train, seed, engine, round_size)
    model = _fit(engine, texts, E, Y, rows)
    proba = model.predict_proba([texts[i] for i in held], embeddings=E[held])
    P = model.shown(proba).astype(np.int64)
    result = metrics(Y[held], P, gold.codes)
    result.update(shown_metrics(Y[held], proba, model))
    for code, threshold in zip(gold.codes, model.show_thresholds_, strict=True):
        result["per_code"][code]["shown_from"] = round(float(threshold), 4)
    result["shown_from"] = round(float(model.display_.pooled_), 4)  # the pooled learnt threshold
    result.update({"fine_tuned": model.fine_tuned_, "strategy": strategy,
                   "round_size": round_size if strategy == "active" else None,
                   "budget": int(rows.size) if strategy != "full" else None,
                   "n_train": int(rows.size), "n_test": int(len(held)),
                   "seconds": round(time.perf_counter() - start, 2),
                   "predictions": [{"id": ids[i], "gold": [c for c, y in zip(gold.codes, Y[i], strict=True) if y],
                                    "shown": [(gold.codes[k], round(float(proba[r, k]), 4))
                                              for k in np.argsort(-proba[r], kind="stable") if P[r, k]]}
                                   for r, i in enumerate(held)]})
    return result


FIGURES = ("micro_f1", "macro_f1", "samples_f1")
SHOWN_FIGURES = ("shown_precision", "shown_recall", "precision_at_1", "ece")


def evaluate_repeated(gold: Gold, embedder: Embedder, repeats: int = 1, seed: int = 42,
                      progress: Callable[[int, int], None] | None = None, test: Gold | None = None,
                      **options: object) -> dict:
    """:func:`evaluate` on ``repeats`` splits, seeds ``seed``, ``seed + 1`` …, the texts embedded
    once: the mean of each figure (per code too: precision, recall, F1 and kappa averaged,
    support summed), its standard deviation over the splits (``sd``) and each split's
    figures (``splits``). With one repeat, exactly :func:`evaluate`'s result."""
    if repeats < 1:
        raise ValueError("repeats must be 1 or more")
    E = embedder.encode(gold.texts, progress)
    E_test = embedder.encode(test.texts) if test is not None else None
    runs = [evaluate(gold, embedder, seed=seed + r, embeddings=E, test=test, test_embeddings=E_test, **options)
            for r in range(repeats)]
    if repeats == 1:
        return runs[0]
    per_code = {}
    for code in runs[0]["per_code"]:
        rows = [run["per_code"][code] for run in runs]
        kappas = [r["kappa"] for r in rows if r["kappa"] is not None]
        per_code[code] = {key: round(float(np.mean([r[key] for r in rows])), 4) for key in ("precision", "recall", "f1")}
        per_code[code]["kappa"] = round(float(np.mean(kappas)), 4) if kappas else None
        per_code[code]["support"] = int(sum(r["support"] for r in rows))
    figures = (*FIGURES, *SHOWN_FIGURES)
    result = {key: round(float(np.mean([run[key] for run in runs])), 4) for key in (*figures, "shown_from")}
    result.update({
        "per_code": per_code,
        "shown": int(sum(run["shown"] for run in runs)),
        "reliability": runs[0]["reliability"],
        "sd": {key: round(float(np.std([run[key] for run in runs], ddof=1)), 4) for key in figures},
        "splits": [{"seed": seed + r, **{key: run[key] for key in (*figures, "n_train", "n_test", "fine_tuned",
                                                                    "seconds")}} for r, run in enumerate(runs)],
        "fine_tuned": all(run["fine_tuned"] for run in runs),
        "strategy": runs[0]["strategy"],
        "round_size": runs[0]["round_size"],
        "budget": runs[0]["budget"],
        "n_train": runs[0]["n_train"],
        "n_test": runs[0]["n_test"],
        "repeats": repeats,
        "seconds": round(sum(run["seconds"] for run in runs), 2),
        "predictions": runs[0]["predictions"],
    })
    return result


def compare_strategies(gold: Gold, embedder: Embedder, seeds: Sequence[int], budget: int = 200,
                       strategies: tuple[str, str] = ("active", "random"),
                       progress: Callable[[int, int], None] | None = None, **options: object) -> dict:
    """Two strategies at one ``budget`` on the same splits, one split per seed, the texts
    embedded once: per split both strategies' micro / macro F1 and which is ahead on
    micro-F1 (a tie is no win), then the means and the number of wins. Why splits and not
    one figure: which rows a simulated coder labels changes the figure by more than the
    strategies differ (see :mod:`qualcode.pipeline.active`), so a claim that one strategy
    is better is a count of splits."""
    first, second = strategies
    E = embedder.encode(gold.texts)
    rows = []
    for i, seed in enumerate(seeds):
        runs = {s: evaluate(gold, embedder, seed=int(seed), strategy=s, budget=budget, embeddings=E, **options)
                for s in strategies}
        diff = runs[first]["micro_f1"] - runs[second]["micro_f1"]
        rows.append({"seed": int(seed), **{f"{s}_{k}": runs[s][k] for s in strategies for k in ("micro_f1", "macro_f1")},
                     "difference": round(diff, 4), "ahead": first if diff > 0 else second if diff < 0 else "tie"})
        if progress:
            progress(i + 1, len(seeds))
    mean = {f"{s}_{k}": round(float(np.mean([r[f"{s}_{k}"] for r in rows])), 4)
            for s in strategies for k in ("micro_f1", "macro_f1")} if rows else {}
    diffs = [r["difference"] for r in rows]
    return {"budget": budget, "strategies": list(strategies), "splits": rows, "mean": mean,
            "wins": {s: sum(r["ahead"] == s for r in rows) for s in strategies},
            "mean_difference": round(float(np.mean(diffs)), 4) if diffs else 0.0,
            "sd_difference": round(float(np.std(diffs, ddof=1)), 4) if len(diffs) > 1 else 0.0,
            "macro_wins": sum(r[f"{first}_macro_f1"] > r[f"{second}_macro_f1"] for r in rows)}


def format_comparison(result: dict) -> str:
    """The table ``bench/active_vs_random.py`` prints."""
    a, b = result["strategies"]
    lines = [f"budget {result['budget']}: {a} against {b}, micro-F1 / macro-F1 per split",
             f"{'seed':>4} {a + ' micro':>12} {a + ' macro':>12} {b + ' micro':>12} {b + ' macro':>12} "
             f"{'diff':>7}  ahead"]
    for r in result["splits"]:
        lines.append(f"{r['seed']:>4} {r[f'{a}_micro_f1']:>12.4f} {r[f'{a}_macro_f1']:>12.4f} "
                     f"{r[f'{b}_micro_f1']:>12.4f} {r[f'{b}_macro_f1']:>12.4f} {r['difference']:>+7.4f}  {r['ahead']}")
    m, n = result["mean"], len(result["splits"])
    if n:
        lines.append(f"mean {m[f'{a}_micro_f1']:>12.4f} {m[f'{a}_macro_f1']:>12.4f} {m[f'{b}_micro_f1']:>12.4f} "
                     f"{m[f'{b}_macro_f1']:>12.4f} {result['mean_difference']:>+7.4f}  (sd of the difference "
                     f"{result['sd_difference']:.4f})")
    lines.append(f"{a} ahead on micro-F1 on {result['wins'][a]} of {n} splits ({b} on {result['wins'][b]}); "
                 f"on macro-F1 on {result['macro_wins']} of {n}")
    return "\n".join(lines)
