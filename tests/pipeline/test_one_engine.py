"""`qualcode evaluate` measures exactly what `qualcode code` stores and the app shows."""

from __future__ import annotations

import numpy as np

from qualcode.io.gold import Gold
from qualcode.io.transcripts import read_transcript
from qualcode.pipeline.evaluate import evaluate
from qualcode.pipeline.suggest import is_shown
from qualcode.workflow import code_study
from tests.conftest import write

TOPICS = {"access": "I could not get an appointment, every slot was gone when I waited",
          "phones": "the phone line was engaged again when I rang the surgery",
          "money": "the budget cut means less money and funding for the service"}


def test_evaluate_scores_the_suggestions_code_study_stores(study, tmp_path, fake_embedder):
    rng = np.random.default_rng(0)
    codes = study.codebook().ids()
    lines, truth = [], []
    for i in range(60):
        picked = sorted({codes[i % 3]} | ({codes[(i + 1) % 3]} if rng.random() < 0.3 else set()))
        lines.append("P01: " + " and ".join(TOPICS[c] for c in picked) + f", week {i}.")
        truth.append([int(c in picked) for c in codes])
    study.import_transcripts([read_transcript(write(tmp_path / "t.txt", "\n\n".join(lines) + "\n"))])
    segments = study.segments(codeable_only=True)
    assert len(segments) == 60
    Y = np.array(truth)
    for seg, row in zip(segments[:40], Y[:40], strict=True):  # the coder decided the first 40
        for code, y in zip(codes, row, strict=True):
            if y:
                study.decide(seg.id, code, "alice")
    code_study(study, fake_embedder, fine_tune="never")
    stored = {(a.segment_id, a.code_id): a.confidence for a in study.applications(source="machine")}
    shown_by_study = {}
    for i, seg in enumerate(segments[40:]):  # what the app shows: the best, and any other from the threshold
        ranked = sorted(((stored[(seg.id, c)], c) for c in codes if (seg.id, c) in stored), reverse=True)
        shown_by_study[i] = sorted((c, v) for rank, (v, c) in enumerate(ranked) if is_shown(v, rank))

    def gold(rows: slice) -> Gold:
        return Gold([str(s.id) for s in segments[rows]], [s.text for s in segments[rows]], codes, Y[rows])

    result = evaluate(gold(slice(0, 40)), fake_embedder, test=gold(slice(40, 60)), codebook=study.codebook(),
                      fine_tune="never")
    shown_by_evaluate = {i: sorted(p["shown"]) for i, p in enumerate(result["predictions"])}
    assert [p["id"] for p in result["predictions"]] == [str(s.id) for s in segments[40:]]
    assert sum(len(v) for v in shown_by_study.values()) > 10
    assert shown_by_evaluate == {i: [(c, v) for c, v in pairs] for i, pairs in shown_by_study.items()}
