"""Permissions of every file qualcode creates, under umask 022: what holds interview text
for qualcode itself is private (0700 folders, 0600 files); reports and exports follow the
umask so that colleagues can read what they are sent."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from qualcode.cli import main
from tests.conftest import TINY_CODEBOOK, write

INTERVIEW = ("Interviewer: How do you book?\n\nP01: I ring at eight and all the appointments are gone.\n\n"
             "P01: The budget has been cut again.\n")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def built(tmp_path, capsys):
    study = tmp_path / "st"
    assert main(["init", str(study), "--codebook", str(write(tmp_path / "cb.yaml", TINY_CODEBOOK))]) == 0
    assert main(["import", str(study), str(write(tmp_path / "t1.txt", INTERVIEW))]) == 0
    assert main(["code", str(study), "--model", "hash"]) == 0
    capsys.readouterr()
    return study


def test_study_folder_database_and_config_are_private(built):
    assert mode(built) == 0o700
    assert {p.name: mode(p) for p in built.iterdir()} == {"study.json": 0o600, "study.sqlite": 0o600,
                                                         ".review-cache.npz": 0o600}  # Review next's cache


def test_wal_and_shm_of_an_open_study_are_private(built):
    from qualcode.store import Study

    with Study.open(built) as study:
        study.decide(study.segments(codeable_only=True)[0].id, "money", "alice")
        extra = sorted(p.name for p in built.iterdir() if p.name.startswith("study.sqlite-"))
        assert extra == ["study.sqlite-shm", "study.sqlite-wal"]
        assert all(mode(built / name) == 0o600 for name in extra)


def test_an_older_world_readable_study_is_tightened_on_open(built):
    from qualcode.store import Study

    os.chmod(built, 0o755)
    os.chmod(built / "study.sqlite", 0o644)
    Study.open(built).close()
    assert (mode(built), mode(built / "study.sqlite")) == (0o700, 0o600)


def test_embedding_cache_is_private(built, tmp_path):
    cache = tmp_path / "cache"  # QUALCODE_CACHE_DIR (tests/conftest.py)
    assert mode(cache) == 0o700 and mode(cache / "embeddings") == 0o700
    files = list((cache / "embeddings").iterdir())
    assert files and all(mode(p) == 0o600 for p in files), {p.name: oct(mode(p)) for p in files}


def test_fine_tuned_weights_are_written_private(tmp_path):
    from qualcode.io.atomic import private_dir, write_atomic

    folder = private_dir(tmp_path / "a" / "fine-tuned")
    write_atomic(folder / "model.pt", b"weights", private=True)
    assert (mode(tmp_path / "a"), mode(folder), mode(folder / "model.pt")) == (0o700, 0o700, 0o600)


@pytest.mark.parametrize("name", ["report.md", "report.html", "report.docx", "matrix.xlsx"])
def test_reports_follow_the_umask(built, tmp_path, name):
    out = tmp_path / name
    assert main(["report", str(built), "--out", str(out)]) == 0
    assert mode(out) == 0o644
    os.umask(0o077)
    assert main(["report", str(built), "--out", str(out)]) == 0
    assert mode(out) == 0o600


@pytest.mark.parametrize("name", ["project.qdpx", "codebook.qdc"])
def test_exports_follow_the_umask_and_are_audited(built, tmp_path, name):
    out = tmp_path / name
    assert main(["export", str(built), "--out", str(out)]) == 0
    assert mode(out) == 0o644
    from qualcode.store import Study

    with Study.open(built) as study:
        entry = study.audit_log(limit=1)[0]
    assert entry.action == "export" and entry.after == {"target": str(out.resolve()), "identifiable": False}
    assert entry.actor.startswith("owner")


def test_no_temporary_files_are_left(built, tmp_path):
    assert main(["report", str(built), "--out", str(tmp_path / "r.md")]) == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
