"""ReportData: counts by any attribute with denominators, whose coding is counted, quotes, co-occurrence."""

from __future__ import annotations

import pytest

from qualcode.errors import UsageError
from qualcode.records import CodeApplication
from qualcode.redact import IDENTIFIABLE, Redactor
from qualcode.reports.coding import counted_coding
from qualcode.reports.cooccurrence import cooccurrence
from qualcode.reports.data import Cell, collect
from qualcode.reports.quotes import quotable, sentences


def by_code(data):
    return {s.code.id: s for s in data.summaries}


def test_counts_by_group_give_participants_of_the_group(paper_study):
    data = collect(paper_study)
    assert data.by == ("group",) and data.groups == ("professional", "service user")
    assert data.people == {"professional": 2, "service user": 1} and data.n_participants == 3
    s = by_code(data)
    assert (s["access"].segments, s["access"].participants) == (4, 3)
    assert s["access"].by == {"professional": Cell(3, 2, 2), "service user": Cell(1, 1, 1)}
    assert s["phones"].by["service user"] == Cell(0, 0, 1)
    assert s["money"].by["professional"].words() == "1 of 2 (1 seg.)"


def test_any_attribute_and_a_pair_of_them(paper_study):
    data = collect(paper_study, by="gender")
    assert data.groups == ("female", "male") and data.people == {"female": 1, "male": 2}
    assert by_code(data)["access"].by == {"female": Cell(1, 1, 1), "male": Cell(3, 2, 2)}
    pair = collect(paper_study, by="role,gender")
    assert pair.groups == ("GP · female", "GP · male", "Patient · male")
    assert by_code(pair)["money"].by == {"GP · female": Cell(1, 1, 1), "GP · male": Cell(0, 0, 1),
                                         "Patient · male": Cell(1, 1, 1)}
    assert "by role × gender" in pair.intro()


def test_unknown_or_identifying_attribute_is_refused(paper_study):
    with pytest.raises(UsageError, match=r"--by shoe: expected a participant attribute \(group, role, site, "
                                         r"gender, name\), got 'shoe'"):
        collect(paper_study, by="shoe")
    with pytest.raises(UsageError, match="identifies nobody"):
        collect(paper_study, by="name")
    with pytest.raises(UsageError, match="one attribute or two"):
        collect(paper_study, by="group,role,site")


def test_sources_count_what_they_say(paper_study):
    final = collect(paper_study, source="final")
    assert [(s.code.id, s.segments) for s in final.summaries] == [("access", 1), ("phones", 1), ("money", 0)]
    human = by_code(collect(paper_study, source="human"))
    assert (human["access"].segments, human["money"].segments) == (3, 2)
    machine = by_code(collect(paper_study, source="machine", threshold=0.25))
    assert (machine["phones"].segments, machine["money"].segments) == (1, 1)
    assert "machine suggestions with confidence ≥ 0.25" in collect(paper_study, source="machine",
                                                                  threshold=0.25).intro()
    assert "Counted: final codes." in final.cell_caption()
    with pytest.raises(UsageError, match="--source: expected one of best, final, human, machine, got 'x'"):
        collect(paper_study, source="x")


def test_best_takes_final_then_coders_then_suggestions_and_marks_suggestions():
    apps = [CodeApplication(1, "a", "human", coder="x"), CodeApplication(1, "b", "final", coder="sue"),
            CodeApplication(2, "a", "human", coder="x"), CodeApplication(2, "b", "machine", confidence=0.9),
            CodeApplication(3, "b", "machine", confidence=0.7), CodeApplication(3, "a", "machine", confidence=0.4),
            CodeApplication(4, "a", "human", False, coder="x"), CodeApplication(4, "a", "machine", confidence=0.9)]
    best = counted_coding(apps, "best", 0.5)
    assert {k: {c: (v.kind, v.score) for c, v in codes.items()} for k, codes in best.items()} == {
        1: {"b": ("final", 1.0)}, 2: {"a": ("human", 1.0)}, 3: {"b": ("machine", 0.7)}}
    assert best[3]["b"].marker() == "machine suggestion, confidence 0.70, not reviewed by anyone"
    machine = counted_coding(apps, "machine", 0.5)
    assert machine[4]["a"].marker() == "machine suggestion, confidence 0.90, reviewed"  # a coder said no


