from __future__ import annotations

import numpy as np
import pytest

from qualcode.errors import ModelError
from qualcode.pipeline.embed import CachedEmbedder, make_embedder
from tests.conftest import CountingEmbedder


def test_cache_never_re_embeds_unchanged_text(tmp_path):
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, tmp_path)
    first = cached.encode(["a cat", "a dog", "a cat"])
    assert inner.calls == [2]  # duplicates embedded once
    again = CachedEmbedder(inner, tmp_path).encode(["a dog", "a cat", "a new one"])
    assert inner.calls == [2, 1]
    np.testing.assert_array_equal(again[0], first[1])
    np.testing.assert_array_equal(again[1], first[0])
    assert first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)


def test_one_cached_embedder_serves_several_threads(tmp_path):
    """The app keeps one embedder for all sessions; Streamlit runs each script run in its
    own thread."""
    from concurrent.futures import ThreadPoolExecutor

    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, tmp_path)
    first = cached.encode(["made in the main thread"])
    texts = [[f"text {t}-{i}" for i in range(30)] + ["made in the main thread"] for t in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(cached.encode, texts))
    for batch, result in zip(texts, results, strict=True):
        np.testing.assert_array_equal(result, CountingEmbedder().encode(batch))
        np.testing.assert_array_equal(result[-1], first[0])
    assert sum(inner.calls) == 1 + 4 * 30  # every text embedded once, the shared one from the cache


def test_cache_is_keyed_by_model(tmp_path):
    a = CachedEmbedder(CountingEmbedder(64), tmp_path)
    b_inner = CountingEmbedder(32)
    b = CachedEmbedder(b_inner, tmp_path)
    a.encode(["same text"])
    assert b.encode(["same text"]).shape == (1, 32) and b_inner.calls == [1]


def test_unknown_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="no/such/model"):
        make_embedder(str(tmp_path / "no/such/model"))


@pytest.mark.slow
def test_bundled_minilm_loads_offline_and_ranks_meaning():
    model = make_embedder("all-MiniLM-L6-v2")
    vecs = model.encode(["The GP refused to refer me to a specialist.",
                         "My doctor would not send me to the hospital consultant.",
                         "The budget for roads was cut."])
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.2


def test_fully_cached_run_never_loads_the_model(tmp_path):
    from qualcode.pipeline.embed import SentenceTransformerEmbedder

    real = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    assert real._model is None  # loading is deferred to the first text not in the cache
    stand_in = CountingEmbedder(384)
    stand_in.model_id = real.model_id  # fill the cache under the real model's id
    CachedEmbedder(stand_in, tmp_path).encode(["already embedded"])
    CachedEmbedder(real, tmp_path).encode(["already embedded"])
    assert real._model is None


def test_the_default_backend_is_onnx_float32_and_each_backend_can_be_chosen(tmp_path, monkeypatch):
    from qualcode.pipeline.embed import OnnxEmbedder, SentenceTransformerEmbedder

    pytest.importorskip("onnxruntime")
    default = make_embedder("all-MiniLM-L6-v2", tmp_path)
    assert isinstance(default.inner, OnnxEmbedder) and not default.inner.quantise
    assert default.model_id == "all-MiniLM-L6-v2"  # torch's vectors to float rounding: one cache for both
    assert isinstance(make_embedder("torch:all-MiniLM-L6-v2"), SentenceTransformerEmbedder)
    int8 = make_embedder("onnx-int8:all-MiniLM-L6-v2", tmp_path)
    assert int8.inner.quantise and int8.model_id == "all-MiniLM-L6-v2+onnx-int8-ffn32"  # never mixed in one cache
    monkeypatch.setenv("QUALCODE_BACKEND", "torch")
    assert isinstance(make_embedder("all-MiniLM-L6-v2"), SentenceTransformerEmbedder)
    monkeypatch.setenv("QUALCODE_BACKEND", "gpu")
    with pytest.raises(ModelError, match="QUALCODE_BACKEND: expected one of onnx, torch, onnx-int8, got 'gpu'"):
        make_embedder("all-MiniLM-L6-v2")
    assert make_embedder("hash:8").model_id == "hash-8"  # a model with no backend to choose


