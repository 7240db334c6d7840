"""`qualcode evaluate` measures exactly what `qualcode code` stores and the app shows."""

from __future__ import annotations

import numpy as np
import pytest

from qualcode.io.gold import Gold
from qualcode.io.transcripts import read_transcript
from qualcode.pipeline.evaluate import evaluate
from qualcode.pipeline.suggest import is_shown
from qualcode.workflow import code_study
from tests.conftest import write

TOPICS = {"access": "I could not get an appointment, every slot was gone when I waited",
          "phones": "the phone line was engaged again when I rang the surgery",
          "money": "the budget cut means less money and funding for the service"}


def coded_study(study, tmp_path, n: int, decided: int) -> tuple[list, np.ndarray]:
    """``n`` segments on the tiny codebook's topics; alice applied the true codes of the first ``decided``."""
    rng = np.random.default_rng(0)
    codes = study.codebook().ids()
    lines, truth = [], []
    for i in range(n):
        picked = sorted({codes[i % 3]} | ({codes[(i + 1) % 3]} if rng.random() < 0.3 else set()))
        lines.append("P01: " + " and ".join(TOPICS[c] for c in picked) + f", week {i}.")
        truth.append([int(c in picked) for c in codes])
    study.import_transcripts([read_transcript(write(tmp_path / "t.txt", "\n\n".join(lines) + "\n"))])
    segments = study.segments(codeable_only=True)
    assert len(segments) == n
    Y = np.array(truth)
    for seg, row in zip(segments[:decided], Y[:decided], strict=True):
        for code, y in zip(codes, row, strict=True):
            if y:
                study.decide(seg.id, code, "alice")
    return segments, Y


@pytest.mark.parametrize("n, decided", [(60, 40), (90, 60)])  # the fixed rule (< 50 decisions), the learnt one
def test_evaluate_scores_the_suggestions_code_study_stores(study, tmp_path, fake_embedder, n, decided):
    from app.components.segment_card import suggestions

    segments, Y = coded_study(study, tmp_path, n, decided)
    codes, codebook = study.codebook().ids(), study.codebook()
    code_study(study, fake_embedder, fine_tune="never")
    machine = study.applications(source="machine")
    assert all(a.shown is not None for a in machine)  # every stored suggestion carries the engine's decision
    by_segment = {}
    for a in machine:
        by_segment.setdefault(a.segment_id, []).append(a)
    shown_by_study = {}
    for i, seg in enumerate(segments[decided:]):  # what the app shows: the stored decision, nothing added
        shown_by_study[i] = sorted((a.code_id, a.confidence) for a in suggestions(by_segment.get(seg.id, []), {},
                                                                                   codebook, None))
        flagged = sorted((a.code_id, a.confidence) for a in by_segment.get(seg.id, []) if a.shown)
        assert shown_by_study[i] == flagged

    def gold(rows: slice) -> Gold:
        return Gold([str(s.id) for s in segments[rows]], [s.text for s in segments[rows]], codes, Y[rows])

    result = evaluate(gold(slice(0, decided)), fake_embedder, test=gold(slice(decided, n)),
                      codebook=study.codebook(), fine_tune="never")
    shown_by_evaluate = {i: sorted(p["shown"]) for i, p in enumerate(result["predictions"])}
    assert [p["id"] for p in result["predictions"]] == [str(s.id) for s in segments[decided:]]
    assert sum(len(v) for v in shown_by_study.values()) > 10
    assert shown_by_evaluate == {i: [(c, v) for c, v in pairs] for i, pairs in shown_by_study.items()}
    if decided < 50:  # before the rule is learnt: exactly the fixed rule of is_shown
        for seg in segments[decided:]:
            ranked = sorted(by_segment.get(seg.id, []), key=lambda a: -a.confidence)
            assert [a.shown for a in ranked] == [is_shown(a.confidence, r) for r, a in enumerate(ranked)]
