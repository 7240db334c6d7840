from __future__ import annotations

from qualcode.wording import counted


def test_counted_nouns():
    assert [counted(n, "participant") for n in (0, 1, 2, 1500)] == [
        "0 participants", "1 participant", "2 participants", "1,500 participants"]
    assert counted(1, "memo", "memos") == "1 memo" and counted(3, "person", "people") == "3 people"