def test_fully_cached_run_never_builds_the_onnx_model(tmp_path):
    from qualcode.pipeline.embed import OnnxEmbedder

    real = OnnxEmbedder("all-MiniLM-L6-v2", tmp_path, quantise=False)
    stand_in = CountingEmbedder(384)
    stand_in.model_id = real.model_id
    CachedEmbedder(stand_in, tmp_path).encode(["already embedded"])
    CachedEmbedder(real, tmp_path).encode(["already embedded"])
    assert real._session is None and not (tmp_path / "onnx").exists()


@pytest.mark.slow
@pytest.mark.parametrize("backend, model_id, built_name", [
    ("onnx", "all-MiniLM-L6-v2", "model_fused.onnx"),
    ("onnx-int8", "all-MiniLM-L6-v2+onnx-int8-ffn32", "model_int8.onnx")])
def test_onnx_and_torch_backends_give_the_same_suggestions(tmp_path, backend, model_id, built_name):
    from qualcode.io.codebook import parse_codebook
    from qualcode.pipeline.prototypes import code_prototypes
    from qualcode.pipeline.suggest import CodeSuggester
    from tests.conftest import TINY_CODEBOOK

    pytest.importorskip("onnxruntime")
    codebook = parse_codebook(TINY_CODEBOOK)
    texts = ["I rang the surgery at eight and every appointment had gone.", "The phone was engaged all morning.",
             "They cut the budget for the clinic again this year.", "Waiting three weeks for a doctor is too long.",
             "It costs me money to park at the hospital.", "Nobody answered the phone line for an hour.",
             "The staff were lovely.", "Okay."] * 3
    proto_texts, owners, _ = code_prototypes(codebook, codebook.ids())
    onnx = make_embedder(f"{backend}:all-MiniLM-L6-v2", tmp_path / "cache")
    torch_ = make_embedder("torch:all-MiniLM-L6-v2")
    assert onnx.model_id == model_id and torch_.model_id == "all-MiniLM-L6-v2"
    A, B = onnx.encode(texts), torch_.encode(texts)
    assert A.shape == B.shape and A.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(A, axis=1), 1.0, rtol=1e-5)
    # int8 with float32 feed-forward outputs: 0.978 at worst on these texts (0.982 over 500 comments)
    assert float((A * B).sum(axis=1).min()) > (0.9999 if backend == "onnx" else 0.97)
    built = list((tmp_path / "cache").rglob(built_name))
    assert len(built) == 1  # exported once from the local weights, then reused
    make_embedder(f"{backend}:all-MiniLM-L6-v2", tmp_path / "cache").encode(texts[:2])
    assert list((tmp_path / "cache").rglob(built_name)) == built
    Y = np.full((len(texts), len(codebook.ids())), np.nan)
    results, shown = [], []
    for E, embedder in ((A, onnx), (B, torch_)):
        s = CodeSuggester(embedder.encode(proto_texts), np.array(owners)).fit(texts, Y, embeddings=E)
        results.append(s.predict_proba(texts, embeddings=E))
        shown.append(s.shown(results[-1]))
    gap = np.abs(results[0] - results[1])
    if backend == "onnx":  # float32: the same suggestions
        assert gap.max() < 1e-3 and (shown[0] == shown[1]).all() and shown[0].sum() > 5
    else:
        assert gap.mean() < 0.02 and gap.max() < 0.15  # measured 0.009 and 0.11, the largest on near-ties
        assert (shown[0] == shown[1]).mean() >= 0.95 and shown[0].sum() > 5  # measured: all the same


