"""Saturation: the new-codes curve and point, computed by hand, on records and on a study."""

from __future__ import annotations

import json

import pytest

from qualcode.cli import main
from qualcode.errors import UsageError
from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from qualcode.reports.saturation import random_orders, saturation_curve
from qualcode.store import Study
from tests.conftest import write

INTERVIEWS = [("i1", frozenset("abc")), ("i2", frozenset("bd")), ("i3", frozenset("ae")),
              ("i4", frozenset("c")), ("i5", frozenset("b"))]


def test_curve_by_hand():
    c = saturation_curve(INTERVIEWS, 0.05)
    # i1 adds a,b,c; i2 adds d; i3 adds e; nothing after: 5 codes in all
    assert (c.new, c.cumulative, c.total) == ((3, 1, 1, 0, 0), (3, 4, 5, 5, 5), 5)
    assert c.point == 3  # after i3, 0 of 5 codes new (< 5%)
    assert saturation_curve(INTERVIEWS, 0.3).point == 2  # after i2, 1 of 5 new (20% < 30%)
    assert saturation_curve(INTERVIEWS, 0.2).point == 3  # 20% is not fewer than 20%
    late = saturation_curve([("i1", frozenset("a")), ("i2", frozenset("b"))], 0.05)
    assert late.point is None and "not reached in 2 interviews" in late.sentence()
    assert saturation_curve([], 0.05).point is None
    with pytest.raises(UsageError, match="between 0 and 1"):
        saturation_curve(INTERVIEWS, 1.5)


def test_random_orders_band():
    band = random_orders([("x", frozenset("a")), ("y", frozenset("ab"))], 20, seed=1)
    # orders x,y -> 1,2 and y,x -> 2,2: both happen in 20 shuffles
    assert band.low == (1, 2) and band.high == (2, 2) and band.mean[1] == 2.0
    assert 1.0 < band.mean[0] < 2.0 and set(band.points) == {1, None}
    fixed = random_orders(INTERVIEWS, 30, seed=3)
    assert all(lo <= m <= hi for lo, m, hi in zip(fixed.low, fixed.mean, fixed.high, strict=True))
    assert fixed.low[-1] == fixed.high[-1] == 5


PEOPLE = ("participant_id,group,role,site,speaker,gender\n"
          + "".join(f"S{i},g{'ab'[i % 2]},R,A,S{i},x\n" for i in range(1, 6)))


@pytest.fixture
def sat_study(tmp_path, tiny_codebook):
    """Five interviews coded by hand with the code sets of INTERVIEWS (a=access, b=phones, c=money;
    d and e are codes added to the tiny codebook)."""
    from qualcode.records import Code, Codebook

    book = Codebook("Sat", (*tiny_codebook.codes, Code("d", "D", "d"), Code("e", "E", "e")))
    s = Study.init(tmp_path / "sat", codebook=book)
    files = [read_transcript(write(tmp_path / f"t{i}.txt", "".join(f"S{i}: Turn {k} of {i}.\n\n" for k in range(3))))
             for i in range(1, 6)]
    s.import_transcripts(files, read_participants(write(tmp_path / "p.csv", PEOPLE)))
    ids = {"a": "access", "b": "phones", "c": "money", "d": "d", "e": "e"}
    for (_name, codes), tid in zip(INTERVIEWS, [t.id for t in sorted(s.transcripts(), key=lambda t: t.id)],
                                   strict=True):
        segs = s.segments(transcript_id=tid, codeable_only=True)
        for seg, code in zip(segs * 3, sorted(codes), strict=False):
            s.decide(seg.id, ids[code], "alice")
    yield s
    s.close()


def test_saturation_command_on_a_study(sat_study, capsys):
    assert main(["saturation", str(sat_study.folder), "--json"]) == 0
    [all_] = json.loads(capsys.readouterr().out)
    assert (all_["new"], all_["cumulative"], all_["point"]) == ([3, 1, 1, 0, 0], [3, 4, 5, 5, 5], 3)
    assert all_["interviews"] == ["t1", "t2", "t3", "t4", "t5"]
    assert main(["saturation", str(sat_study.folder), "--by", "group", "--json", "--orders", "5"]) == 0
    groups = {g["group"]: g for g in json.loads(capsys.readouterr().out)}
    # ga: t2 {b,d}, t4 {c} -> 2,1 ; gb: t1 {a,b,c}, t3 {a,e}, t5 {b} -> 3,1,0
    assert groups["ga"]["new"] == [2, 1] and groups["ga"]["point"] is None
    assert (groups["gb"]["new"], groups["gb"]["point"]) == ([3, 1, 0], 2)
    assert groups["gb"]["random_orders"]["orders"] == 5
    assert main(["saturation", str(sat_study.folder)]) == 0
    table = capsys.readouterr().out
    assert "all: saturation after interview 3 of 5 (t3), fewer than 5% of the 5 codes were new" in table
    with pytest.raises(SystemExit) as stop:
        main(["saturation", str(sat_study.folder), "--threshold", "2"])
    assert stop.value.code == 2 and "expected a number between 0 and 1, got 2.0" in capsys.readouterr().err
    assert main(["saturation", str(sat_study.folder), "--by", "shoe"]) == 2
    assert "--by shoe: expected a participant attribute" in capsys.readouterr().err


def test_a_code_merged_away_is_not_counted_as_a_code_found(sat_study, capsys):
    from qualcode.records import Suggestion

    seg = sat_study.segments(codeable_only=True)[0]
    sat_study.replace_suggestions([Suggestion(seg.id, "e", 0.9, "r", True)], [seg.id], "hash")  # a machine row for e
    sat_study.merge_codes("e", "d", "alice")
    assert "e" not in sat_study.codebook().ids()
    assert main(["saturation", str(sat_study.folder), "--json"]) == 0  # best: coders' codes, else suggestions
    [all_] = json.loads(capsys.readouterr().out)
    assert all_["cumulative"][-1] == 4  # access, phones, money, d: e's codings are d's now, e is no code
