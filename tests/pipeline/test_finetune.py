"""Fine-tuning the embedding model with a multi-label head (real MiniLM, tiny data)."""

from __future__ import annotations

import numpy as np
import pytest

from qualcode.pipeline.classify import CodeClassifier, sigmoid
from qualcode.pipeline.embed import fine_tunable, make_embedder

FOOD = ["The food was cold and tasteless.", "Lovely meals and plenty of drinks.", "Dinner arrived late and cold.",
        "The menu had no vegetarian choice.", "Breakfast was the best part of the day.", "Tea and toast were always on offer."]
STAFF = ["The nurse was rude to me.", "Staff were kind and caring.", "The doctor listened to my worries.",
         "Nurses were friendly and patient.", "The receptionist was dismissive.", "My key worker was very supportive."]


def test_only_a_sentence_transformer_can_be_fine_tuned(tmp_path):
    from qualcode.pipeline.embed import resolve_model_path

    assert fine_tunable(make_embedder("hash:64")) is None
    assert fine_tunable(make_embedder("hash:64", cache_dir=tmp_path)) is None
    bundled = str(resolve_model_path("all-MiniLM-L6-v2"))
    assert fine_tunable(make_embedder("all-MiniLM-L6-v2")) == bundled
    assert fine_tunable(make_embedder("all-MiniLM-L6-v2", cache_dir=tmp_path)) == bundled  # through the cache
    assert fine_tunable(make_embedder("onnx:all-MiniLM-L6-v2", cache_dir=tmp_path)) == bundled  # same weights


@pytest.mark.slow
def test_fine_tuned_head_learns_the_codes_and_is_deterministic():
    from qualcode.pipeline.finetune import FineTunedHead

    texts = FOOD + STAFF
    Y = np.array([[1, 0]] * len(FOOD) + [[0, 1]] * len(STAFF))
    unseen = ["The soup was too salty.", "The nurse on nights was lovely."]
    first = FineTunedHead("all-MiniLM-L6-v2", epochs=1, min_steps=20, batch_size=4, random_state=3).fit(texts, Y)
    assert first.steps_ == 21  # at least min_steps, in whole passes over the data
    calls = []
    logits = first.decision_function(unseen, batch_size=1, progress=lambda d, t: calls.append((d, t)))
    assert logits.shape == (2, 2) and calls == [(1, 2), (2, 2)]
    assert logits[0, 0] > 0 > logits[0, 1] and logits[1, 1] > 0 > logits[1, 0]
    again = FineTunedHead("all-MiniLM-L6-v2", epochs=1, min_steps=20, batch_size=4, random_state=3).fit(texts, Y)
    assert np.allclose(again.decision_function(unseen), logits, atol=1e-5)


@pytest.mark.slow
def test_classifier_blends_the_fine_tuned_head_only_with_enough_rows():
    texts = FOOD + STAFF
    Y = np.array([[1, 0, 0]] * len(FOOD) + [[0, 1, 0]] * len(STAFF))  # third code never seen
    E = make_embedder("all-MiniLM-L6-v2").encode(texts)
    model = make_embedder("all-MiniLM-L6-v2").path
    small = CodeClassifier(folds=3, fine_tune=str(model), fine_tune_min=13).fit(texts, Y, embeddings=E)
    assert small.head_ is None  # 12 rows < 13: the SVMs alone
    clf = CodeClassifier(folds=3, fine_tune=str(model), fine_tune_min=12).fit(texts, Y, embeddings=E)
    assert clf.head_ is not None
    unseen = ["The soup was too salty.", "The nurse on nights was lovely."]
    Eu = make_embedder("all-MiniLM-L6-v2").encode(unseen)
    proba = clf.predict_proba(unseen, embeddings=Eu)
    assert proba.shape == (2, 3) and ((proba >= 0) & (proba <= 1)).all()
    assert proba[:, 2].tolist() == [0.0, 0.0]  # a code never coded is never suggested
    assert clf.predict(unseen, embeddings=Eu).tolist() == [[1, 0, 0], [0, 1, 0]]
    # the decision is the averaged probability against the mean of the two decision points
    margin = clf.decision_function(unseen, embeddings=Eu)
    point = 0.5 * (sigmoid(clf.calibrator_.params_[:, 1]) + 0.5)
    assert np.allclose(margin[:, :2], proba[:, :2] - point[:2])
    assert (margin[:, :2] >= 0).astype(int).tolist() == [[1, 0], [0, 1]] and np.isneginf(margin[:, 2]).all()
    assert proba[0, 0] > proba[0, 1] and proba[1, 1] > proba[1, 0]