class _FakeTokenizer:
    """Word ids (1 + word length), so a text's token count is its word count."""

    def encode_batch(self, texts):
        from types import SimpleNamespace

        return [SimpleNamespace(ids=[1 + len(w) for w in t.split()], type_ids=[0] * len(t.split())) for t in texts]


class _FakeSession:
    """Token vectors looked up from a fixed table: what a padded row yields must not leak into the mean."""

    def __init__(self) -> None:
        self.table = np.random.default_rng(0).normal(size=(40, 8)).astype(np.float32)
        self.shapes = []

    def run(self, _outputs, feeds):
        self.shapes.append(feeds["input_ids"].shape)
        return [self.table[feeds["input_ids"]] + 100 * (1 - feeds["attention_mask"][..., None])]


def _fake_onnx(batch_size):
    from qualcode.pipeline.embed import OnnxEmbedder

    embedder = OnnxEmbedder.__new__(OnnxEmbedder)  # no model folder: the session and tokenizer are stand-ins
    embedder.batch_size, embedder._session, embedder._tokenizer = batch_size, _FakeSession(), _FakeTokenizer()
    embedder.max_tokens = None
    return embedder


def test_onnx_encode_embeds_distinct_texts_in_batches_of_like_length_padded_to_their_longest():
    texts = ["a bb", "one two three four five", "a bb", "x", "lorem ipsum dolor", "x", "p q"]
    embedder = _fake_onnx(batch_size=2)
    out = embedder.encode(texts)
    assert embedder._session.shapes == [(2, 2), (2, 3), (1, 5)]  # 5 distinct, shortest first, padded per batch
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_array_equal(out[3], out[5])
    table = embedder._session.table
    for text, row in zip(texts, out, strict=True):  # the masked mean of the text's own tokens, L2-normalised
        mean = table[[1 + len(w) for w in text.split()]].mean(axis=0)
        np.testing.assert_allclose(row, mean / np.linalg.norm(mean), rtol=1e-5, atol=1e-6)
    assert out.dtype == np.float32 and out.shape == (7, 8)
    alone = _fake_onnx(batch_size=1).encode(texts)  # the batch a text lands in changes nothing
    np.testing.assert_allclose(alone, out, atol=1e-6)
    budget = _fake_onnx(batch_size=4)
    budget.max_tokens = 4  # at most 4 padded tokens a batch
    np.testing.assert_allclose(budget.encode(texts), out, atol=1e-6)
    assert budget._session.shapes == [(2, 2), (1, 2), (1, 3), (1, 5)]


def test_batches_hold_at_most_batch_size_texts_and_with_a_token_budget_at_most_that_many_padded_tokens():
    from qualcode.pipeline.onnx_embed import _batches

    lengths = np.array([1, 2, 3, 10, 10, 50, 200, 256])  # sorted, as encode sorts them
    assert _batches(lengths, 4, None) == [(0, 4), (4, 8)]
    # 4 × 10 = 40 and 2 × 50 = 100 fit 100 tokens; a text longer than the budget goes alone
    assert _batches(lengths, 4, 100) == [(0, 4), (4, 6), (6, 7), (7, 8)]
    assert _batches(lengths[:0], 4, 100) == []


def test_the_fully_int8_variant_has_its_own_model_id_and_file(tmp_path):
    from qualcode.pipeline.onnx_embed import OnnxEmbedder

    ffn32 = OnnxEmbedder("all-MiniLM-L6-v2", tmp_path, quantise=True)
    every = OnnxEmbedder("all-MiniLM-L6-v2", tmp_path, quantise=True, ffn_float=False)
    fp32 = OnnxEmbedder("all-MiniLM-L6-v2", tmp_path, quantise=False)
    assert (fp32.model_id, ffn32.model_id, every.model_id) == (
        "all-MiniLM-L6-v2", "all-MiniLM-L6-v2+onnx-int8-ffn32", "all-MiniLM-L6-v2+onnx-int8")
    assert len({fp32.fingerprint(), ffn32.fingerprint(), every.fingerprint()}) == 3  # never one file for two
