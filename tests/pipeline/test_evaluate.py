"""evaluate end to end on a small gold file, through the CLI entry point."""

from __future__ import annotations

import csv
import json

import pytest

from qualcode.cli import main
from tests.pipeline.test_classify import corpus


@pytest.fixture
def gold(tmp_path):
    texts, Y, _ = corpus(120, seed=1)
    path = tmp_path / "gold.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "Phones", "Money", "Staff manner"])
        for i, (t, y) in enumerate(zip(texts, Y, strict=True)):
            w.writerow([i, t, *y.tolist()])
    return path


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("strategy", ["full", "random", "active"])
def test_evaluate_json(gold, capsys, strategy):
    code, out, err = run(capsys, "evaluate", gold, "--model", "hash:256", "--strategy", strategy, "--budget", "40",
                         "--json")
    assert code == 0, err
    r = json.loads(out)
    assert set(r) >= {"micro_f1", "macro_f1", "samples_f1", "per_code", "n_train", "n_test", "seconds"}
    assert r["n_test"] == 24 and r["n_train"] == (96 if strategy == "full" else 40)
    assert set(r["per_code"]) == {"Phones", "Money", "Staff manner"}
    assert set(r["per_code"]["Money"]) == {"precision", "recall", "f1", "kappa", "support"}
    assert r["micro_f1"] > 0.8  # the words give the codes away
    assert r["round_size"] == (10 if strategy == "active" else None)


