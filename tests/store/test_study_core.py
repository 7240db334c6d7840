"""The shape of Study: every part inherits StudyCore and uses only what is its own or
declared there; read-only transactions take no write lock and refuse writes; a large
transcript's segments go in linked to their participants."""

from __future__ import annotations

import ast
import sqlite3
import time
from pathlib import Path

import pytest

import qualcode.store as store_pkg
from qualcode.errors import StoreError
from qualcode.io.transcripts import parse_speaker_text
from qualcode.records import Participant, Transcript
from qualcode.store import Study
from qualcode.store import engine as engines
from qualcode.store.core import StudyCore

STORE = Path(store_pkg.__file__).parent


def _members(tree: ast.AST, cls: str) -> set[str]:
    """Names a class of ``tree`` defines in its body: methods and (annotated) attributes,
    also those declared under ``if TYPE_CHECKING:`` (not the locals of its methods)."""
    def names(body: list[ast.stmt]) -> set[str]:
        out: set[str] = set()
        for item in body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                out.add(item.name)
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                out.add(item.target.id)
            elif isinstance(item, ast.Assign):
                out.update(t.id for t in item.targets if isinstance(t, ast.Name))
            elif isinstance(item, ast.If):
                out |= names(item.body)
        return out

    return set().union(*(names(n.body) for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == cls))


def _self_attributes(node: ast.ClassDef) -> set[str]:
    return {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name) and n.value.id == "self"}


def test_every_part_uses_only_its_own_or_declared_attributes() -> None:
    core = _members(ast.parse((STORE / "core.py").read_text()), "StudyCore")
    parts = [c for c in Study.__mro__[1:] if c not in (StudyCore, object)]
    assert len(parts) >= 11
    for part in parts:
        assert issubclass(part, StudyCore), part
        path = STORE / f"{part.__module__.rsplit('.', 1)[1]}.py"
        tree = ast.parse(path.read_text())
        cls = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == part.__name__)
        own = _members(tree, part.__name__)
        undeclared = _self_attributes(cls) - own - core
        assert not undeclared, f"{part.__name__} ({path.name}) uses undeclared {sorted(undeclared)}"


def test_the_declarations_match_what_the_parts_define() -> None:
    """A declared helper that no part defines any more would be a lie: each exists on Study."""
    declared = _members(ast.parse((STORE / "core.py").read_text()), "StudyCore")
    missing = sorted(n for n in declared if not hasattr(Study, n) and n not in StudyCore.__annotations__)
    assert missing == []


@pytest.fixture
def quick_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines, "BUSY_TIMEOUT", 0.3)


