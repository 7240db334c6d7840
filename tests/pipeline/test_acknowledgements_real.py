"""Short acknowledgements on a real hearing transcript (../shared/data/transcripts, skipped
where absent) with the GP codebook and the real model: no suggestion for "Yes." or
"That's correct.", suggestions kept on what the witnesses say."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEARING = ROOT.parent / "shared" / "data" / "transcripts" / "covid_inquiry_m1_2023-06-16_marmot_bambra_health_inequalities.txt"


@pytest.mark.slow
def test_replies_that_only_acknowledge_get_no_suggestion_on_a_hearing_transcript(tmp_path):
    if not HEARING.exists():
        pytest.skip("../shared/data/transcripts is not here")
    from qualcode.cli.study_commands import make_study_embedder
    from qualcode.io.codebook import load_codebook
    from qualcode.io.transcripts import read_transcript
    from qualcode.store import Study
    from qualcode.workflow import code_study

    with Study.init(tmp_path / "s", codebook=load_codebook(ROOT / "codebooks" / "gp_commissioning.yaml")) as study:
        study.import_transcripts([read_transcript(HEARING)])
        code_study(study, make_study_embedder(None), fine_tune="never")
        segments = study.segments(codeable_only=True)
        suggested = {a.segment_id for a in study.applications(source="machine")}
    replies = [s for s in segments if s.text.strip() in {"Yes.", "Thank you.", "That's correct.", "That's right.",
                                                         "Okay."}]
    assert len(replies) >= 15  # Marmot and Bambra answer "Yes." 13 times, "That's correct." 3 times …
    assert not [s.text for s in replies if s.id in suggested]
    long = [s for s in segments if len(s.text.split()) >= 20]
    assert sum(s.id in suggested for s in long) >= 0.9 * len(long)