def test_cold_start_from_definitions_csv(gold, tmp_path, capsys):
    cb = tmp_path / "cb.csv"
    cb.write_text('code,definition\nPhones,"phone line engaged, ring, call"\nMoney,"money budget cost funding cuts"\n'
                  'Staff manner,"kind caring friendly lovely staff"\n')
    code, out, err = run(capsys, "evaluate", gold, "--model", "hash:256", "--strategy", "random", "--budget", "0",
                         "--codebook", cb, "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["n_train"] == 0 and r["micro_f1"] > 0.5


def test_evaluate_text_report_and_bad_input(gold, tmp_path, capsys):
    code, out, _ = run(capsys, "evaluate", gold, "--model", "hash:256")
    assert code == 0 and "micro-F1" in out and "Staff manner" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text,A\n1,hello,yes\n")
    code, _, err = run(capsys, "evaluate", bad, "--model", "hash")
    assert code == 2 and "bad.csv:2: field 'A'" in err and "0 or 1" in err
    code, _, err = run(capsys, "evaluate", gold, "--strategy", "random", "--budget", "0")
    assert code == 2 and "--codebook" in err


def test_evaluate_fine_tune_choice_is_reported(gold, capsys):
    # the lexical 'hash' model cannot be fine-tuned: 'always' quietly trains the SVMs alone
    code, out, err = run(capsys, "evaluate", gold, "--model", "hash:256", "--fine-tune", "always", "--json")
    assert code == 0, err
    assert json.loads(out)["fine_tuned"] is False
    assert "--fine-tune always has no effect with the model 'hash-256'" in err
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", str(gold), "--fine-tune", "sometimes"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "--fine-tune: invalid choice: 'sometimes'" in err and "Traceback" not in err


@pytest.mark.slow
def test_evaluate_fine_tunes_the_real_model_when_asked(gold, capsys):
    code, out, err = run(capsys, "evaluate", gold, "--strategy", "random", "--budget", "40",
                         "--fine-tune", "always")
    assert code == 0, err
    assert "trained on 40 rows (embedding model fine-tuned)" in out
    assert float(out.split("micro-F1 ")[1].split()[0]) > 0.5  # three clearly separable codes
    code, out, err = run(capsys, "evaluate", gold, "--strategy", "random", "--budget", "40", "--json")
    assert code == 0, err
    assert json.loads(out)["fine_tuned"] is False  # auto: 40 rows are too few to be worth it


@pytest.mark.parametrize("round_size, rounds, fitted_on", [(10, 4, [20, 30]), (15, 3, [30])])
def test_active_labelling_retrains_after_every_round_once_past_the_cold_start(round_size, rounds, fitted_on,
                                                                             monkeypatch):
    import numpy as np

    from qualcode.pipeline import active, evaluate
    from qualcode.pipeline.evaluate import simulate_labelling

    monkeypatch.setattr(active, "COLD_START", 20)
    fits = []
    fit = evaluate._fit

    def recording_fit(engine, texts, E, Y, rows):  # noqa: ANN001
        fits.append(len(rows))
        return fit(engine, texts, E, Y, rows)

    monkeypatch.setattr(evaluate, "_fit", recording_fit)
    texts, Y, E = corpus(120, seed=1)
    train = np.arange(20, 120)
    seen = []
    rows = simulate_labelling("active", 40, texts, E, Y, train, seed=0, round_size=round_size,
                              progress=lambda done, total: seen.append((done, total)))
    assert len(rows) == 40 and len(set(rows.tolist())) == 40 and set(rows.tolist()) <= set(train.tolist())
    assert [d for d, _ in seen] == [min(round_size * (i + 1), 40) for i in range(rounds)]
    assert fits == fitted_on  # typical clusters need no model; after that, one per round


def test_evaluate_round_size_must_be_positive(gold, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", str(gold), "--strategy", "active", "--round-size", "0"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "--round-size" in err and "Traceback" not in err


def test_evaluate_repeats_reports_each_split_and_their_mean(gold, capsys):
    code, out, err = run(capsys, "evaluate", gold, "--model", "hash:256", "--strategy", "random", "--budget", "10",
                         "--seed", "7", "--repeats", "3", "--json")
    assert code == 0, err
    r = json.loads(out)
    assert [s["seed"] for s in r["splits"]] == [7, 8, 9] and r["repeats"] == 3
    micro = [s["micro_f1"] for s in r["splits"]]
    assert len(set(micro)) > 1  # the splits differ
    assert r["micro_f1"] == pytest.approx(sum(micro) / 3, abs=1e-4)
    mean = sum(micro) / 3
    assert r["sd"]["micro_f1"] == pytest.approx((sum((m - mean) ** 2 for m in micro) / 2) ** 0.5, abs=1e-4)
    # each split is exactly the single evaluation with its seed; per code, means and summed support
    singles = []
    for seed in (7, 8, 9):
        code, out, _ = run(capsys, "evaluate", gold, "--model", "hash:256", "--strategy", "random", "--budget", "10",
                           "--seed", seed, "--json")
        singles.append(json.loads(out))
    assert [s["micro_f1"] for s in singles] == micro and "splits" not in singles[0]
    assert r["per_code"]["Money"]["support"] == sum(s["per_code"]["Money"]["support"] for s in singles)
    assert r["per_code"]["Money"]["f1"] == pytest.approx(sum(s["per_code"]["Money"]["f1"] for s in singles) / 3,
                                                         abs=1e-4)
    code, out, _ = run(capsys, "evaluate", gold, "--model", "hash:256", "--repeats", "2")
    assert code == 0 and "split seed 43" in out and "mean of 2 splits" in out and "micro-F1" in out
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", str(gold), "--repeats", "0"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "--repeats" in err and "at least 1" in err and "Traceback" not in err


def test_evaluate_repeated_embeds_the_texts_once(gold):
    from qualcode.io.gold import read_gold
    from qualcode.pipeline.embed import HashingEmbedder
    from qualcode.pipeline.evaluate import evaluate_repeated

    class Counting(HashingEmbedder):
        calls = 0

        def encode(self, texts, progress=None):  # noqa: ANN001, ANN201
            Counting.calls += 1
            return super().encode(texts, progress)

    r = evaluate_repeated(read_gold(gold), Counting(256), 3, seed=5, strategy="random", budget=10)
    assert Counting.calls == 1 and [s["seed"] for s in r["splits"]] == [5, 6, 7]
