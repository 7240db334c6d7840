""""Machine suggestions" means the same everywhere: the ones the engine decided to show coders.

A suggestion at 0.45 the engine shows and one at 0.6 it hides: the Code page's card, the
Start page, Retrieve, the reports and the report commands count the first, not the second;
an explicit confidence (Retrieve's toggle, ``--threshold``/``--confidence``) counts from it
instead. Old suggestions (``shown`` NULL, stored before migration 0008) count from 0.5.
"""

from __future__ import annotations

import pytest

from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from qualcode.records import FIXED_SHOW_FROM, Suggestion, engine_showed
from qualcode.store import Study
from tests.app.conftest import open_app
from tests.conftest import write

TEXT = ("P01: I ring at eight and all the appointments are gone.\n\n"
        "P01: The phone is always engaged when I ring.\n\n"
        "P01: The budget has been cut again this year.\n")


@pytest.fixture
def shown_study(tmp_path, tiny_codebook, monkeypatch):
    s = Study.init(tmp_path / "study", codebook=tiny_codebook)
    people = read_participants(write(tmp_path / "people.csv", "participant_id,group,role,site,speaker\nP01,patients,patient,A,P01\n"))
    s.import_transcripts([read_transcript(write(tmp_path / "t.txt", TEXT))], people)
    a, b, c = s.segments(codeable_only=True)
    s.replace_suggestions([Suggestion(a.id, "access", 0.45, "r", True),  # shown below 0.5 (its code's learnt rule)
                           Suggestion(b.id, "access", 0.6, "r", False),  # hidden above 0.5
                           Suggestion(b.id, "phones", 0.9, "r", True),
                           Suggestion(c.id, "money", 0.55, "r", None),  # stored before the engine decided
                           Suggestion(c.id, "access", 0.4, "r", None)],
                          [a.id, b.id, c.id], "hash")
    monkeypatch.setenv("QUALCODE_STUDY", str(s.folder))
    monkeypatch.setenv("QUALCODE_MODEL", "hash:128")
    yield s
    s.close()


def card_codes(study) -> dict[str, int]:  # noqa: ANN001
    """Code → how many cards suggest it, as the Code page's cards decide (the slider at its default)."""
    from app.components.segment_card import suggestions

    by_segment: dict[int, list] = {}
    for x in study.applications(source="machine"):
        by_segment.setdefault(x.segment_id, []).append(x)
    out: dict[str, int] = {}
    for apps in by_segment.values():
        for x in suggestions(apps, {}, study.codebook()):
            out[x.code_id] = out.get(x.code_id, 0) + 1
    return out


def test_the_fixed_rule_is_the_engine_threshold():
    from qualcode.pipeline.suggest import SHOW_THRESHOLD

    assert FIXED_SHOW_FROM == SHOW_THRESHOLD
    assert engine_showed(True, 0.1) and not engine_showed(False, 0.99)
    assert engine_showed(None, 0.5) and not engine_showed(None, 0.49)


def test_store_counts_and_retrieve_follow_the_shown_flag(shown_study):
    cards = card_codes(shown_study)
    assert cards == {"access": 1, "phones": 1, "money": 1}  # 0.45 shown, 0.6 hidden; old: 0.55 yes, 0.4 no
    assert shown_study.code_counts("alice", "machine") == cards
    assert shown_study.code_counts("alice", "machine", min_confidence=0.5) == {"access": 1, "phones": 1, "money": 1}
    assert shown_study.code_counts("alice", "machine", min_confidence=0.0) == {"access": 3, "phones": 1, "money": 1}
    hits = shown_study.retrieve("access", include_children=False, source="machine")
    assert [h.confidence for h in hits] == [0.45]
    assert [h.confidence for h in shown_study.retrieve("access", include_children=False, source="machine",
                                                       min_confidence=0.5)] == [0.6]


def test_start_page_counts_the_suggestions_shown(shown_study):
    at = open_app(coder="alice")
    table = at.dataframe[-1].value.set_index("code")
    assert list(table.columns) == ["coded by coders (human)", "final (adjudicated)", "machine suggestions shown"]
    assert table["machine suggestions shown"].to_dict() == {"Access": 1, "    Phone lines": 1, "Money": 1}
    assert any("machine suggestions shown: the model's guesses the engine decided to show" in c.value
               for c in at.caption)


def test_retrieve_counts_the_suggestions_shown_unless_asked_for_a_confidence(shown_study):
    at = open_app("retrieve", "alice")
    at.selectbox(key="r_code").set_value("access").run()
    at.checkbox(key="r_children").uncheck().run()
    at.selectbox(key="r_source").set_value("machine").run()
    caption = at.caption[0].value.replace("\\", "")
    assert "1 hits (0 by coders (human), 1 machine suggestions shown, 0 final)" in caption
    assert [t.value for t in at.text] == [shown_study.segments(codeable_only=True)[0].text]
    at.toggle(key="r_conf-by").set_value(True).run()
    at.slider(key="r_conf").set_value(0.5).run()
    assert not at.exception
    caption = at.caption[0].value.replace("\\", "")
    assert "1 hits (0 by coders (human), 1 machine suggestions ≥ 0.50, 0 final)" in caption
    assert [t.value for t in at.text] == [shown_study.segments(codeable_only=True)[1].text]


def test_reports_count_the_suggestions_shown_unless_given_a_threshold(shown_study):
    from qualcode.reports.data import collect, collect_saturation

    data = collect(shown_study, source="machine")
    segments = {s.code.id: s.segments for s in data.summaries}
    assert segments == {"access": 1 + 1, "phones": 1, "money": 1}  # a theme counts its sub-codes' segments
    assert "machine suggestions shown to coders (the engine's decision)" in data.intro()
    explicit = collect(shown_study, source="machine", threshold=0.5)
    assert {s.code.id: s.segments for s in explicit.summaries} == {"access": 1, "phones": 1, "money": 1}
    assert "machine suggestions with confidence ≥ 0.50" in explicit.intro()
    assert "else suggestions shown" in collect(shown_study).counted_short()
    [sat] = collect_saturation(shown_study, source="machine")
    assert sat.curve.total == 3
    [low] = collect_saturation(shown_study, source="machine", confidence=0.95)
    assert low.curve.total == 0


def test_report_commands_count_the_suggestions_shown_and_keep_their_flags(shown_study, tmp_path, capsys):
    import json

    from qualcode.cli import main

    def saturation_total(*flags: str) -> int:
        assert main(["saturation", str(shown_study.folder), "--source", "machine", "--json", *flags]) == 0
        return json.loads(capsys.readouterr().out)[0]["total"]

    assert saturation_total() == 3
    assert saturation_total("--confidence", "0.95") == 0
    out = tmp_path / "r.md"
    assert main(["report", str(shown_study.folder), "--out", str(out), "--source", "machine"]) == 0
    assert "machine suggestions shown to coders" in out.read_text(encoding="utf-8")
    assert main(["report", str(shown_study.folder), "--out", str(out), "--source", "machine",
                 "--threshold", "0.3"]) == 0
    assert "machine suggestions with confidence ≥ 0.30" in out.read_text(encoding="utf-8")
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    assert "instead of those the engine decided to show" in " ".join(capsys.readouterr().out.split())
