from __future__ import annotations

import pytest

from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from tests.conftest import EXAMPLE, ROOT


@pytest.fixture
def example_study(study, fake_embedder, monkeypatch):
    from qualcode.workflow import code_study

    files = sorted((EXAMPLE / "transcripts").iterdir())[:2]
    study.import_transcripts([read_transcript(p) for p in files], read_participants(EXAMPLE / "participants.csv"))
    code_study(study, fake_embedder)
    monkeypatch.setenv("QUALCODE_STUDY", str(study.folder))
    return study


def test_start_and_segments_pages(example_study):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app" / "streamlit_app.py"), default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "Study: study"
    assert [m.value for m in at.metric][0] == "2"
    page = AppTest.from_function(_segments_page, default_timeout=30).run()
    assert not page.exception
    texts = [m.value for m in page.markdown]
    first = example_study.segments()[0].text
    assert first in texts


def _segments_page() -> None:
    from app.views import segments

    segments.render()
