"""The Discover page through AppTest: run discovery by group, promote a cluster to a code and
merge another into a code, each checked in the study afterwards."""

from __future__ import annotations

from tests.app.conftest import button, open_app


def test_a_coder_may_discover_but_not_promote(app_study):
    at = open_app("discover", "bob")
    [b for b in at.button if b.label == "Discover themes"][0].click().run()
    first = app_study.discovery().clusters[0]
    at.text_input(key=f"promote-name-{first.label}").set_value("Unexpected theme")
    button(at, key=f"promote-{first.label}").click().run()
    assert not at.exception
    assert any("promote_cluster: needs the admin role" in e.value.replace("\\", "") for e in at.error)
    assert "unexpected_theme" not in app_study.codebook().ids()


def test_discover_promote_and_merge(app_study):
    app_study.set_role("alice", "admin", actor="owner")  # promoting makes a codebook version
    at = open_app("discover", "alice")
    assert "No clusters yet" in at.caption[0].value
    at.selectbox[0].set_value("group")
    [b for b in at.button if b.label == "Discover themes"][0].click().run()
    assert not at.exception, at.exception
    run = app_study.discovery()
    assert run and run.clusters and run.params["by"] == "group" and run.by == "alice"
    assert any("Clusters by group" in h.value for h in at.subheader)
    first, second = run.clusters[0], run.clusters[1]
    button(at, key=f"promote-{first.label}").click().run()
    assert any("Name:" in e.value for e in at.error)  # nothing typed: no code
    before = app_study.codebook_version()
    at.text_input(key=f"promote-name-{first.label}").set_value("Unexpected theme")
    button(at, key=f"promote-{first.label}").click().run()
    assert not at.exception
    book = app_study.codebook()
    assert book.version == before + 1 and book.get("unexpected_theme").examples
    at.selectbox(key=f"merge-code-{second.label}").set_value("equity")
    button(at, key=f"merge-{second.label}").click().run()
    equity = {a.segment_id: a for a in app_study.applications(source="machine") if a.code_id == "equity"}
    assert set(second.segments) <= set(equity)  # each segment now has an equity suggestion
    merged = [a for a in equity.values() if a.reason == f"discovery cluster {second.label}"]
    assert merged and {a.segment_id for a in merged} <= set(second.segments)
    # a suggestion the model had already made more confidently keeps its confidence and reason
    assert all(equity[i].confidence >= 0.5 for i in second.segments)
    assert [e.actor for e in app_study.audit_log(limit=1)] == ["alice"]


def test_a_new_cluster_is_marked_in_words_not_an_emoji(app_study):
    """🆕 and other emoji outside the Basic Multilingual Plane are a box on PCs without an emoji font."""
    at = open_app("discover", "alice")
    [b for b in at.button if b.label == "Discover themes"][0].click().run()
    run = app_study.discovery()
    labels = [e.proto.label for e in at.expander]
    assert len([x for x in labels if "New theme?" in x]) == sum(c.new for c in run.clusters)
    assert not [x for x in labels if any(ord(ch) > 0xFFFF for ch in x)]
    assert any(c.new for c in run.clusters)  # the example study has a cluster near no code: the test bites
