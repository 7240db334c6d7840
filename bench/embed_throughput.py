"""qualcode's embedding throughput against raw SentenceTransformer.encode, in one run.

Prints segments per second for raw ``SentenceTransformer.encode`` (torch) on N texts and,
on the same texts, for qualcode's cached embedder with an empty cache on each backend:
``torch`` (the same loaded model: only qualcode's own work differs), ``onnx`` (float32
ONNX Runtime with BERT fusions), ``onnx-int8`` (int8 but the feed-forward outputs) and
``onnx-int8-all`` (every weight product int8; not a backend, measured for the record),
each built once beforehand, not timed; then the cache-full re-run of the default. Ratios to
raw (goals: the default >= 2.0, the cached re-run >= 20x) and each backend's cosine to raw
torch's vectors. The sides take turns ``--repeats`` times, in a fresh order each round (on a
shared machine the load moves: no side always follows the same one); each keeps its fastest
pass (as timeit does), and the median of the per-round ratios is printed beside it.

    .venv/bin/python bench/embed_throughput.py [--n 2000] [--repeats 3]

Texts: the FFT comments from ../shared when present, else segments of the example study.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
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
    parser.add_argument("--repeats", type=int, default=3, help="turns each side takes (default 3)")
    args = parser.parse_args()
    if args.n < 1 or args.repeats < 1:
        parser.error("--n and --repeats must be 1 or more")
    sample = texts(args.n)

    import numpy as np
    from sentence_transformers import SentenceTransformer

    from qualcode.pipeline.embed import CachedEmbedder, SentenceTransformerEmbedder, _backend_of, resolve_model_path
    from qualcode.pipeline.onnx_embed import OnnxEmbedder

    raw = SentenceTransformer(str(resolve_model_path("all-MiniLM-L6-v2")), device="cpu")
    raw.encode(sample[:64])  # warm-up, both sides use the same weights
    torch_ = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    torch_._model = raw  # the same loaded model: only qualcode's own work differs
    built = Path(tempfile.gettempdir()) / "qualcode-bench"
    sides = {"torch": torch_, "onnx": OnnxEmbedder("all-MiniLM-L6-v2", built, quantise=False),
             "onnx-int8": OnnxEmbedder("all-MiniLM-L6-v2", built, quantise=True),
             "onnx-int8-all": OnnxEmbedder("all-MiniLM-L6-v2", built, quantise=True, ffn_float=False)}
    for side in sides.values():
        side.encode(sample[:64])  # export once (cached by fingerprint), then warm up
    default = _backend_of("all-MiniLM-L6-v2")[0]
    raw_times: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in sides}
    warm_times: list[float] = []
    vectors: dict[str, np.ndarray] = {}
    rng = random.Random(0)
    order = ["raw", *sides]
    for _ in range(args.repeats):
        rng.shuffle(order)
        for name in order:
            if name == "raw":
                t0 = time.perf_counter()
                # encode's own batch size (32): measured here no slower than 64 (40.2 s against 42.1 s, 500 texts)
                reference = raw.encode(sample, normalize_embeddings=True, convert_to_numpy=True,
                                       show_progress_bar=False)
                raw_times.append(time.perf_counter() - t0)
                continue
            with tempfile.TemporaryDirectory() as cache:  # empty every time
                ours = CachedEmbedder(sides[name], cache)
                t0 = time.perf_counter()
                vectors[name] = ours.encode(sample)
                times[name].append(time.perf_counter() - t0)
                ours.close()
                if name == default:
                    again = CachedEmbedder(sides[name], cache)
                    t0 = time.perf_counter()
                    again.encode(sample)
                    warm_times.append(time.perf_counter() - t0)
                    again.close()
    n = len(sample)
    raw_s, warm_s = min(raw_times), min(warm_times)
    print(f"texts: {n} (mean {sum(len(t.split()) for t in sample) / n:.1f} words); "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"fastest of {args.repeats} turns each; all passes (s): raw {' '.join(f'{t:.2f}' for t in raw_times)}; "
          + "; ".join(f"{k} {' '.join(f'{t:.2f}' for t in v)}" for k, v in times.items()))
    print(f"raw SentenceTransformer.encode : {n / raw_s:8.1f} segments/s ({raw_s:.2f} s)")
    for name, ts in times.items():
        cos = (vectors[name] * reference).sum(axis=1)
        rounds = sorted(r / t for r, t in zip(raw_times, ts, strict=True))
        print(f"qualcode {name:<13s}, no cache: {n / min(ts):8.1f} segments/s ({min(ts):.2f} s), "
              f"ratio {raw_s / min(ts):.3f} (median of rounds {rounds[len(rounds) // 2]:.3f}), "
              f"cosine to raw mean {cos.mean():.5f} min {cos.min():.5f}")
    print(f"qualcode, cache full (re-run)  : {n / warm_s:8.1f} segments/s ({warm_s:.3f} s)")
    rounds = sorted(r / t for r, t in zip(raw_times, times[default], strict=True))
    print(f"ratio qualcode / raw           : {raw_s / min(times[default]):.3f}  (median of rounds "
          f"{rounds[len(rounds) // 2]:.3f}; default backend {default}, model "
          f"{sides[default].model_id}; load average {os.getloadavg()[0]:.1f}; goal >= 2.0)")
    print(f"cached re-run speed-up         : {min(times[default]) / warm_s:.1f}x  (goal >= 20x)")


if __name__ == "__main__":
    main()
