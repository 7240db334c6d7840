"""With the real model: no stop word, filler, contraction or participant name among any
cluster's top five labels on the demo study and the hearing transcripts (the issue's target)."""

from __future__ import annotations

import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from qualcode.io.codebook import load_codebook
from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from qualcode.pipeline.discover_labels import name_terms
from qualcode.store import Study
from qualcode.workflow import discover_study
from tests.conftest import EXAMPLE, ROOT

# the words the issue found in the old labels, and other talk fillers
ISSUE_WORDS = {"didn", "nurse's", "got", "like", "need", "know", "it's", "that's", "ray", "don", "doesn",
               "um", "yeah", "think", "mean", "just", "really", "okay", "well"}


def top_five_problems(study: Study) -> list[str]:
    from qualcode.pipeline.embed import make_embedder

    clusters = discover_study(study, make_embedder(None))
    assert len(clusters) >= 3
    names = name_terms([s.speaker or "" for s in study.segments()] + [p.participant_id for p in study.participants()])
    return [f"{c.label}: {term}" for c in clusters for term in c.keywords[:5] for w in term.split()
            if w in ENGLISH_STOP_WORDS or w in ISSUE_WORDS or "'" in w or w in names]


@pytest.mark.slow
def test_demo_study_labels_are_content_words(tmp_path):
    study = Study.init(tmp_path / "demo", codebook=load_codebook(ROOT / "codebooks" / "gp_commissioning.yaml"))
    with study:
        study.import_transcripts([read_transcript(p) for p in sorted((EXAMPLE / "transcripts").iterdir())],
                                 read_participants(EXAMPLE / "participants.csv"))
        assert top_five_problems(study) == []


@pytest.mark.slow
def test_hearing_transcripts_labels_are_content_words(tmp_path, shared):
    study = Study.init(tmp_path / "hearings", codebook=load_codebook(ROOT / "codebooks" / "gp_commissioning.yaml"))
    with study:
        study.import_transcripts([read_transcript(p) for p in sorted((shared / "data" / "transcripts").glob("*.txt"))])
        assert top_five_problems(study) == []
