"""Agreement → Statistics: the caption, the rows and the flag threshold say the same thing."""

from __future__ import annotations

from tests.app.conftest import button, open_app


def test_statistics_leave_out_the_machine_unless_asked_and_show_one_threshold(app_study):
    app_study.ensure_coder("sue", "supervisor")
    for s in app_study.segments(codeable_only=True)[:3]:
        app_study.decide(s.id, "equity", "maria")
    at = open_app("agreement", "sue")
    button(at, key="compute").click().run()
    assert not at.exception, at.exception
    assert not at.session_state["agreement_rows"]  # one coder and no machine: no pair to compare
    assert any("machine suggestions are not counted" in c.value for c in at.caption)
    at.checkbox(key="with_machine").check().run()
    button(at, key="compute").click().run()
    rows = at.session_state["agreement_rows"]
    assert rows and {r["coders"] for r in rows} == {"machine|maria"}
    assert any("machine|coder compare" in c.value for c in at.caption)
    assert any("alpha below 0.667 " in c.value for c in at.caption)
    assert at.number_input[0].proto.format == "%.3f"
