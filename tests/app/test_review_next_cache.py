"""*Review next* in the app reuses the cached pool and sums (store/review_index.py): a second
click sums nothing in SQL, and a segment decided from the queue is never offered again."""

from __future__ import annotations

from tests.app.conftest import button, cards, click_card, open_app
from tests.app.test_code_speed import statements


def offered(at) -> list[int]:  # noqa: ANN001
    return sorted(c["id"] for c in cards(at, "review_cards")["cards"])


def test_review_next_sums_once_and_drops_what_was_just_decided(app_study, monkeypatch):
    from qualcode.pipeline import active

    monkeypatch.setattr(active, "COLD_START", 1)  # one decision, then uncertainty ranks (and needs the sums)
    at = open_app("code", "alice")
    button(at, key="find-next").click().run()
    first = offered(at)
    assert first and not at.exception, at.exception
    code = next(c for c in app_study.codebook() if c.is_codable).id
    click_card(at, app_study, "alice", key="review_cards", action="add", seg=first[0], code=code)  # after the cache
    with statements() as sql:
        button(at, key="find-next").click().run()
    assert not at.exception, at.exception
    assert not [s for s in sql if "sum(" in s.lower()]  # the uncertainty sums came from the cache
    assert first[0] not in offered(at) and offered(at)
    assert any(c.value.startswith("Round 2:") for c in at.caption)
    assert any("unsure about" in c["note"] for c in cards(at, "review_cards")["cards"])  # ranked by the (cached) uncertainty


def test_the_code_page_prepares_review_next_once_per_mark_in_the_background(app_study, monkeypatch):
    from app.components import review_prep
    from qualcode.pipeline import active
    from qualcode.workflow import next_segments
    from tests.conftest import CountingEmbedder

    monkeypatch.setattr(active, "COLD_START", 1)
    monkeypatch.setattr(review_prep, "_started", set())
    app_study.decide(app_study.segments(codeable_only=True)[0].id, app_study.codebook().ids()[1], "alice")
    embedder = CountingEmbedder(128)
    thread = review_prep.prepare_in_background(app_study, "alice", app_study.codebook().ids(), embedder)
    thread.join(60)
    assert review_prep.prepare_in_background(app_study, "alice", app_study.codebook().ids(), embedder) is None
    assert sum(embedder.calls) > 0  # the pool's sampled segments, embedded in the background
    embedded = len(embedder.calls)
    with statements() as sql:
        picks = next_segments(app_study, "alice", embedder, 5)  # the coder's click
    assert picks and not [s for s in sql if "sum(" in s.lower()]  # summed before, in the background
    assert len(embedder.calls) == embedded  # nothing left to embed
