"""How good and how fast is theme discovery? Printed side by side in one run.

1. Quality on the FFT gold set (``../shared/data/fft/nhft_gold.csv``, 2,184 comments coded by
   people with 35 codes): adjusted mutual information (AMI) and purity of the clusters against
   the human codes, for qualcode's discovery, the other clusterings it was chosen from (HDBSCAN
   on a PCA projection, k-means with every comment forced into a cluster, UMAP + HDBSCAN) and
   BERTopic with default settings, all on the same embeddings (the default model, cached).
   Comments are multi-label; each is given its *first* code in the CSV's column order (the
   codebook is flat, so there is no "most specific" one). AMI "all" counts the outliers (-1,
   also BERTopic's outlier topic) as one more cluster, AMI "in" and purity use only the
   clustered comments, so a method cannot look pure by discarding most of them.
2. Time to discover on 50,000 segments (the FFT comments resampled with replacement, their
   embeddings precomputed: embedding speed is bench/embed_throughput.py), two BLAS threads.
3. Labels: no stop word, filler, contraction or participant/speaker name among any cluster's
   top five labels on the demo study (data_templates/example) and the hearing transcripts.

BERTopic is not a qualcode dependency; install it for this bench only:
``.venv/bin/pip install bertopic`` (it brings umap-learn and hdbscan). Without it those rows
say "not installed". Run: ``nice -n 10 .venv/bin/python bench/discover_quality.py``.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
FILLERS_FROM_THE_ISSUE = {"um", "uh", "erm", "yeah", "like", "know", "think", "got", "need", "mean", "just",
                          "really", "sort", "kind", "okay", "ok", "well", "right", "actually"}


def gold(path: Path) -> tuple[list[str], np.ndarray, list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    codes = list(rows[0])[2:]
    first = np.array([next((j for j, c in enumerate(codes) if r[c].strip() == "1"), -1) for r in rows])
    return [r["text"] for r in rows], first, codes


def purity(y: np.ndarray, labels: np.ndarray) -> float:
    keep = labels >= 0
    if not keep.any():
        return float("nan")
    return sum(np.bincount(y[labels == c] + 1).max() for c in set(labels[keep].tolist())) / keep.sum()


def scores(y: np.ndarray, labels: np.ndarray) -> dict:
    from sklearn.metrics import adjusted_mutual_info_score as ami

    keep = labels >= 0
    return {"clusters": len(set(labels[keep].tolist())), "outliers": float(1 - keep.mean()),
            "ami_all": ami(y, labels), "ami_in": ami(y[keep], labels[keep]) if keep.any() else float("nan"),
            "purity": purity(y, labels)}


def qualcode_labels(X: np.ndarray, texts: list[str], seed: int = 0) -> np.ndarray:
    from qualcode.pipeline.discover import discover_clusters

    found = discover_clusters(X, texts, random_state=seed)
    labels = np.full(len(texts), -1)
    for c in found.clusters:
        labels[list(c.members)] = c.label
    return labels


def alternatives(X: np.ndarray, seed: int) -> dict:
    from sklearn.cluster import HDBSCAN, KMeans
    from sklearn.decomposition import PCA

    from qualcode.pipeline.discover import default_n_clusters

    out = {}
    t = time.perf_counter()
    Z = PCA(10, random_state=seed).fit_transform(X)
    out["PCA(10) + HDBSCAN(min 10)"] = (HDBSCAN(min_cluster_size=10).fit(Z).labels_, time.perf_counter() - t)
    t = time.perf_counter()
    km = KMeans(default_n_clusters(len(X)), n_init=3, random_state=seed).fit(X)
    out["k-means, no outliers"] = (km.labels_, time.perf_counter() - t)
    try:
        import umap
    except ImportError:
        out["UMAP + HDBSCAN"] = None
    else:
        t = time.perf_counter()
        U = umap.UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed).fit_transform(X)
        out["UMAP(5) + HDBSCAN(min 10)"] = (HDBSCAN(min_cluster_size=10).fit(U).labels_, time.perf_counter() - t)
    return out


def bertopic_labels(texts: list[str], X: np.ndarray):  # noqa: ANN201
    try:
        from bertopic import BERTopic
    except ImportError:
        return None
    t = time.perf_counter()
    topics, _ = BERTopic().fit_transform(texts, embeddings=X)  # default settings; UMAP is unseeded
    return np.asarray(topics), time.perf_counter() - t


def label_check(study_dir: Path, transcripts: Path, participants: Path | None, embedder) -> list[str]:  # noqa: ANN001
    """Problems among any cluster's top five labels (empty: none)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from qualcode.cli import main
    from qualcode.pipeline.discover_labels import name_terms
    from qualcode.store import Study
    from qualcode.workflow import discover_study

    args = ["import", str(study_dir), str(transcripts)] + (["--participants", str(participants)] if participants else [])
    if main(["init", str(study_dir), "--codebook", str(ROOT / "codebooks" / "gp_commissioning.yaml")]) or main(args):
        return ["could not build the study"]
    with Study.open(study_dir) as study:
        clusters = discover_study(study, embedder)
        names = name_terms([s.speaker or "" for s in study.segments()] +
                           [v for p in study.participants() for k, v in p.attributes.items() if "name" in k])
    bad = []
    for c in clusters:
        for term in c.keywords[:5]:
            for w in term.split():
                if w in ENGLISH_STOP_WORDS or w in FILLERS_FROM_THE_ISSUE or "'" in w or w in names:
                    bad.append(f"cluster {c.label}: {term!r}")
    print(f"  {study_dir.name}: {len(clusters)} clusters; top five labels:")
    for c in clusters:
        print(f"    {c.label:2d} ({c.size:3d}) {', '.join(c.keywords[:5])}")
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=50_000, help="segments for the timing (default 50,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-labels", action="store_true")
    parser.add_argument("--skip-others", action="store_true", help="only qualcode's rows (no alternatives, no BERTopic)")
    args = parser.parse_args(argv)
    path = SHARED / "fft" / "nhft_gold.csv"
    if not path.exists():
        print(f"{path} is not here: nothing to measure")
        return 0
    from threadpoolctl import threadpool_limits

    from qualcode.pipeline.embed import make_embedder
    from qualcode.settings import Settings

    warnings.filterwarnings("ignore")
    embedder = make_embedder(None, cache_dir=Settings.from_env().cache_dir / "embeddings")
    texts, y, codes = gold(path)
    X = embedder.encode(texts)
    print(f"FFT gold: {len(texts)} comments, {len(codes)} codes (each comment's first code), model "
          f"{embedder.model_id}; machine: {os.cpu_count()} cores shared with other jobs (load "
          f"{os.getloadavg()[0]:.1f})\n")
    import sklearn.cluster  # noqa: F401  (imported before the clocks start)

    rows = []
    with threadpool_limits(2):
        t = time.perf_counter()
        rows.append(("qualcode discover (k-means + robust outliers)", qualcode_labels(X, texts, args.seed),
                     time.perf_counter() - t))
        for name, got in ({} if args.skip_others else alternatives(X, args.seed)).items():
            rows.append((name, *got) if got else (name + " (umap-learn not installed)", None, 0.0))
        got = None if args.skip_others else bertopic_labels(texts, X)
        rows.append(("BERTopic, default settings", *got) if got else ("BERTopic (not installed or skipped)", None, 0.0))
    print(f"{'method':48s} {'clusters':>8s} {'outliers':>8s} {'AMI all':>8s} {'AMI in':>7s} {'purity':>7s} {'seconds':>8s}")
    for name, labels, secs in rows:
        if labels is None:
            print(f"{name:48s} {'-':>8s}")
            continue
        s = scores(y, labels)
        print(f"{name:48s} {s['clusters']:8d} {s['outliers']:8.1%} {s['ami_all']:8.3f} {s['ami_in']:7.3f} "
              f"{s['purity']:7.3f} {secs:8.1f}")

    rng = np.random.default_rng(args.seed)
    pick = rng.integers(0, len(texts), args.n)
    big = X[pick] + rng.normal(0, 0.02, (args.n, X.shape[1])).astype(np.float32)  # not exact duplicates
    from qualcode.pipeline.discover import discover_clusters

    with threadpool_limits(2):
        load = os.getloadavg()[0]
        t, cpu = time.perf_counter(), time.process_time()
        found = discover_clusters(big, [texts[i] for i in pick], random_state=args.seed)
        secs, cpu = time.perf_counter() - t, time.process_time() - cpu
    print(f"\n{args.n:,} segments (resampled, embeddings precomputed), 2 threads: {secs:.1f} s wall, "
          f"{cpu:.1f} s CPU (both threads), {len(found.clusters)} clusters, {len(found.outliers):,} outliers "
          f"(target < 60 s on 2 cores; load {load:.1f} → {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "shared with other jobs: the CPU time is what 2 idle cores would need)")

    if not args.skip_labels:
        print("\nlabels (no stop word, filler, contraction or name among any cluster's top five):")
        problems = []
        with tempfile.TemporaryDirectory() as tmp:
            example = ROOT / "data_templates" / "example"
            problems += label_check(Path(tmp) / "demo", example / "transcripts", example / "participants.csv", embedder)
            if (SHARED / "transcripts").is_dir():
                problems += label_check(Path(tmp) / "hearings", SHARED / "transcripts", None, embedder)
        print("  problems: " + (", ".join(problems) if problems else "none"))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
