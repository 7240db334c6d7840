"""The Code page shows what the engine decided (the stored ``shown`` flag), not a fixed 0.5."""

from __future__ import annotations

from app.components.segment_card import suggestions
from qualcode.io.codebook import parse_codebook
from qualcode.records import CodeApplication
from tests.conftest import TINY_CODEBOOK


def machine(code: str, confidence: float, shown: bool | None) -> CodeApplication:
    return CodeApplication(1, code, "machine", confidence=confidence, shown=shown)


def codes(apps, mine=None, min_conf=None) -> list[str]:  # noqa: ANN001
    return [a.code_id for a in suggestions(apps, mine or {}, parse_codebook(TINY_CODEBOOK), min_conf)]


def test_the_stored_decision_is_followed_whatever_the_confidence():
    apps = [machine("access", 0.9, True), machine("phones", 0.62, False), machine("money", 0.36, True)]
    assert codes(apps) == ["access", "money"]  # 0.62 hidden by its code's learnt threshold, 0.36 shown by its own
    assert codes(apps, {"access": object()}) == ["money"]  # a code the coder decided is not suggested again


def test_the_slider_also_shows_others_from_its_confidence():
    apps = [machine("access", 0.9, True), machine("phones", 0.62, False), machine("money", 0.36, False)]
    assert codes(apps, min_conf=0.6) == ["access", "phones"]
    assert codes(apps, min_conf=1.0) == ["access"]  # the page's default: exactly the engine's decision


def test_suggestions_stored_before_the_engine_decided_follow_the_old_rule():
    apps = [machine("access", 0.42, None), machine("phones", 0.38, None), machine("money", 0.55, None)]
    assert codes(apps) == ["money"]  # best (0.55), others from 0.5: none
    apps = [machine("access", 0.42, None), machine("phones", 0.38, None)]
    assert codes(apps) == ["access"]  # the best is shown even below 0.5


def test_the_code_filter_counts_a_suggestion_where_the_card_shows_it():
    from app.views.code import machine_shown

    assert machine_shown(machine("money", 0.36, True), 1.0)  # the engine's learnt threshold showed it
    assert not machine_shown(machine("phones", 0.62, False), 1.0)  # the engine hid it: not "coded" for the filter
    assert machine_shown(machine("phones", 0.62, False), 0.6)  # unless the coder's slider shows it
    assert machine_shown(machine("access", 0.55, None), 1.0)  # stored before the engine decided: 0.5
    assert not machine_shown(machine("access", 0.45, None), 1.0)
