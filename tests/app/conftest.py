from __future__ import annotations

import pytest

from qualcode.io.codebook import load_codebook
from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from qualcode.store import Study
from qualcode.workflow import code_study
from tests.conftest import EXAMPLE, ROOT, CountingEmbedder

APP = str(ROOT / "app" / "streamlit_app.py")


@pytest.fixture
def app_study(tmp_path, monkeypatch):
    study = Study.init(tmp_path / "study", codebook=load_codebook(ROOT / "codebooks" / "gp_commissioning.yaml"))
    files = sorted((EXAMPLE / "transcripts").iterdir())[:2]
    study.import_transcripts([read_transcript(p) for p in files], read_participants(EXAMPLE / "participants.csv"))
    code_study(study, CountingEmbedder(128), floor=0.05)
    monkeypatch.setenv("QUALCODE_STUDY", str(study.folder))
    monkeypatch.setenv("QUALCODE_MODEL", "hash:128")
    yield study
    study.close()


def open_app(page: str | None = None, coder: str | None = None, timeout: int = 60):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=timeout)
    if coder:
        at.query_params["coder"] = coder
    at.run()
    if page:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, at.exception
    return at


def button(at, key: str | None = None, label: str | None = None):  # noqa: ANN001, ANN201
    for b in at.button:
        if (key and b.key == key) or (label and b.label == label):
            return b
    raise AssertionError(f"no button {key or label}; have {[(b.key, b.label) for b in at.button][:30]}")


def open_card(at, key: str):  # noqa: ANN001, ANN201
    """Open a segment card's *Add a code* picker and memo box (``key``: the card's key, e.g.
    ``"12"`` or ``"next-12"``) as a click on each would: they are built only while open."""
    at.session_state[f"addpop-{key}"] = True
    at.session_state[f"memos-{key}"] = True
    return at.run()
