"""The Themes and Framework matrix pages (streamlit AppTest): any attribute, co-occurrence
segments one pick away, names never shown, summaries written by supervisors only."""

from __future__ import annotations

import re

import pytest

from tests.app.conftest import open_app

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture
def page_study(paper_study, monkeypatch):
    monkeypatch.setenv("QUALCODE_STUDY", str(paper_study.folder))
    monkeypatch.setenv("QUALCODE_MODEL", "hash:128")
    return paper_study


def shown(at) -> str:  # noqa: ANN001
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [str(d.value.to_dict()) for d in at.dataframe]
    return "\n".join(parts)


def test_themes_page_breaks_down_by_any_attribute(page_study):
    at = open_app("themes", "alice")
    table = at.dataframe[0].value
    assert list(table.columns) == ["code", "participants", "segments", "professional (n=2)", "service user (n=1)"]
    assert table.iloc[0].tolist() == ["Access", "3 of 3", 4, "2 of 2 (3 seg.)", "1 of 1 (1 seg.)"]
    assert len(at.get("image")) == 3  # counts chart, co-occurrence heatmap, saturation curve
    at.multiselect(key="themes-by").set_value(["gender"]).run()
    assert not at.exception
    assert list(at.dataframe[0].value.columns)[3:] == ["female (n=1)", "male (n=2)"]
    assert "name" not in at.multiselect(key="themes-by").options


def test_cooccurrence_pair_lists_its_segments_without_names(page_study):
    at = open_app("themes", "alice")
    pair = at.selectbox(key="co-pair")
    assert pair.options[0] == "Access × Money — 1 segment (Jaccard 0.20)"
    text = shown(at)
    assert "I ring at eight and all the appointments are gone" in text
    assert "\\[P01\\] from next door says Mrs Patel" in text  # speaker/participant names replaced
    for name in ("Okafor", "Grace", "Ray "):
        assert name not in text
    assert "machine suggestion, confidence 0.80, not reviewed by anyone" in re.sub(r"\\(.)", r"\1", text)  # escaped


def test_framework_page_drafts_and_supervisor_summaries(page_study):
    at = open_app("framework", "alice")
    assert not at.exception
    assert any("DRAFT (machine" in w.value for w in at.warning)
    table = at.dataframe[0].value
    drafts = [v for v in table.to_numpy().ravel() if isinstance(v, str) and v.startswith("DRAFT")]
    assert drafts and all(v.startswith("DRAFT: “") for v in drafts)  # short, so the sentence shows
    assert not [b for b in at.button if b.key == "fw-save"]  # a coder reads only
    page_study.ensure_coder("sue", "supervisor")
    at = open_app("framework", "sue")
    at.selectbox(key="fw-participant").set_value("GP1").run()
    at.selectbox(key="fw-code").set_value("money").run()
    area = next(t for t in at.text_area if t.key.startswith("fw-text-GP1-money"))
    area.input("Budget cut; blames commissioning.").run()
    next(b for b in at.button if b.key == "fw-save").click().run()
    assert not at.exception
    stored = page_study.framework_summaries()[("GP1", "money")]
    assert (stored.text, stored.version, stored.updated_by) == ("Budget cut; blames commissioning.", 1, "sue")
    assert "Budget cut; blames commissioning. [summary by sue, v1]" in shown(at)
    # someone else writes the same cell; saving from the old copy is refused
    page_study.ensure_coder("tom", "supervisor")
    at2 = open_app("framework", "sue")
    at2.selectbox(key="fw-participant").set_value("P01").run()
    at2.selectbox(key="fw-code").set_value("money").run()
    page_study.set_framework_summary("P01", "money", "Tom's words.", "tom")
    next(t for t in at2.text_area if t.key.startswith("fw-text-P01-money")).input("Sue's words.").run()
    next(b for b in at2.button if b.key == "fw-save").click().run()
    assert any("changed by tom" in e.value for e in at2.error)
    assert page_study.framework_summaries()[("P01", "money")].text == "Tom's words."
