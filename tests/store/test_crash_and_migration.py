"""kill -9 of `import` and `code` at random moments, and opening a study of the previous schema."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from qualcode.store import Study

ROOT = Path(__file__).resolve().parents[2]
# The child imports what the command needs, says "go", then runs the real CLI: the kill
# lands in the command's own work, not in Python's start-up.
CHILD = ("import sys; from qualcode.cli import main; import qualcode.store, qualcode.pipeline.segment, "
         "qualcode.io.transcripts; print('go', flush=True); sys.exit(main(sys.argv[1:]))")


def make_files(folder: Path, n: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"t{i:03d}.txt").write_text(
            f"Interviewer: How is the surgery, number {i}?\n\nP{i}: I ring at eight and the phone is "
            f"engaged. The budget was cut again, {i} times.\n", encoding="utf-8")
    return [str(p) for p in sorted(folder.glob("*.txt"))]


def killed_run(args: list[str], delay: float) -> int:
    """Run the CLI in a child, SIGKILL it ``delay`` s after it is ready; its return code."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, cwd=ROOT, env=_env())
    assert proc.stdout is not None
    proc.stdout.readline()  # "go"
    time.sleep(delay)
    proc.kill()
    return proc.wait()


def timed_run(args: list[str]) -> float:
    """Seconds from the child's "go" to its end (a run that is not killed)."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, cwd=ROOT, env=_env())
    assert proc.stdout is not None
    proc.stdout.readline()
    t0 = time.perf_counter()
    proc.wait()
    return time.perf_counter() - t0


def _env() -> dict:
    import os
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}


def inconsistencies(folder: Path, n_files: int) -> list[str]:
    """What a kill left wrong: integrity, half batches, audit log not matching the data."""
    problems = []
    con = sqlite3.connect(folder / "study.sqlite")
    try:
        if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            problems.append("integrity_check failed")
        transcripts = con.execute("SELECT count(*) FROM transcripts").fetchone()[0]
        if transcripts not in (0, n_files):
            problems.append(f"half an import: {transcripts} of {n_files} transcripts")
        imports = con.execute("SELECT count(*) FROM audit_log WHERE action='import'").fetchone()[0]
        if imports != transcripts:
            problems.append(f"audit log has {imports} imports, the study {transcripts} transcripts")
        machine = con.execute("SELECT count(*) FROM code_applications WHERE source='machine'").fetchone()[0]
        last = con.execute("SELECT after FROM audit_log WHERE action='suggest' ORDER BY id DESC LIMIT 1").fetchone()
        expected = json.loads(last[0])["suggestions"] if last else 0
        if machine != expected:
            problems.append(f"{machine} suggestions stored, the audit log says {expected}")
    finally:
        con.close()
    with Study.open(folder) as study:
        study.check_integrity()
    return problems


def crash_trials(tmp: Path, n_import: int, n_code: int, n_files: int = 60, seed: int = 16) -> tuple[int, list[str]]:
    """Kill ``import`` and ``code`` at random moments; (trials, inconsistencies found)."""
    rng = random.Random(seed)
    folder = tmp / "study"
    files = make_files(tmp / "files", n_files)
    for study in (folder, tmp / "timing"):
        subprocess.run([sys.executable, "-m", "qualcode", "init", str(study), "--codebook",
                        str(ROOT / "codebooks" / "gp_commissioning.yaml")], check=True, cwd=ROOT, env=_env(),
                       capture_output=True)
    full = max(timed_run(["import", str(tmp / "timing"), *files]), 0.2)  # how long an import takes
    problems: list[str] = []
    for _ in range(n_import):
        killed_run(["import", str(folder), *files], rng.uniform(0, full))
        problems += inconsistencies(folder, n_files)
    subprocess.run([sys.executable, "-m", "qualcode", "import", str(folder), *files], check=True, cwd=ROOT,
                   env=_env(), capture_output=True)
    for _ in range(n_code):
        killed_run(["code", str(folder), "--model", "hash"], rng.uniform(0, full))
        problems += inconsistencies(folder, n_files)
    return n_import + n_code, problems


def test_kill_9_of_import_and_code_leaves_a_consistent_study(tmp_path: Path) -> None:
    trials, problems = crash_trials(tmp_path, n_import=3, n_code=3)
    assert trials == 6 and problems == []


def test_a_study_of_schema_0001_opens_after_a_backup(tmp_path: Path) -> None:
    from alembic import command

    from qualcode.store import engine as engines

    folder = tmp_path / "old"
    folder.mkdir()
    db = folder / "study.sqlite"
    eng = engines.make_engine(f"sqlite:///{db}")
    with eng.begin() as conn:
        command.upgrade(engines._alembic_config(conn), "0001")
    eng.dispose()
    con = sqlite3.connect(db)
    now = "2025-01-01 10:00:00"
    con.executescript(f"""
        INSERT INTO study_info VALUES ('name', 'old'), ('created_at', '{now}');
        INSERT INTO coders (id, name, role, created_at) VALUES (1, 'machine', 'system', '{now}'),
            (2, 'final', 'system', '{now}'), (3, 'alice', 'coder', '{now}');
        INSERT INTO codebook_versions VALUES (1, 'Old book', '', 'initial', 'alice', '{now}');
        INSERT INTO codes (pk, version, code_id, parent_id, name, definition, include, exclude, examples, position)
            VALUES (1, 1, 'access', NULL, 'Access', 'Getting an appointment.', '[]', '[]', '[]', 0);
        INSERT INTO transcripts VALUES (1, 't1', 't1.txt', 'txt', 'abc', 'Anna: I ring at eight.', '{now}');
        INSERT INTO segments (id, transcript_id, turn_index, start, "end", text, speaker, participant_id,
            start_time, end_time, is_interviewer, procedural)
            VALUES (1, 1, 0, 6, 22, 'I ring at eight.', 'Anna', NULL, NULL, NULL, 0, 0);
        INSERT INTO code_applications (id, segment_id, code_id, codebook_version, source, coder_id, present,
            confidence, reason, decided_by, created_at, updated_at)
            VALUES (1, 1, 'access', 1, 'human', 3, 1, NULL, '', 'alice', '{now}', '{now}');
    """)
    con.commit()
    con.close()
    (folder / "study.json").write_text(json.dumps({"format": "qualcode-study", "format_version": 1,
                                                   "database_url": None}))
    with Study.open(folder) as study:
        assert study.codebook().get("access").name == "Access"
        assert [s.text for s in study.segments()] == ["I ring at eight."]
        assert [(a.coder, a.code_id, a.present) for a in study.applications()] == [("alice", "access", True)]
        assert study.transcripts()[0].warnings == ()
        study.check_integrity()
    backup = folder / "study.sqlite.bak-0001"
    assert backup.exists()
    con = sqlite3.connect(backup)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    con.close()
