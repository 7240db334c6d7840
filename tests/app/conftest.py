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


def cards(at, key: str = "card_page") -> dict:  # noqa: ANN001
    """What the Code page hands its card component (app/components/card_page): the page's
    data; ``key="review_cards"``: Review next's instance."""
    import json

    [component] = [e for e in at.get("bidi_component") if e.proto.component_name == "qualcode_card_page"
                   and e.proto.id.endswith("-" + key)]
    return json.loads(component.proto.json or component.proto.mixed.json)


def hits(at) -> dict:  # noqa: ANN001
    """What the Search page hands its hit list component (app/components/hit_list)."""
    import json

    [component] = [e for e in at.get("bidi_component") if e.proto.component_name == "qualcode_hit_list"]
    return json.loads(component.proto.json or component.proto.mixed.json)


def open_hit(at, event: object):  # noqa: ANN001, ANN201
    """What a click on a hit's *Open* sends, handled as the component's callback handles it,
    then the rerun (AppTest cannot click inside a custom component)."""
    from app.components.hit_list import follow

    session: dict = {}
    follow(session, hits(at)["hits"], event)
    for k, v in session.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, at.exception
    return session


def card(at, seg: int, key: str = "card_page") -> dict:  # noqa: ANN001
    return next(c for c in cards(at, key)["cards"] if c["id"] == int(seg))


def click_card(at, study, coder: str, key: str = "card_page", **event):  # noqa: ANN001, ANN003, ANN201
    """What a click in the card component ``key`` sends, handled as its callback handles it,
    then the fragment's rerun (AppTest cannot click inside a custom component): the page's
    session state, the study as this coder may use it, the codebook and the page it was drawn with."""
    from app.components.card_page import focus_key, handle

    keys = ("memo_drafts", "decided_here", focus_key(key), "card_acks", "_saved")
    session = {k: at.session_state[k] for k in keys if k in at.session_state}
    page = [c["id"] for c in cards(at, key)["cards"] if not c["interviewer"]]
    event.setdefault("id", f"test-{len(session.get('card_acks', []))}")
    ack = handle(session, study.for_user(coder), coder, study.codebook(), page, event, key)
    for k, v in session.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, at.exception
    return ack
