"""*Review next*'s cached pool (store/review_index.py, store/review_marks.py): the cache is
used, a write of suggestions or segments invalidates it, and what may change with a click
(decisions, done transcripts, the blind rule) is never taken from it."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import delete, event

from qualcode import workflow
from qualcode.io.participants import read_participants
from qualcode.pipeline import active
from qualcode.records import Suggestion
from qualcode.store import Study
from qualcode.store.models import CodeApplicationRow
from qualcode.store.review_index import CACHE_NAME
from qualcode.workflow import code_study, next_segments
from tests.conftest import write
from tests.store.test_double_coding import interview


@pytest.fixture
def coded(study, tmp_path, fake_embedder):
    sheet = write(tmp_path / "p.csv", "participant_id,group,role,site\nP1,professional,GP,A\n"
                  "P2,professional,GP,B\nS1,service user,Patient,A\nINT,interviewer,Interviewer,\n")
    study.import_transcripts([interview(tmp_path, f"t{p}", p) for p in ("P1", "P2", "S1")], read_participants(sheet))
    code_study(study, fake_embedder)
    return study


class Statements:
    """The SQL statements a block sends (what a test of a cache counts)."""

    def __init__(self, study: Study) -> None:
        self.sent: list[str] = []
        self.engine = study.engine

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, *args) -> None:  # noqa: ANN001
        self.sent.append(statement.lower())

    def summing(self) -> int:
        return sum("sum(" in s for s in self.sent)

    def layout(self) -> int:
        return sum("from segments" in s and "order by segments.transcript_id" in s for s in self.sent)


def uncached(study: Study, me: str, codes: list[str]) -> tuple[list[int], list[int], list[bool], list[float], list[bool]]:
    """The same quantities from the reads *Review next* made before the cache."""
    pool = study.review_pool(me)
    sums = {sid: (u, top) for sid, u, top in study.uncertainty_sums(me, codes)}
    return (list(pool.segment_ids), list(pool.transcript_ids), list(pool.decided),
            [sums.get(s, (0.0, False))[0] for s in pool.segment_ids],
            [sums.get(s, (0.0, False))[1] for s in pool.segment_ids])


def same(got: tuple, want: tuple) -> bool:
    """Equal ids, transcripts and flags; sums equal to rounding (SQL sums in another order)."""
    return got[:3] == want[:3] and got[4] == want[4] and np.allclose(got[3], want[3], rtol=0, atol=1e-12)


def cached(study, me: str, codes: list[str]) -> tuple:  # noqa: ANN001
    idx = study.review_index(me, codes)
    return (idx.segment_ids.tolist(), idx.transcript_ids.tolist(), idx.decided.tolist(),
            idx.uncertainty.tolist(), idx.suggested.tolist())


def test_the_index_equals_the_uncached_reads_with_the_blind_rule(coded):
    codes = coded.codebook().ids()
    [name] = coded.assign(["alice", "bob"], 0.34, seed=3)
    tid = coded.transcript_id(name)
    blind = coded.segments(transcript_id=tid, codeable_only=True)
    coded.decide(blind[0].id, "phones", "bob")  # hidden from alice: still hers to decide
    coded.decide(next(s.id for s in coded.segments(codeable_only=True) if s.transcript_id != tid), "money", "bob")
    for me in ("alice", "bob", "carol"):
        assert same(cached(coded.for_user(me) if me == "alice" else coded, me, codes), uncached(coded, me, codes))
    alice = coded.review_index("alice", codes)
    on_blind = alice.transcript_ids == tid
    assert on_blind.sum() == len(blind) and not alice.uncertainty[on_blind].any() and not alice.suggested[on_blind].any()
    assert alice.uncertainty[~on_blind].any()  # the other transcripts keep their suggestions
    assert coded.review_index("alice").uncertainty is None  # no codes asked: nothing summed


def test_the_cache_is_used_until_a_new_suggestion_run(coded, fake_embedder):
    codes = coded.codebook().ids()
    coded.review_index("alice", codes)
    with Statements(coded) as sql:
        again = coded.review_index("alice", codes)
    assert sql.summing() == 0 and sql.layout() == 0  # only the mark, the blind rule and the decisions
    assert not [s for s in sql.sent if "confidence" in s or "segments.start" in s]
    mark = coded.review_mark()
    assert again.mark == mark
    coded.decide(int(again.segment_ids[0]), "phones", "alice")
    coded.add_memo("alice", "a thought")
    assert coded.review_mark() == mark  # coding is read afresh, not a reason to sum again
    code_study(coded, fake_embedder, floor=0.9)  # a new run: fewer, other suggestions
    assert coded.review_mark() != mark
    with Statements(coded) as sql:
        fresh = cached(coded, "alice", codes)
    assert sql.summing() == 0 and sql.layout() == 0  # the run itself prepared the new one
    assert same(fresh, uncached(coded, "alice", codes)) and fresh != again
    seg = int(again.segment_ids[1])
    coded.replace_suggestions([Suggestion(seg, "phones", 0.5, "why")], [seg], "hash")  # any other write
    with Statements(coded) as sql:
        fresh = cached(coded, "alice", codes)
    assert sql.summing() == 1 and sql.layout() == 1
    assert same(fresh, uncached(coded, "alice", codes)) and fresh[3][1] == 1.0  # 1 − |2·0.5 − 1|


def test_every_write_of_suggestions_or_segments_moves_the_mark(coded, tmp_path):
    seg = coded.segments(codeable_only=True)[0]
    seen = {coded.review_mark()}
    assert None not in seen  # a study has a mark from the start (migration 0009 writes the first)

    def moved() -> bool:
        mark = coded.review_mark()
        new = mark not in seen
        seen.add(mark)
        return new

    coded.replace_suggestions([Suggestion(seg.id, "phones", 0.5, "why")], [seg.id], "hash")
    assert moved()
    with coded._tx() as s:  # a bulk statement: no objects for the session to look at
        s.execute(delete(CodeApplicationRow).where(CodeApplicationRow.source == "machine",
                                                   CodeApplicationRow.segment_id == seg.id))
    assert moved()
    coded.import_transcripts([interview(tmp_path, "t9", "S9")])
    assert moved()
    coded.decide(seg.id, "money", "alice")
    coded.set_final(seg.id, "money", True, "sam")
    coded.mark_done(seg.transcript_id, "alice")
    assert not moved()
    with pytest.raises(RuntimeError), coded._tx() as s:  # a write rolled back leaves the mark as it was
        s.execute(delete(CodeApplicationRow).where(CodeApplicationRow.source == "machine"))
        raise RuntimeError("rolled back")
    assert not moved() and coded.review_index("alice", coded.codebook().ids()).uncertainty.any()


def test_a_later_process_reads_the_cache_file_and_never_a_stale_one(coded, fake_embedder):
    codes = coded.codebook().ids()
    want = cached(coded, "alice", codes)
    assert (coded.folder / CACHE_NAME).exists()
    other = Study.open(coded.folder)
    try:
        with Statements(other) as sql:
            assert cached(other, "alice", codes) == want
        assert sql.summing() == 0 and sql.layout() == 0
        code_study(coded, fake_embedder, floor=0.9)  # the run writes the file for its new mark
        with Statements(other) as sql:
            assert same(cached(other, "alice", codes), uncached(coded, "alice", codes))
        assert sql.summing() == 0
        seg = int(other.review_index("alice").segment_ids[0])
        coded.replace_suggestions([], [seg], "hash")  # the file's mark is now old: never read
        with Statements(other) as sql:
            assert same(cached(other, "alice", codes), uncached(coded, "alice", codes))
        assert sql.summing() == 1
    finally:
        other.close()


def reference_picks(study: Study, me: str, embedder, n: int) -> list[int]:  # noqa: ANN001
    """The picks as *Review next* made them before the cache (review_pool, uncertainty_sums)."""
    codes = study.codebook().ids()
    pool = study.review_pool(me)
    finished = {t for t, who in study.done_by_all().items() if me in who}
    candidates = [i for i, (d, t) in enumerate(zip(pool.decided, pool.transcript_ids, strict=True))
                  if not d and t not in finished]
    labelled = [i for i, d in enumerate(pool.decided) if d]
    score = None
    if not active.typical_first(len(labelled)):
        sums = {sid: (u, top) for sid, u, top in study.uncertainty_sums(me, codes)}
        mine = [sums.get(pool.segment_ids[i], (0.0, False)) for i in candidates]
        score = np.array([u for u, _ in mine]) if any(t for _, t in mine) else None
    X = embedder.encode(study.segment_texts(list(pool.segment_ids)))
    picks = active.select_next(X, np.array(candidates, dtype=np.int64), np.array(labelled, dtype=np.int64), n,
                               score=score)
    return [pool.segment_ids[i] for i in picks]


@pytest.mark.parametrize("cold_start", [100, 2])
def test_next_segments_are_the_uncached_picks_and_follow_each_click(coded, fake_embedder, monkeypatch, cold_start):
    monkeypatch.setattr(active, "COLD_START", cold_start)  # 2: two decisions and uncertainty ranks
    segs = coded.segments(codeable_only=True)
    coded.decide(segs[0].id, "phones", "alice")
    coded.decide(segs[1].id, "money", "bob")
    first = next_segments(coded, "alice", fake_embedder, n=3)
    assert [p.segment.id for p in first] == reference_picks(coded, "alice", fake_embedder, 3)
    assert {p.reason for p in first} == {"typical" if cold_start == 100 else "uncertain"}
    assert all(p.why for p in first)
    coded.decide(first[0].segment.id, "phones", "bob")  # decided after the cache was made: gone at once
    coded.mark_done(first[1].segment.transcript_id, "alice")  # done: none of that transcript
    calls = len(fake_embedder.calls)
    after = next_segments(coded, "alice", fake_embedder, n=3)
    assert len(fake_embedder.calls) == calls  # the vectors were kept: nothing read or embedded again
    ids = [p.segment.id for p in after]
    assert first[0].segment.id not in ids and first[1].segment.transcript_id not in {p.segment.transcript_id for p in after}
    assert ids == reference_picks(coded, "alice", fake_embedder, 3)[:len(ids)] and ids
    done_everywhere = {p.segment.id for p in next_segments(coded, "bob", fake_embedder, n=20)}
    assert first[1].segment.id in done_everywhere  # alice's "done" is hers: bob is still offered it


def test_next_segments_respect_a_blind_sample(coded, fake_embedder, monkeypatch):
    monkeypatch.setattr(active, "COLD_START", 1)
    [name] = coded.assign(["alice", "bob"], 0.34, seed=3)
    tid = coded.transcript_id(name)
    blind = coded.segments(transcript_id=tid, codeable_only=True)
    coded.decide(blind[0].id, "phones", "bob")  # alice may not see bob's decision
    picks = next_segments(coded.for_user("alice"), "alice", fake_embedder, n=20)
    on_blind = [p for p in picks if p.segment.transcript_id == tid]
    assert {p.segment.id for p in on_blind} == {s.id for s in blind}  # bob's segment is still alice's to code
    assert all(p.code_id is None and p.confidence is None for p in on_blind)  # no machine code named
    assert all(p.code_id for p in picks if p.segment.transcript_id != tid)
    assert blind[0].id not in {p.segment.id for p in next_segments(coded, "bob", fake_embedder, n=20)}  # his own
    workflow._ROWS.clear()
