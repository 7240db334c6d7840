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
    assert set(r["per_code"]["Money"]) == {"precision", "recall", "f1", "kappa", "support", "shown_from"}
    # the display rule: learnt from the 96 decided rows (full), the fixed 0.5 below 50 decisions
    thresholds = [m["shown_from"] for m in r["per_code"].values()]
    assert all(0.3 <= t <= 0.95 for t in thresholds) and (strategy == "full" or thresholds == [0.5] * 3)
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

    rows = read_gold(gold)

    class Counting(HashingEmbedder):
        calls = 0

        def encode(self, texts, progress=None):  # noqa: ANN001, ANN201
            Counting.calls += list(texts) == list(rows.texts)  # the engine's few prototypes are not the texts
            return super().encode(texts, progress)

    r = evaluate_repeated(rows, Counting(256), 3, seed=5, strategy="random", budget=10)
    assert Counting.calls == 1 and [s["seed"] for s in r["splits"]] == [5, 6, 7]


def gold_with_groups(tmp_path, n=120):
    texts, Y, _ = corpus(n, seed=2)
    path = tmp_path / "grouped.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["transcript", "id", "answer", "Phones", "Money", "Staff manner"])
        for i, (t, y) in enumerate(zip(texts, Y, strict=True)):
            w.writerow([f"T{i % 12}", i, t, *y.tolist()])
    return path


def test_grouped_split_never_puts_a_group_on_both_sides(tmp_path, capsys):
    from qualcode.io.gold import read_gold
    from qualcode.pipeline.evaluate import split

    gold = read_gold(gold_with_groups(tmp_path), text_column="answer", keep=("transcript",))
    assert gold.codes == ["Phones", "Money", "Staff manner"] and gold.columns["transcript"][:2] == ["T0", "T1"]
    for seed in range(5):
        train, test = split(gold, 0.25, seed, "transcript")
        groups = gold.columns["transcript"]
        assert not {groups[i] for i in train} & {groups[i] for i in test}
        assert len(train) + len(test) == 120 and len({groups[i] for i in test}) == 3
    out = tmp_path / "pred.csv"
    code, stdout, err = run(capsys, "evaluate", gold_with_groups(tmp_path), "--model", "hash:256", "--groups",
                            "transcript", "--text-column", "answer", "--predictions", out, "--json")
    assert code == 0, err
    r = json.loads(stdout)
    assert r["n_test"] == 30 and "predictions" not in r
    rows = list(csv.DictReader(out.open()))
    assert len({int(row["id"]) % 12 for row in rows}) == 3  # the test rows: three whole transcripts of 10 rows
    assert len(rows) == 30 and set(rows[0]) == {"id", "coded", "shown", "confidence"}
    for row in rows:  # each shown code has its confidence, best first
        shown, conf = row["shown"].split("; "), [float(c) for c in row["confidence"].split("; ")]
        assert len(shown) == len(conf) >= 1 and conf == sorted(conf, reverse=True)
    # a gold file without the named column, or with a single group: one clear line, exit 2
    code, _, err = run(capsys, "evaluate", gold_with_groups(tmp_path), "--model", "hash", "--groups", "site",
                       "--text-column", "answer")
    assert code == 2 and "no column 'site'" in err and "Traceback" not in err


def test_test_file_trains_on_gold_and_tests_on_the_other_file(gold, tmp_path, capsys):
    texts, Y, _ = corpus(30, seed=9)
    other = tmp_path / "other.csv"
    with other.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "Money", "Phones", "Staff manner"])  # another column order
        for i, (t, y) in enumerate(zip(texts, Y, strict=True)):
            w.writerow([f"o{i}", t, y[1], y[0], y[2]])
    out = tmp_path / "pred.csv"
    code, stdout, err = run(capsys, "evaluate", gold, "--model", "hash:256", "--test", other, "--predictions", out,
                            "--json")
    assert code == 0, err
    r = json.loads(stdout)
    assert r["n_train"] == 120 and r["n_test"] == 30 and r["micro_f1"] > 0.8
    assert r["per_code"]["Money"]["support"] == int(Y[:, 1].sum())  # columns matched by name
    assert [row["id"] for row in csv.DictReader(out.open())] == [f"o{i}" for i in range(30)]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text,Money,Phones\n1,a,0,1\n" + "".join(f"{i},b,0,0\n" for i in range(2, 12)))
    code, _, err = run(capsys, "evaluate", gold, "--model", "hash", "--test", bad)
    assert code == 2 and "bad.csv:1: expected the same code columns as GOLD, got missing Staff manner" in err


def test_json_and_text_report_what_a_coder_sees(gold, capsys):
    code, out, err = run(capsys, "evaluate", gold, "--model", "hash:256", "--json")
    assert code == 0, err
    r = json.loads(out)
    assert {"shown", "shown_precision", "shown_recall", "precision_at_1", "ece", "reliability"} <= set(r)
    assert 0 <= r["ece"] <= 1 and r["shown_precision"] > 0.8 and r["shown_recall"] > 0.8
    assert r["precision_at_1"] > 0.8
    assert [(b["low"], b["high"], b["shown"]) for b in r["reliability"]][:3] == [(0.3, 0.4, False), (0.4, 0.5, False),
                                                                                 (0.5, 0.6, True)]
    assert sum(b["n"] for b in r["reliability"]) >= r["shown"]  # the table holds every stored suggestion
    code, out, err = run(capsys, "evaluate", gold, "--model", "hash:256")
    assert f"precision {r['shown_precision']:.3f}, recall {r['shown_recall']:.3f}" in out
    assert f"ECE {r['ece']:.3f}" in out and "0.5-0.6" in out and "0.3-0.4 below" in out