def test_quotes_are_whole_sentences_from_different_people_marked_when_machine(paper_study):
    access = by_code(collect(paper_study))["access"]
    texts = [q.text for q in access.quotes]
    assert not any("within the process" in t for t in texts)  # the fragment is never quoted
    assert len({q.attribution for q in access.quotes}) == 3
    assert texts[0] == "I ring at eight and all the appointments are gone by five past eight."
    machine = [q for q in access.quotes if q.marker]
    assert [q.attribution for q in machine] == ["GP2, GP, site B"]
    assert machine[0].cite() == "(GP2, GP, site B; machine suggestion, confidence 0.80, not reviewed by anyone)"
    seg = next(s for s in paper_study.segments() if s.id == access.quotes[0].segment_id)
    text = paper_study.plain_text(seg.transcript_id)
    assert text[access.quotes[0].start:access.quotes[0].end] == texts[0]


def test_quotable_sentences():
    text = "-- within the process of commissioning -- Yes. So we waited for months and nobody called us back at all."
    assert [s.text for s in quotable(text)] == ["So we waited for months and nobody called us back at all."]
    assert [s.text for s in quotable("Yes. We waited a long time for it.")] == ["Yes. We waited a long time for it."]
    assert all(text[s.start:s.end] == s.text for s in sentences(text))
    assert quotable("and then we went home and nobody ever came back to see us") == ()  # no capital, no stop


def test_cooccurrence_counts_and_jaccard(paper_study, tiny_codebook):
    pairs = {(p.a, p.b): p for p in collect(paper_study).pairs}
    assert set(pairs) == {("access", "money"), ("phones", "money")}  # never a code with its parent
    am = pairs[("access", "money")]
    assert (am.both, am.either, round(am.jaccard, 4)) == (1, 5, 0.2)
    assert (pairs[("phones", "money")].both, pairs[("phones", "money")].jaccard) == (0, 0.0)
    coding = {1: {"access": 1}, 2: {"phones": 1, "money": 1}, 3: {"money": 1}}
    [first, second] = cooccurrence(tiny_codebook, coding)
    # same count: the higher Jaccard first
    assert (first.a, first.b, first.both, first.either, first.jaccard) == ("phones", "money", 1, 2, 0.5)
    assert (second.a, second.b, second.both, second.either, second.segment_ids) == ("access", "money", 1, 3, (2,))


def test_redactor_applies_to_quotes_and_identifiable_keeps_names(paper_study, redact_file):
    anon = collect(paper_study, redactor=Redactor.from_study(paper_study, redact_file))
    money = [q.text for q in by_code(anon)["money"].quotes]
    assert "[P01] from next door says Mrs [name] at the desk cannot help when the money runs out." in money
    named = collect(paper_study, redactor=IDENTIFIABLE)
    assert any("Ray from next door says Mrs Patel" in q.text for q in by_code(named)["money"].quotes)
    assert "Identifiable" in named.intro() and "Anonymised" in anon.intro()


def test_span_codings_count_for_every_segment_they_overlap(paper_study):
    from types import SimpleNamespace

    from qualcode.reports.coding import spans_as_applications

    segs = paper_study.segments(codeable_only=True)
    first, second = [s for s in segs if s.transcript == "gp1_okafor"]
    span = SimpleNamespace(transcript_id=first.transcript_id, start=first.end - 5, end=second.start + 3,
                           code_id="money", source="human", coder="bob")
    apps = spans_as_applications([span], segs)
    assert [(a.segment_id, a.code_id, a.source, a.coder) for a in apps] == [
        (first.id, "money", "human", "bob"), (second.id, "money", "human", "bob")]
    touching = SimpleNamespace(transcript_id=first.transcript_id, start=first.end, end=first.end,
                               code_id="money", source="human", coder="bob")
    assert spans_as_applications([touching], segs) == []  # an empty span at the boundary overlaps nothing
