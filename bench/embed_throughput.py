"""qualcode's embedding throughput against raw SentenceTransformer.encode, in one run.

Prints segments per second for (1) raw ``SentenceTransformer.encode`` on N texts,
(2) qualcode's cached embedder on the same texts with an empty cache, and (3) the same
again with the cache full, then the ratios (goals: ≥ 0.9 and ≥ 20×).

    .venv/bin/python bench/embed_throughput.py [--n 2000]

Texts: the FFT comments from ../shared when present, else segments of the example study.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def texts(n: int) -> list[str]:
    gold = ROOT.parent / "shared" / "data" / "fft" / "nhft_v6.csv"
    out: list[str] = []
    if gold.exists():
        with gold.open(encoding="utf-8") as fh:
            out = [r["FFT answer"] for r in csv.DictReader(fh) if r.get("FFT answer", "").strip()]
    if len(out) < n:
        from qualcode.io.transcripts import read_transcript
        from qualcode.pipeline.segment import segment_transcript

        for p in sorted((ROOT / "data_templates" / "example" / "transcripts").iterdir()):
            t = read_transcript(p)
            out += [t.plain_text[s.start:s.end] for s in segment_transcript(t, 40)]
    out = list(dict.fromkeys(out))  # distinct, so the cache cannot help the first pass
    while len(out) < n:
        out += [f"{t} ({len(out)})" for t in out[: n - len(out)]]
    return out[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    sample = texts(args.n)

    from sentence_transformers import SentenceTransformer

    from qualcode.pipeline.embed import CachedEmbedder, SentenceTransformerEmbedder, resolve_model_path

    raw = SentenceTransformer(str(resolve_model_path("all-MiniLM-L6-v2")), device="cpu")
    raw.encode(sample[:64], batch_size=64)  # warm-up, both sides use the same weights
    t0 = time.perf_counter()
    raw.encode(sample, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    raw_s = time.perf_counter() - t0

    inner = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    inner._model = raw  # the same loaded model: only qualcode's own work differs
    with tempfile.TemporaryDirectory() as cache:
        ours = CachedEmbedder(inner, cache)
        t0 = time.perf_counter()
        ours.encode(sample)
        cold_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        CachedEmbedder(inner, cache).encode(sample)
        warm_s = time.perf_counter() - t0
    n = len(sample)
    print(f"texts: {n} (mean {sum(len(t.split()) for t in sample) / n:.1f} words)")
    print(f"raw SentenceTransformer.encode : {n / raw_s:8.1f} segments/s ({raw_s:.2f} s)")
    print(f"qualcode, empty cache          : {n / cold_s:8.1f} segments/s ({cold_s:.2f} s)")
    print(f"qualcode, cache full (re-run)  : {n / warm_s:8.1f} segments/s ({warm_s:.3f} s)")
    print(f"ratio qualcode / raw           : {raw_s / cold_s:.3f}  (goal >= 0.9)")
    print(f"cached re-run speed-up         : {cold_s / warm_s:.1f}x  (goal >= 20x)")


if __name__ == "__main__":
    main()
