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


def test_page_label_counts_participant_segments_and_help_is_plain(app_study):
    at = open_app("code", "alice")
    tid = app_study.transcript_id(at.selectbox(key="transcript").value)
    said = len(app_study.segments(transcript_id=tid, codeable_only=True))
    assert f"{said} participant segments to code in all" in at.number_input(key="page").label
    help_ = at.sidebar.slider[0].help
    assert "qualcode evaluate" not in help_ and "60% sure" in help_
    assert not [i for i in at.info if "Update suggestions" in i.value]  # this study has suggestions


def test_a_transcript_without_suggestions_says_how_to_get_them(app_study):
    from qualcode.io.participants import read_participants
    from qualcode.io.transcripts import read_transcript
    from tests.conftest import EXAMPLE

    new = sorted((EXAMPLE / "transcripts").iterdir())[2]  # imported after the suggestions were made
    app_study.import_transcripts([read_transcript(new)], read_participants(EXAMPLE / "participants.csv"))
    at = open_app("code", "alice")
    at.selectbox(key="transcript").set_value(app_study.transcripts()[-1].name).run()
    assert not at.exception, at.exception
    assert any("Update suggestions" in i.value for i in at.info)
