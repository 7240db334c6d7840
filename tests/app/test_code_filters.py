"""The Code page's "Only segments I have not coded" filter: what "coded" means."""

from __future__ import annotations

from tests.app.conftest import cards, click_card, open_app


def test_uncoded_filter_leaves_out_accepted_rejected_and_span_coded_segments(app_study):
    at = open_app("code", "alice")
    with_sugg = [(c["id"], c["sugg"][0][0]) for c in cards(at)["cards"] if c.get("sugg")]
    (accepted, code1), (rejected, code2) = with_sugg[:2]
    click_card(at, app_study, "alice", action="accept", seg=accepted, code=code1)
    click_card(at, app_study, "alice", action="reject", seg=rejected, code=code2)
    shown = [c["id"] for c in cards(at)["cards"] if not c["interviewer"]]
    spanned = next(s for s in app_study.segments(ids=shown) if s.id not in (accepted, rejected))
    app_study.code_span(spanned.transcript_id, spanned.start, spanned.start + 5, code1, "alice")
    at.sidebar.checkbox(key="uncoded").check().run()
    left = [c["id"] for c in cards(at)["cards"]]
    assert accepted not in left and rejected not in left and spanned.id not in left
    assert at.number_input(key="page").value == 1
    assert "span coding" in at.sidebar.checkbox(key="uncoded").help
