"""Hostile arguments and damaged studies: one clear error line, exit 2, study unchanged.

Each test reproduces one failure of the hostile-input probe (ids A3 … B5 in issue 16)."""

from __future__ import annotations

import json
import sqlite3
import stat

import pytest

from qualcode.cli import main
from qualcode.errors import InputError, safe_text
from qualcode.store import engine as engines
from tests.conftest import TINY_CODEBOOK, write

INTERVIEW = "Interviewer: How do you book?\n\nP01: I ring at eight and the appointments are gone.\n"
HUGE = "99999999999999999999999"


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse refuses an argument by exiting
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def one_error(capsys, *args: str) -> str:
    code, _, err = run(capsys, *args)
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.fixture
def st(tmp_path, capsys):
    cb = write(tmp_path / "cb.yaml", TINY_CODEBOOK)
    assert run(capsys, "init", tmp_path / "st", "--codebook", cb)[0] == 0
    assert run(capsys, "import", tmp_path / "st", write(tmp_path / "one.txt", INTERVIEW))[0] == 0
    return tmp_path / "st"


@pytest.mark.parametrize(("args", "expected"), [
    (("import", "S", "x.txt", "--max-words", HUGE), "--max-words: expected a whole number of at most 100,000"),
    (("decide", "S", "--segment", HUGE, "--code", "c", "--coder", "a"), "--segment: expected a whole number of at most 9,223,372,036,854,775,807"),
    (("codebook", "S", "--version", HUGE), "--version: expected a whole number of at most 9,223"),
    (("agreement", "--table", "t.csv", "--bootstrap", "100000000"), "--bootstrap: expected a whole number of at most 100,000, got '100000000'"),
    (("saturation", "S", "--orders", "100000000"), "--orders: expected a whole number of at most 10,000"),
    (("next", "S", "--coder", "a", "-n", "10" * 11), "-n: expected a whole number of at most 10,000"),
    (("agreement", "--table", "t.csv", "--seed", "-1"), "--seed: expected a whole number of at least 0, got '-1'"),
    (("assign", "S", "--coders", "a,b", "--fraction", "0.5", "--seed", "-1"), "--seed: expected"),
    (("evaluate", "gold.csv", "--model", "/nonexistent/model"), "expected a model name or an existing model folder"),
])
def test_numbers_and_model_paths_are_bounded_in_argparse(capsys, args, expected):
    err = one_error(capsys, *args)
    assert expected in err


def test_a_5000_digit_number_is_named_not_echoed(capsys):
    err = one_error(capsys, "codebook", "S", "--version", "9" * 5000)
    assert len(err) < 300 and "9999…'" in err


def test_damaged_database_is_one_line(st, capsys):
    (st / "study.sqlite").write_bytes(b"not a database at all" * 100)
    for extra in ("-wal", "-shm"):
        (st / f"study.sqlite{extra}").unlink(missing_ok=True)
    err = one_error(capsys, "segments", st)
    assert "study.sqlite: expected a qualcode study database, got a damaged or non-SQLite file" in err


@pytest.mark.parametrize(("config", "expected"), [
    ("[1, 2]", "study.json: expected a JSON object written by 'qualcode init', got a JSON list"),
    ('{"database_url": 5}', "study.json: field 'database_url': expected a database URL (text) or null, got a JSON int"),
    ('{"database_url": "sqlite:////nonexistent/gone.sqlite"}',
     "study.json: field 'database_url': expected an existing study database, got 'sqlite:////nonexistent/gone.sqlite'"),
    ('{"format_version": 99}', "study.json: field 'format_version': expected 1 (or older) as written by 'qualcode init', "
                               "got '99'"),
])
def test_malformed_study_json(st, capsys, config, expected):
    (st / "study.json").write_text(config)
    assert expected in one_error(capsys, "segments", st)


def test_newer_schema_is_refused_before_any_backup(st, capsys):
    with sqlite3.connect(st / "study.sqlite") as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    err = one_error(capsys, "segments", st)
    assert "made by a newer qualcode (schema 9999); upgrade qualcode" in err
    assert not list(st.glob("*.bak-*"))


def test_missing_column_is_named(st, capsys):
    with sqlite3.connect(st / "study.sqlite") as db:
        db.execute("ALTER TABLE coders DROP COLUMN disabled")
    assert "the database does not match schema" in (err := one_error(capsys, "segments", st))
    assert "(coders.disabled missing)" in err