def test_sqlite_reads_do_not_wait_for_a_writer_but_writes_do(tmp_path: Path, tiny_codebook, quick_lock) -> None:
    study = Study.init(tmp_path / "s", codebook=tiny_codebook)
    study.import_transcripts([Transcript("t1", "Ann: hello there.\n", parse_speaker_text("Ann: hello there.\n"),
                                         "txt", content_hash="h1")])
    other = sqlite3.connect(tmp_path / "s" / "study.sqlite", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another coder holds the write lock
    other.execute("INSERT INTO study_info (key, value) VALUES ('x', 'y')")
    try:
        t0 = time.perf_counter()
        assert [t.name for t in study.transcripts()] == ["t1"]
        assert study.codebook().ids() == tiny_codebook.ids()
        assert len(study.segments()) == 1
        assert time.perf_counter() - t0 < 0.3  # none of them waited for the lock
        with pytest.raises(StoreError, match="is busy: another qualcode process is writing it"):
            study.ensure_coder("ada")  # a write still waits for (and here misses) the lock
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert study.ensure_coder("ada") == "ada"
    study.close()


def test_a_read_transaction_refuses_to_write(study: Study) -> None:
    from qualcode.store.models import StudyInfo

    with pytest.raises(Exception, match="(?i)read.?only"), study._read() as s:
        s.add(StudyInfo(key="sneaky", value="write"))
    with study._read() as s:
        assert s.get(StudyInfo, "sneaky") is None
    with study._tx() as s:  # the pooled connection is writable again afterwards
        s.add(StudyInfo(key="honest", value="write"))
    with study._read() as s:
        assert s.get(StudyInfo, "honest").value == "write"


def test_bulk_import_links_segments_and_relinks_on_a_new_sheet(study: Study) -> None:
    turns = "".join(f"{'Interviewer' if i % 2 else 'Ann'}: line {i}.\n\n" for i in range(5000))
    t = Transcript("big", turns, parse_speaker_text(turns), "txt", content_hash="big")
    report = study.import_transcripts([t])
    assert report.segments == 5000
    segs = study.segments()
    assert len(segs) == 5000 and segs[0].text == "line 0." and segs[1].text == "line 1."
    assert all(s.participant_id is None for s in segs)
    assert [s.is_interviewer for s in segs[:4]] == [False, True, False, True]
    assert all(t.plain_text[s.start:s.end] == s.text for s in segs)
    study.import_transcripts([], participants=[Participant("P1", group="g", speakers=("Ann",))])
    segs = study.segments()
    assert {s.participant_id for s in segs if not s.is_interviewer} == {"P1"}
    assert {s.participant_id for s in segs if s.is_interviewer} == {None}
    assert len(study.segments(codeable_only=True)) == 2500
    study.check_integrity()


def test_no_part_returns_untyped_dicts() -> None:
    """Entities leave the store as frozen records; a dict is only a typed lookup (``dict[K, V]``)."""
    offenders = []
    for path in sorted(STORE.glob("*.py")):
        for cls in (n for n in ast.parse(path.read_text()).body if isinstance(n, ast.ClassDef)):
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef) and not fn.name.startswith("_") and fn.returns is not None:
                    shown = ast.unparse(fn.returns).replace(" ", "")
                    if "[dict]" in shown or "[dict|" in shown or shown in ("dict", "dict|None", "Any"):
                        offenders.append(f"{path.name}: {cls.name}.{fn.name} -> {shown}")
    assert offenders == []


def test_audit_memos_and_discovery_come_back_as_records(study: Study) -> None:
    from dataclasses import FrozenInstanceError

    from qualcode.records import AuditEntry, DiscoveryRun, Memo

    turns = "P01: I ring at eight.\n\nP01: Money.\n"
    study.import_transcripts([Transcript("i", turns, parse_speaker_text(turns), "txt", content_hash="i")])
    seg = study.segments(codeable_only=True)[0]
    memo_id = study.add_memo("alice", "first thought", segment_id=seg.id)
    study.update_memo(memo_id, "second thought", "alice")
    (memo,) = study.memos()
    assert isinstance(memo, Memo) and (memo.text, memo.version, memo.kind, memo.segment_id) == \
        ("second thought", 2, "segment", seg.id)
    entry = study.audit_log(limit=1)[0]
    assert isinstance(entry, AuditEntry) and (entry.action, entry.entity, entry.actor) == ("update", "memo", "alice")
    assert entry.before["text"] == "first thought" and entry.after["text"] == "second thought"
    with pytest.raises(FrozenInstanceError):
        entry.actor = "mallory"  # type: ignore[misc]
    # a run kept by an older version, without outliers, fits or groups, still reads
    run_id = study.save_discovery([{"label": 0, "size": 1, "segments": [seg.id], "exemplars": [seg.id]}], "hash")
    run = study.discovery(run_id)
    assert isinstance(run, DiscoveryRun) and run.outliers == () and run.groups is None
    assert run.cluster(0).segments == (seg.id,) and run.cluster(0).nearest_codes == () and run.cluster(7) is None
    shape = run.as_dict()
    assert "groups" not in shape and shape["clusters"][0]["exemplars"] == (seg.id,) and shape["by"] == "machine"
