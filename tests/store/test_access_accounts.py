"""Accounts: Argon2id hashes, roles given by the owner or an admin, slowed and audited
log-ins, day-long sessions, and the ``qualcode user`` commands."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from qualcode.cli import main
from qualcode.errors import AccessDenied, StoreError
from qualcode.store import accounts
from qualcode.store.models import utcnow


def test_password_is_stored_as_argon2id_and_log_in_returns_the_role(study):
    assert not study.has_accounts()
    study.add_user("alice", "correct horse", "supervisor", actor="owner")
    assert study.has_accounts()
    with study._tx() as s:
        from sqlalchemy import text

        digest = s.execute(text("SELECT password_hash FROM coders WHERE name='alice'")).scalar()
    assert digest.startswith("$argon2id$") and "correct horse" not in digest
    assert study.check_login("alice", "correct horse") == ("alice", "supervisor")
    assert [(u.name, u.role, u.has_password) for u in study.users()] == [("alice", "supervisor", True)]
    actions = [(a.action, a.actor) for a in study.audit_log()]
    assert ("login", "alice") in actions and ("add_user", "owner") in actions


@pytest.mark.parametrize("name", ["machine", "final", " Final ", ""])
def test_reserved_and_empty_names_are_refused(study, name):
    with pytest.raises(StoreError, match="name: expected a person's name"):
        study.add_user(name, "long enough", "coder", actor="owner")


def test_reserved_names_cannot_decide_or_be_assigned(study):
    with pytest.raises(StoreError, match="reserved name 'final'"):
        study.decide(1, "x", "final")
    with pytest.raises(StoreError, match="reserved name 'machine'"):
        study.ensure_coder("machine")


def test_short_password_bad_role_and_duplicate_are_refused(study):
    with pytest.raises(StoreError, match="at least 8 characters, got 3"):
        study.add_user("bob", "abc", "coder", actor="owner")
    with pytest.raises(StoreError, match="--role: expected coder, supervisor or admin, got 'boss'"):
        study.add_user("bob", "long enough", "boss", actor="owner")
    study.add_user("bob", "long enough", "coder", actor="owner")
    with pytest.raises(StoreError, match="already has an account"):
        study.add_user("bob", "other pass", "admin", actor="owner")


def test_wrong_passwords_are_audited_then_slowed_with_a_cap(study):
    study.add_user("bob", "long enough", "coder", actor="owner")
    for _ in range(accounts.FREE_FAILURES):
        with pytest.raises(AccessDenied, match="wrong name or password"):
            study.check_login("bob", "guess")
    assert study.login_delay("bob") > 0
    with pytest.raises(AccessDenied, match="try again in"):
        study.check_login("bob", "long enough")  # even the right password waits
    failed = [a for a in study.audit_log() if a.action == "login_failed"]
    assert len(failed) == accounts.FREE_FAILURES and failed[0].entity_id == "bob"
    # the wait doubles with each failure and never exceeds MAX_DELAY
    later = utcnow() + timedelta(hours=1)
    assert study.login_delay("bob", now=later) == 0
    with study._tx() as s:
        for _ in range(20):
            study._audit(s, "bob", "login_failed", "account", "bob", None, None)
    assert study.login_delay("bob") == pytest.approx(accounts.MAX_DELAY, abs=1)
    assert study.login_delay("alice-unknown") == 0


def test_unknown_name_fails_like_a_wrong_password(study):
    with pytest.raises(AccessDenied, match="wrong name or password"):
        study.check_login("nobody", "whatever")


def test_sessions_last_a_working_day_and_end_on_remove_or_new_password(study):
    study.add_user("alice", "correct horse", "coder", actor="owner")
    token = study.start_session("alice")
    assert study.session_user(token) == ("alice", "coder")
    assert study.session_user(token + "x") is None and study.session_user(None) is None
    old = study.start_session("alice", hours=-1)
    assert study.session_user(old) is None  # expired
    study.set_password("alice", "new password", actor="owner")
    assert study.session_user(token) is None
    token = study.start_session("alice")
    study.set_role("alice", "admin", actor="owner")
    assert study.session_user(token) == ("alice", "admin")
    study.remove_user("alice", actor="owner")
    assert study.session_user(token) is None and not study.has_accounts()
    with pytest.raises(AccessDenied):
        study.check_login("alice", "new password")
    roles = [a for a in study.audit_log() if a.action == "set_role"]
    assert roles[0].before == {"role": "coder"} and roles[0].after == {"role": "admin"}


def test_cli_user_add_list_passwd_role_remove(study, monkeypatch, capsys):
    folder = str(study.folder)
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pass\n"))
    assert main(["user", "add", folder, "carol", "--role", "supervisor", "--password-stdin"]) == 0
    assert study.check_login("carol", "s3cret-pass") == ("carol", "supervisor")
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "typed-pass")
    assert main(["user", "passwd", folder, "carol"]) == 0
    assert study.check_login("carol", "typed-pass")[0] == "carol"
    assert main(["user", "role", folder, "carol", "--role", "admin"]) == 0
    capsys.readouterr()
    assert main(["user", "list", folder]) == 0
    assert capsys.readouterr().out == "carol\tadmin\taccount\n"
    assert main(["user", "remove", folder, "carol"]) == 0
    assert main(["user", "add", folder, "machine", "--role", "coder"]) == 2
    assert "reserved name 'machine'" in capsys.readouterr().err
    assert main(["decide", folder, "--segment", "1", "--code", "x", "--coder", "final"]) == 2
    assert "reserved name 'final'" in capsys.readouterr().err


def test_cli_user_passwords_typed_twice_must_match(study, monkeypatch, capsys):
    answers = iter(["one password", "another one"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["user", "add", str(study.folder), "dan", "--role", "coder"]) == 2
    assert "the same password twice" in capsys.readouterr().err
    assert not study.has_accounts()


def test_models_and_migration_agree_on_login_sessions(study):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from qualcode.store.models import Base

    with study.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert not [d for d in diff if "login_sessions" in repr(d)]
