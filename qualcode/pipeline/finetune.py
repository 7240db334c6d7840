"""A small fine-tuning of the embedding model on CPU: :class:`FineTunedHead`.

The sentence-transformer (by default all-MiniLM-L6-v2) gets a linear multi-label head and
both are trained together on the coded segments with a binary cross-entropy per code
(positives weighted by ``sqrt(negatives / positives)``, capped at 10), AdamW with a
one-cycle schedule (encoder 1e-4, head 3e-3), batches of 16. The learning rate and the
number of epochs were chosen on an inner validation split (20 %) of the FFT training rows,
never on the test rows: micro-F1 of the blend below 0.691 (5e-5, 6 epochs), 0.694 (8e-5,
8 epochs), 0.701 (1e-4, 6 epochs). Batches are drawn from segments of similar length,
which on this CPU halves the time (padding is most of the work when most comments are
short). Training runs ``epochs`` passes and at least
``min_steps`` optimiser steps, so that 200 coded segments still get ~150 steps.

Measured on the FFT data (seed-42 split, micro / macro F1 on the test rows, ``qualcode
evaluate``):

=====================  ==============  ==============  =====================
labelled rows          linear SVMs     fine-tuned      both (see classify)
=====================  ==============  ==============  =====================
1,747 (all)            0.649 / 0.545   0.651 / 0.521   0.680 / 0.579
500 (random)           0.563 / 0.365                   0.603 / 0.374
200 (random)           0.526 / 0.270   0.544 / 0.257   0.553 / 0.280
=====================  ==============  ==============  =====================

and on the inner validation split with 200 random rows (two draws): 0.522 → 0.535 and
0.527 → 0.548 with the fine-tuning (the head alone: a 5e-5 run), so
:class:`qualcode.pipeline.classify.CodeClassifier` averages the two. A contrastive
SetFit-style fine-tuning (pairs of segments sharing codes) was also measured: 0.665 /
0.581 with the SVMs but twice the time (about 11 minutes here), so this direct
classification head is kept instead. Deterministic for a given ``random_state`` on one
machine (torch's CPU kernels).

Bounded time: the figures above trained every layer for 6 epochs, about 1,100 steps on
3,000 segments (about 18 minutes on this shared 2-core machine), which a coder cannot wait
for. Now training stops at ``max_steps`` (400) however many segments are decided, and the
embeddings and lowest ``frozen_layers`` (4 of MiniLM's 6) are frozen, so the backward pass
and the optimiser touch only the top two layers and the head (``bench/finetune_time.py``).

With ``cache_dir``, the trained weights are stored under a fingerprint of the model (its files),
the settings, the texts and the codes (the newest ``KEEP`` models are kept), and each
text's scores beside them: ``qualcode code`` run again with the same decisions, e.g.
after importing more transcripts, loads the model and scores only the new segments.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

KEEP = 3  # fine-tuned models kept in a cache folder (about 90 MB each for MiniLM)
MAX_STEPS = 400  # optimiser steps at most, however many segments are decided: the time is bounded
FROZEN_LAYERS = 4  # the embeddings and the lowest transformer layers are not trained (no backward pass)


class FineTunedHead:
    def __init__(self, model: str, epochs: int = 6, min_steps: int = 150, max_seq_length: int = 128,
                 lr: float = 1e-4, head_lr: float = 3e-3, batch_size: int = 16, random_state: int = 0,
                 cache_dir: str | Path | None = None, max_steps: int | None = MAX_STEPS,
                 frozen_layers: int = FROZEN_LAYERS) -> None:
        self.model = model
        self.max_steps = max_steps
        self.frozen_layers = frozen_layers
        self.cache_dir = cache_dir
        self.epochs = epochs
        self.min_steps = min_steps
        self.max_seq_length = max_seq_length
        self.lr = lr
        self.head_lr = head_lr
        self.batch_size = batch_size
        self.random_state = random_state

    def _load(self):  # noqa: ANN202
        from qualcode.pipeline.embed import load_sentence_transformer

        st = load_sentence_transformer(self.model)
        st.max_seq_length = self.max_seq_length
        return st

    def _batches(self, rows: np.ndarray, lengths: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        """Shuffled rows cut into batches of similar length (sorted within chunks of 20 batches)."""
        order = rng.permutation(rows)
        chunk = self.batch_size * 20
        out = []
        for s in range(0, len(order), chunk):
            part = order[s:s + chunk]
            part = part[np.argsort(lengths[part], kind="stable")]
            out += [part[i:i + self.batch_size] for i in range(0, len(part), self.batch_size)]
        rng.shuffle(out)
        return out

    def _forward(self, texts: list[str]):  # noqa: ANN202
        features = (getattr(self.st_, "preprocess", None) or self.st_.tokenize)(texts)
        return self.head_(self.st_[1](self.st_[0](features))["sentence_embedding"])

    def fingerprint(self, texts: Sequence[str], Y: np.ndarray) -> str:
        """What the trained weights depend on: the model (and, for a model folder, the size
        and time of each of its files, so a model replaced in place is not mistaken for
        the old one), the settings, the texts and codes."""
        h = hashlib.sha256()
        settings = {k: v for k, v in vars(self).items() if not k.endswith("_") and k != "cache_dir"}
        h.update(json.dumps(settings, sort_keys=True, default=str).encode())
        folder = Path(str(self.model))
        if folder.is_dir():
            for f in sorted(p for p in folder.rglob("*") if p.is_file()):
                stat = f.stat()
                h.update(f"{f.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        for t in texts:
            h.update(hashlib.sha256(t.encode("utf-8")).digest())
        h.update(np.ascontiguousarray(Y, dtype=np.float32).tobytes() + str(Y.shape).encode())
        return h.hexdigest()[:32]

    def fit(self, texts: Sequence[str], Y: np.ndarray,
            progress: Callable[[int, int], None] | None = None) -> FineTunedHead:
        """Train; with ``cache_dir``, the same texts, codes and settings load the weights
        trained last time instead (``cached_`` says which happened)."""
        import torch

        texts = list(texts)
        Y = np.asarray(Y, dtype=np.float32)
        torch.manual_seed(self.random_state)
        rng = np.random.default_rng(self.random_state)
        self.st_ = self._load()
        getter = getattr(self.st_, "get_embedding_dimension", None) or self.st_.get_sentence_embedding_dimension
        dim = int(getter())
        self.head_ = torch.nn.Linear(dim, Y.shape[1])
        self.key_ = self.fingerprint(texts, Y)
        self.cached_ = False
        stored = Path(self.cache_dir) / f"{self.key_}.pt" if self.cache_dir is not None else None
        if stored is not None and stored.exists():
            try:
                state = torch.load(stored, map_location="cpu", weights_only=True)
                self.st_[0].load_state_dict(state["encoder"])
                self.head_.load_state_dict(state["head"])
                self.steps_ = int(state["steps"])
                self.st_.eval()
                self.cached_ = True
                os.utime(stored)  # most recently used: kept longest
                return self
            except Exception:  # noqa: BLE001 - a damaged cache file is retrained, never fatal
                stored.unlink(missing_ok=True)
        tok = self.st_.tokenizer
        lengths = np.array([len(tok(t, truncation=True, max_length=self.max_seq_length)["input_ids"]) for t in texts])
        pos = Y.sum(axis=0)
        weight = torch.tensor(np.clip(np.sqrt((len(Y) - pos) / np.maximum(pos, 1)), 1, 10), dtype=torch.float32)
        per_epoch = int(np.ceil(len(texts) / self.batch_size))
        epochs = max(self.epochs, int(np.ceil(self.min_steps / max(per_epoch, 1))))
        steps = epochs * per_epoch
        if self.max_steps is not None:
            steps = max(1, min(steps, self.max_steps))
        trained = self._freeze_lower_layers()
        opt = torch.optim.AdamW([{"params": trained, "lr": self.lr},
                                 {"params": list(self.head_.parameters()), "lr": self.head_lr}], weight_decay=0.01)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[self.lr, self.head_lr], total_steps=steps,
                                                    pct_start=0.1)
        target = torch.tensor(Y)
        rows = np.arange(len(texts))
        self.st_.train()
        done = 0
        while done < steps:
            for batch in self._batches(rows, lengths, rng):
                if done == steps:
                    break
                logits = self._forward([texts[i] for i in batch])
                loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, target[batch], pos_weight=weight)
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                done += 1
                if progress:
                    progress(done, steps)
        self.st_.eval()
        self.steps_ = steps
        if stored is not None:
            self._store(stored)
        return self

    def _freeze_lower_layers(self) -> list:
        """The parameters left to train: the embeddings and the lowest ``frozen_layers``
        transformer layers are frozen, so the backward pass stops above them (most of the
        time of a step on a CPU); the upper layers, which carry what a sentence is about,
        still adapt to the codes."""
        encoder = self.st_[0]
        bert = getattr(encoder, "auto_model", None)
        layers = getattr(getattr(bert, "encoder", None), "layer", None)
        if self.frozen_layers > 0 and layers is not None and hasattr(bert, "embeddings"):
            bert.embeddings.requires_grad_(False)
            for layer in list(layers)[:self.frozen_layers]:
                layer.requires_grad_(False)
        return [p for p in encoder.parameters() if p.requires_grad]

    def _store(self, path: Path) -> None:
        """Save the weights atomically, keeping the ``KEEP`` most recently used models."""
        import io

        import torch

        from qualcode.io.atomic import private_dir, write_atomic

        private_dir(path.parent)
        buffer = io.BytesIO()
        torch.save({"encoder": self.st_[0].state_dict(), "head": self.head_.state_dict(), "steps": self.steps_},
                   buffer)
        write_atomic(path, buffer.getvalue(), private=True)
        for old in sorted(path.parent.glob("*.pt"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP:]:
            old.unlink(missing_ok=True)

    def decision_function(self, texts: Sequence[str], batch_size: int = 64,
                          progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Logits (n_texts, n_codes): ≥ 0 means the head predicts the code. With
        ``cache_dir``, each text's logits are kept beside the weights, so a second
        ``qualcode code`` with the same decisions passes only new texts through the model."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.head_.out_features))
        if self.cache_dir is None:
            return self._logits(texts, batch_size, progress)
        from qualcode.pipeline.embed import CachedEmbedder

        cache = CachedEmbedder(_Logits(self, batch_size), self.cache_dir)
        try:
            kept = {f"{_Logits.PREFIX}{p.stem}" for p in Path(self.cache_dir).glob("*.pt")} | {cache.model_id}
            cache.forget_other_models(kept)
            return cache.encode(texts, progress).astype(np.float64)
        finally:
            cache.close()

    def _logits(self, texts: list[str], batch_size: int = 64,
                progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        import torch

        out = np.zeros((len(texts), self.head_.out_features), dtype=np.float64)
        order = np.argsort([len(t) for t in texts], kind="stable")
        with torch.inference_mode():
            for s in range(0, len(order), batch_size):
                idx = order[s:s + batch_size]
                out[idx] = self._forward([texts[i] for i in idx]).numpy()
                if progress:
                    progress(min(s + batch_size, len(texts)), len(texts))
        return out


class _Logits:
    """A fitted head seen as an embedder (text → logits), so that CachedEmbedder keeps them."""

    PREFIX = "fine-tuned:"

    def __init__(self, head: FineTunedHead, batch_size: int) -> None:
        self.head = head
        self.batch_size = batch_size
        self.model_id = f"{self.PREFIX}{head.key_}"

    def encode(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        return self.head._logits(list(texts), self.batch_size, progress)