def test_busy_study_says_so(st, capsys, monkeypatch):
    monkeypatch.setattr(engines, "BUSY_TIMEOUT", 0.2)
    segment = json.loads(run(capsys, "segments", st)[1])[0]["id"]
    holder = sqlite3.connect(st / "study.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        err = one_error(capsys, "decide", st, "--segment", segment, "--code", "access", "--coder", "ann")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "study.sqlite is busy: another qualcode process is writing it" in err and "try again" in err
    assert run(capsys, "decide", st, "--segment", segment, "--code", "access", "--coder", "ann")[0] == 0


def test_deleted_database_is_not_recreated(st, capsys):
    for name in ("study.sqlite", "study.sqlite-wal", "study.sqlite-shm"):
        (st / name).unlink(missing_ok=True)
    err = one_error(capsys, "segments", st, "--format", "json")
    assert "expected a study database study.sqlite, got none (was it moved or deleted?)" in err
    assert not (st / "study.sqlite").exists()


def test_a_file_given_as_study(tmp_path, capsys):
    err = one_error(capsys, "segments", write(tmp_path / "f.txt", "x"))
    assert "expected a study folder made by 'qualcode init', got a file" in err


def _exports(st) -> int:
    with sqlite3.connect(st / "study.sqlite") as db:
        return db.execute("SELECT count(*) FROM audit_log WHERE action LIKE '%export%'").fetchone()[0]


@pytest.mark.parametrize("target", ["folder", "file/x.csv", "file/x.qdpx", "file/x.md"])
def test_unwritable_out_is_one_line_and_not_audited(st, tmp_path, capsys, target):
    (tmp_path / "folder").mkdir()
    write(tmp_path / "file", "x")
    out = tmp_path / target
    command = {".qdpx": "export", ".md": "report"}.get(out.suffix, "segments")
    before = _exports(st)
    err = one_error(capsys, command, st, "--out", out)
    assert f"{out}: expected a file" in err
    assert _exports(st) == before


def test_out_onto_a_device_is_refused_and_the_device_kept(st, capsys):
    err = one_error(capsys, "segments", st, "--out", "/dev/full")
    assert "/dev/full: expected a file to write (new or a regular file), got a device, pipe or socket" in err
    assert stat.S_ISCHR(__import__("os").stat("/dev/full").st_mode)


class _Stdin:
    def __init__(self, data: bytes) -> None:
        import io

        self.buffer = io.BytesIO(data)


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("bob", b"\xff\xfe\x00\n", "--password-stdin: expected a UTF-8 password on the first line, got byte 0xff"),
    ("bob", b"abc\x01defghijkl\n", "password: expected printable characters, got the control character U+0001"),
    ("b\x01ob", b"abcdefghijklmn\n", "name: expected printable characters, got the control character U+0001"),
])
def test_user_add_refuses_bad_bytes_and_control_characters(st, capsys, monkeypatch, name, data, expected):
    monkeypatch.setattr("sys.stdin", _Stdin(data))
    assert expected in one_error(capsys, "user", "add", st, name, "--role", "coder", "--password-stdin")
    code, out, _ = run(capsys, "user", "list", st)
    assert "bob" not in out


def test_same_name_twice_in_one_import(st, tmp_path, capsys):
    a = write(tmp_path / "in" / "a.txt", "P01: hello there\n")
    b = write(tmp_path / "in" / "a.csv", "speaker,text\nP01,other text\n")
    err = one_error(capsys, "import", st, a, b)
    assert "got 'a', the name of another file in this import" in err


def test_unreachable_postgresql_is_one_line(tmp_path, capsys):
    pytest.importorskip("psycopg")
    err = one_error(capsys, "init", tmp_path / "n", "--db", "postgresql://u@127.0.0.1:1/x")
    assert "expected a reachable database" in err


def test_got_is_bounded_and_escaped():
    assert safe_text("a\nb\u2029c\u202ed\x01") == "a\\nb\\u2029c\\u202ed\\x01"
    message = str(InputError("t.csv", "a header", "x" * 5000 + "\u202e"))
    assert message == "t.csv: expected a header, got " + "x" * 200 + "…"


def test_user_role_says_an_admin(st, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", _Stdin(b"abcdefghijklmn\n"))
    assert run(capsys, "user", "add", st, "maria", "--role", "coder", "--password-stdin")[0] == 0
    code, out, _ = run(capsys, "user", "role", st, "maria", "--role", "admin")
    assert code == 0 and out.strip().endswith("maria is now an admin")
    code, out, _ = run(capsys, "user", "role", st, "maria", "--role", "supervisor")
    assert code == 0 and out.strip().endswith("maria is now a supervisor")