@pytest.mark.slow
def test_fine_tuned_model_and_its_scores_are_reused_from_the_cache(tmp_path, monkeypatch):
    import sqlite3

    from qualcode.pipeline import finetune
    from qualcode.pipeline.finetune import FineTunedHead

    texts = FOOD + STAFF
    Y = np.array([[1, 0]] * len(FOOD) + [[0, 1]] * len(STAFF))
    unseen = ["The soup was too salty.", "The nurse on nights was lovely."]

    def head():
        return FineTunedHead("all-MiniLM-L6-v2", epochs=1, min_steps=20, batch_size=4, random_state=3,
                             cache_dir=tmp_path)

    steps = []
    first = head().fit(texts, Y, lambda d, t: steps.append(d))
    assert not first.cached_ and steps[-1] == 21 and len(list(tmp_path.glob("*.pt"))) == 1
    logits = first.decision_function(unseen)
    steps.clear()
    again = head().fit(texts, Y, lambda d, t: steps.append(d))
    assert again.cached_ and steps == [] and again.steps_ == 21  # loaded, not trained
    assert np.allclose(again.decision_function(unseen), logits, atol=1e-6)
    assert np.allclose(again._logits(unseen), logits, atol=1e-5)  # the loaded weights, not only the stored scores
    # other decisions: trained afresh; only the newest KEEP models (and their scores) stay
    monkeypatch.setattr(finetune, "KEEP", 1)
    other = head().fit(texts, Y[:, ::-1])
    assert not other.cached_ and [p.stem for p in tmp_path.glob("*.pt")] == [other.key_]
    other.decision_function(unseen)
    with sqlite3.connect(tmp_path / "embeddings.sqlite3") as db:
        assert [m for (m,) in db.execute("SELECT DISTINCT model FROM vectors")] == [f"fine-tuned:{other.key_}"]
    # a damaged file is trained again, not an error
    (tmp_path / f"{other.key_}.pt").write_bytes(b"not a model")
    assert not head().fit(texts, Y[:, ::-1]).cached_


def test_the_cache_key_follows_the_codes_the_texts_and_the_model_files(tmp_path):
    from qualcode.pipeline.finetune import FineTunedHead

    model = tmp_path / "model"
    model.mkdir()
    (model / "weights.bin").write_bytes(b"0" * 10)
    texts = FOOD + STAFF
    Y = np.array([[1, 0]] * len(FOOD) + [[0, 1]] * len(STAFF))
    key = FineTunedHead(str(model)).fingerprint(texts, Y)
    assert FineTunedHead(str(model), cache_dir=tmp_path / "c").fingerprint(texts, Y) == key  # where: not what
    assert FineTunedHead(str(model)).fingerprint(texts, Y[:, ::-1]) != key
    assert FineTunedHead(str(model)).fingerprint(texts[::-1], Y) != key
    assert FineTunedHead(str(model), epochs=7).fingerprint(texts, Y) != key
    (model / "weights.bin").write_bytes(b"1" * 11)  # the model replaced in place
    assert FineTunedHead(str(model)).fingerprint(texts, Y) != key


@pytest.mark.slow
def test_fine_tuning_is_bounded_in_steps_and_leaves_the_lower_layers_untouched():
    import torch

    from qualcode.pipeline.embed import load_sentence_transformer
    from qualcode.pipeline.finetune import FineTunedHead

    texts = FOOD + STAFF
    Y = np.array([[1, 0]] * len(FOOD) + [[0, 1]] * len(STAFF))
    steps = []
    head = FineTunedHead("all-MiniLM-L6-v2", epochs=50, batch_size=4, max_steps=7, frozen_layers=4,
                         random_state=1).fit(texts, Y, lambda d, t: steps.append((d, t)))
    assert head.steps_ == 7 and steps[-1] == (7, 7) and len(steps) == 7  # 50 epochs asked, 7 steps run
    tuned = head.st_[0].auto_model
    fresh = load_sentence_transformer("all-MiniLM-L6-v2")[0].auto_model
    layers = list(zip(tuned.encoder.layer, fresh.encoder.layer, strict=True))
    for a, b in [(tuned.embeddings, fresh.embeddings), *layers[:4]]:
        assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    for a, b in layers[4:]:
        assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
