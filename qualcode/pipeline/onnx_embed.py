"""The ONNX Runtime backend of :mod:`qualcode.pipeline.embed`: a sentence-transformers model
(mean pooling) exported to ONNX from the local weights, fused, optionally int8, cached.

Why a module of its own: the export, the graph surgery and the session options are one
concern (how the model runs fast on a CPU), apart from what every embedder shares (the
protocol, the cache, the choice of backend), which stays in ``embed.py``. Callers keep
importing :class:`OnnxEmbedder` from ``qualcode.pipeline.embed``; ``embed.py`` still is the
only module that imports ``sentence_transformers`` (the export loads the model through
:func:`~qualcode.pipeline.embed.load_sentence_transformer`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qualcode.errors import ModelError
from qualcode.pipeline.embed import (
    _DEFAULT_NAMES,
    Progress,
    _normalise,
    load_sentence_transformer,
    resolve_model_path,
)

# Padded tokens per batch (rows × the longest): small batches keep each operator's tensors in the
# cores' caches. Measured here (bench/embed_throughput.py-style, 300 FFT comments, 5 rounds in
# shuffled order, load 4-5): fastest pass 3.08 s at 64 rows / 512 tokens, 3.21-3.40 s at 32 rows,
# 3.27 s at 16, 3.73 s at 8, 4.35-4.59 s at 64 rows with no budget, 6.05 s at 256 rows / 8,192.
MAX_TOKENS = 512


class OnnxEmbedder:
    """A sentence-transformers model (mean pooling) exported to ONNX and run by ONNX Runtime:
    float32 (the default backend) or, with ``quantise``, int8 (``onnx-int8:NAME``).

    Why: on a CPU, torch runs a BERT as many small operators; the exported graph gets ONNX
    Runtime's BERT fusions (one Attention per layer, skip layer norm, GELU: fewer, larger
    operators) and one intra-op pool as wide as the usable cores. The attention is exported
    eager: torch's SDPA exports as a pattern the fuser does not match, and until 2026-12-02
    the "fused" graph carried 48 plain MatMuls and 6 Softmaxes. Encoding embeds each distinct
    text once, sorted by token count, each batch padded to its own longest text and held to
    ``max_tokens`` padded tokens (:data:`MAX_TOKENS`).

    Measured here (shared 2-core AMD EPYC, AVX2 without VNNI; ``nice -n 19``; the ratio to raw
    ``SentenceTransformer.encode`` at its own batch size shrinks as the load rises):
    ``bench/embed_throughput.py --n 300 --repeats 5`` at load 4.6, batches of at most 512 padded
    tokens: float32 2.12x (median of the 5 rounds 1.78x), int8 2.12x, fully int8 2.12x (without
    VNNI int8 products gain little on batches this small); before the token budget, at load 7.3:
    float32 1.09x, int8 1.19x. float32 vectors are torch's (cosine 1.00000, worst 1.00000), so it
    keeps torch's model id and suggestions: the default.

    int8 (``onnx-int8:``) is dynamic quantisation of the weight MatMuls, per channel, each
    layer's feed-forward output left in float32 (:func:`_after_gelu`); ``ffn_float=False``
    quantises those too (model id ``…+onnx-int8``; not a backend). Cosine to torch over 500
    comments (mean / worst): 0.9958 / 0.982 (all MatMuls: 0.9914 / 0.965; QUInt8 weights
    0.9920 / 0.970; quantising the embedding lookups: 0.94). Neither is the default, by the
    rule "held-out F1 within 0.005 of float32": ``qualcode evaluate nhft_gold.csv --seed 42
    --fine-tune never``, micro / macro-F1: float32 (= torch) 0.6558 / 0.4882, int8 0.6514 /
    0.4779 (macro -0.010), fully int8 0.6571 / 0.4873; cold start (``nhft_v7_gold.csv
    --codebook codebook_v7.csv --strategy active --budget 0``): float32 0.4044 / 0.1917, int8
    0.4097 / 0.2024, fully int8 0.3965 / 0.2012 (micro -0.008, ECE 0.078 → 0.102). The mean of
    3 splits moves the other way (int8 0.6630 / 0.5100 against 0.6593 / 0.4981): the
    differences are the size of a split's noise, and float32 changes nothing. Two more reasons:
    dynamic int8 takes one activation scale per batch, so a text's vector depends on its
    batch-mates (the same text at cosine 0.980 to itself at worst, batched two ways), and on
    the seed-43 split the engine fitted on int8 vectors collapsed (precision of the top
    suggestion 0.02, one code at ~1.0 for 431 of 437 rows; float32 0.77). The export needs
    torch once; encoding needs only ``onnxruntime`` and ``tokenizers``."""

    def __init__(self, name_or_path: str, cache_dir: str | Path | None = None, batch_size: int = 64,
                 quantise: bool = True, ffn_float: bool = True, max_tokens: int | None = MAX_TOKENS) -> None:
        import json
        import tempfile

        self.quantise = quantise
        self.ffn_float = ffn_float  # int8 only: each layer's feed-forward output left in float32
        self.path = resolve_model_path(name_or_path)
        if not isinstance(self.path, Path) or not (self.path / "tokenizer.json").exists():
            raise ModelError(f"model 'onnx:{name_or_path}': expected a sentence-transformers model folder with "
                             f"tokenizer.json on this machine, got {self.path}")
        pooling = self.path / "1_Pooling" / "config.json"
        config = json.loads(pooling.read_text()) if pooling.exists() else {}
        if not config.get("pooling_mode_mean_tokens"):
            raise ModelError(f"model 'onnx:{name_or_path}': expected mean pooling (1_Pooling/config.json), got "
                             f"{sorted(k for k, v in config.items() if v is True) or 'none'}; use the model "
                             "with 'torch:'")
        bert_config = self.path / "sentence_bert_config.json"
        self.max_length = int(json.loads(bert_config.read_text()).get("max_seq_length", 256)) \
            if bert_config.exists() else 256
        base = "all-MiniLM-L6-v2" if name_or_path.lower() in _DEFAULT_NAMES else str(self.path)
        # float32: the same function of the text as torch's (cosine 1.0000 here), so the same id
        self.model_id = (f"{base}+onnx-int8-ffn32" if ffn_float else f"{base}+onnx-int8") if quantise else base
        self.cache_dir = Path(cache_dir) if cache_dir is not None else Path(tempfile.gettempdir()) / "qualcode"
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self._session = None
        self._tokenizer = None

    def fingerprint(self) -> str:
        """The model's files (name, size, time): a model replaced in place is exported again."""
        salt = (b"onnx-fused-int8-matmul-per-channel-ffn-out-fp32-v3" if self.ffn_float else
                b"onnx-fused-int8-matmul-per-channel-all-v3") if self.quantise else b"onnx-fused-fp32-eager-v2"
        h = hashlib.sha256(salt)
        for f in sorted(p for p in self.path.rglob("*") if p.is_file()):
            stat = f.stat()
            h.update(f"{f.relative_to(self.path)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        return h.hexdigest()[:24]

    def build(self) -> Path:
        """The model file, exported (fused, quantised) on first use (a minute), then cached."""
        name = ("model_int8.onnx" if self.ffn_float else "model_int8_all.onnx") if self.quantise else "model_fused.onnx"
        target = self.cache_dir / "onnx" / self.fingerprint() / name
        if target.exists():
            return target
        import tempfile

        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
            full = self._export(Path(tmp) / "model.onnx")
            fused = _fuse_attention(full, Path(tmp) / "model_fused.onnx", self.path)
            if not self.quantise:
                os.replace(fused, target)  # whole or not at all
                return target
            quantised = Path(tmp) / "model_int8.onnx"
            import logging

            from onnxruntime.quantization import QuantType, quantize_dynamic

            logging.disable(logging.WARNING)  # its advice to pre-process is for image models: nothing to act on
            try:
                quantize_dynamic(str(fused), str(quantised), weight_type=QuantType.QInt8,
                                 op_types_to_quantize=["MatMul"], per_channel=True,
                                 nodes_to_exclude=_after_gelu(fused) if self.ffn_float else [],
                                 extra_options={"DefaultTensorType": 1})  # FLOAT: fused ops carry no type
            except Exception as exc:  # noqa: BLE001 - any failure of the quantiser is this model's
                raise ModelError(f"model 'onnx-int8:{self.path}': expected ONNX Runtime to quantise the exported "
                                 f"graph {fused.name}, got {type(exc).__name__}: {str(exc)[:200]}; use 'onnx:' "
                                 "(float32)") from None
            finally:
                logging.disable(logging.NOTSET)
            os.replace(quantised, target)  # whole or not at all
        return target

    def _export(self, full: Path) -> Path:
        """The transformer (token vectors out, pooling done here) as a float32 ONNX graph."""
        import warnings

        import torch

        bert = load_sentence_transformer(str(self.path))[0].auto_model.eval()
        # torch's SDPA attention exports as a pattern (IsNaN, Where) that ONNX Runtime's BERT
        # fuser does not recognise; the eager attention (the same function) fuses into one
        # Attention operator per layer.
        try:
            bert.set_attn_implementation("eager")
        except (AttributeError, ValueError):  # an older transformers: the config decides
            bert.config._attn_implementation = "eager"

        class _Hidden(torch.nn.Module):  # keyword arguments: the forward signature moves between versions
            def __init__(self, model) -> None:  # noqa: ANN001
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN201
                return self.model(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state

        names = ["input_ids", "attention_mask", "token_type_ids"]
        sample = torch.ones((2, 8), dtype=torch.int64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(_Hidden(bert), (sample, sample, torch.zeros_like(sample)), str(full),
                              input_names=names, output_names=["last_hidden_state"],
                              dynamic_axes={k: {0: "batch", 1: "tokens"} for k in [*names, "last_hidden_state"]},
                              opset_version=17, dynamo=False)
        return full

    def _load(self):  # noqa: ANN202
        if self._session is None:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            options = ort.SessionOptions()
            options.log_severity_level = 3
            # One pool as wide as the cores this process may use; no inter-op pool (a
            # transformer is a chain of operators, a second pool only competes for the cores).
            options.intra_op_num_threads = _usable_cores()
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            self._session = ort.InferenceSession(str(self.build()), options, providers=["CPUExecutionProvider"])
            tok = Tokenizer.from_file(str(self.path / "tokenizer.json"))
            tok.enable_truncation(self.max_length)
            tok.no_padding()  # each batch is padded below, to its own longest text
            self._tokenizer = tok
        return self._session

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Distinct texts only, tokenised once, sorted by token count and cut into batches
        padded to their own longest text: short comments never pay for a long one."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        session = self._load()
        distinct = list(dict.fromkeys(texts))
        enc = self._tokenizer.encode_batch(distinct)
        lengths = np.array([len(e.ids) for e in enc])
        order = np.argsort(lengths, kind="stable")
        out = None
        for start, stop in _batches(lengths[order], self.batch_size, self.max_tokens):
            idx = order[start:stop]
            width = int(lengths[idx].max())
            ids = np.zeros((len(idx), width), dtype=np.int64)
            types = np.zeros_like(ids)
            mask = np.zeros_like(ids)
            for row, i in enumerate(idx):
                e = enc[i]
                ids[row, :len(e.ids)] = e.ids
                types[row, :len(e.ids)] = e.type_ids
                mask[row, :len(e.ids)] = 1
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            if out is None:
                out = np.zeros((len(distinct), pooled.shape[1]), dtype=np.float32)
            out[idx] = pooled
            if progress:
                progress(stop, len(distinct))
        out = _normalise(out)
        if len(distinct) == len(texts):
            return out
        row_of = {t: i for i, t in enumerate(distinct)}
        return out[[row_of[t] for t in texts]]


def _batches(sorted_lengths: np.ndarray, batch_size: int, max_tokens: int | None) -> list[tuple[int, int]]:
    """(start, stop) of each batch over texts sorted by token count: at most ``batch_size`` texts
    and, with ``max_tokens``, at most that many tokens once padded (rows × the longest), one text
    at least."""
    out, start, n = [], 0, len(sorted_lengths)
    while start < n:
        stop = min(start + batch_size, n)
        if max_tokens:
            while stop - start > 1 and (stop - start) * int(sorted_lengths[stop - 1]) > max_tokens:
                stop -= 1
        out.append((start, stop))
        start = stop
    return out


def _usable_cores() -> int:
    """The cores this process may run on (a container or ``taskset`` may allow fewer than the machine has)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _after_gelu(graph: Path) -> list[str]:
    """The matrix products fed by a GELU: each layer's feed-forward output, left in float32 by the
    int8 model. Why: the GELU's outputs hold a few large values, so one dynamic int8 scale for the
    whole tensor leaves the many small ones a handful of levels (the activation outliers of
    Bondarenko et al., 2021). Measured here (500 FFT comments): cosine to torch 0.9914 (worst 0.965)
    with them quantised, 0.9958 (worst 0.982) without, for 6 of 36 matrix products."""
    import onnx

    nodes = onnx.load(str(graph), load_external_data=False).graph.node
    gelu_out = {o for n in nodes if n.op_type in ("Gelu", "BiasGelu", "FastGelu") for o in n.output}
    for n in nodes:  # an unfused GELU ends in the Mul that halves x * (1 + erf(x / sqrt 2))
        if n.op_type == "Mul" and "act" in n.name and n.name.endswith("Mul_1"):
            gelu_out.update(n.output)
    return [n.name for n in nodes if n.op_type == "MatMul" and n.input and n.input[0] in gelu_out]


def _fuse_attention(full: Path, fused: Path, model_dir: Path) -> Path:
    """ONNX Runtime's BERT fusions (attention, layer norm with skip, GELU) on the exported graph:
    fewer, larger operators. Measured here (300 comments, load 8): 1.66x → 1.84x raw torch once quantised, embeddings
    unchanged (cosine 1.0000 in float32). A graph the fusions do not recognise is used as exported."""
    import json

    try:
        from onnxruntime.transformers import optimizer

        config = json.loads((model_dir / "config.json").read_text())
        model = optimizer.optimize_model(str(full), model_type="bert", num_heads=int(config["num_attention_heads"]),
                                         hidden_size=int(config["hidden_size"]), opt_level=1)
        model.save_model_to_file(str(fused))
        return fused
    except Exception:  # noqa: BLE001 - fusion is an optimisation only; the plain graph is correct
        return full
