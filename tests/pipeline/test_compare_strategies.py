"""compare_strategies (bench/active_vs_random.py): both strategies on the same splits, wins counted."""

from __future__ import annotations

from qualcode.io.gold import Gold
from qualcode.pipeline.embed import HashingEmbedder
from qualcode.pipeline.evaluate import compare_strategies, evaluate, format_comparison
from tests.pipeline.test_classify import corpus


def test_each_split_is_evaluate_on_that_seed_and_the_wins_add_up():
    texts, Y, _ = corpus(100, seed=3)
    gold = Gold([str(i) for i in range(100)], texts, ["a", "b", "c"], Y)
    embedder = HashingEmbedder(64)
    result = compare_strategies(gold, embedder, [0, 1, 2], budget=30, fine_tune="never")
    assert [r["seed"] for r in result["splits"]] == [0, 1, 2]
    for r in result["splits"]:
        for strategy in ("active", "random"):
            alone = evaluate(gold, embedder, seed=r["seed"], strategy=strategy, budget=30, fine_tune="never")
            assert (r[f"{strategy}_micro_f1"], r[f"{strategy}_macro_f1"]) == (alone["micro_f1"], alone["macro_f1"])
        assert r["difference"] == round(r["active_micro_f1"] - r["random_micro_f1"], 4)
        assert r["ahead"] == ("active" if r["difference"] > 0 else "random" if r["difference"] < 0 else "tie")
    wins = result["wins"]
    assert wins["active"] == sum(r["difference"] > 0 for r in result["splits"])
    assert wins["active"] + wins["random"] <= 3
    table = format_comparison(result)
    assert table.splitlines()[0] == "budget 30: active against random, micro-F1 / macro-F1 per split"
    assert f"active ahead on micro-F1 on {wins['active']} of 3 splits" in table
