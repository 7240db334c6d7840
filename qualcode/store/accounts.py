"""Accounts: who may log in to the app, with which role, and their log-in sessions.

A person's account is their row in ``coders`` with an Argon2id ``password_hash``
(argon2-cffi's defaults; never the password, never a reversible form). Removing an
account disables it and clears the hash; the row stays, because that person's codes,
memos and audit entries point to it.

Roles (an admin gives them; nobody chooses their own): ``coder`` < ``supervisor`` <
``admin``, each including the one below (an admin can do what a supervisor can).

Failed log-ins are slowed per account: after ``FREE_FAILURES`` wrong passwords in a row,
the next attempt is refused without looking at the password for 2, 4, 8 … seconds, at
most ``MAX_DELAY`` seconds, counted from the last failure. The count comes from the
audit log (which also records every log-in and failure), so nothing else has to be kept.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from qualcode.errors import AccessDenied, StoreError
from qualcode.store.core import StudyCore
from qualcode.store.models import AuditRow, CoderRow, LoginSessionRow, utcnow

ROLES = ("coder", "supervisor", "admin")
RANK = {"anonymous": 0, "coder": 1, "supervisor": 2, "admin": 3}
RESERVED = frozenset({"machine", "final"})
MIN_PASSWORD = 8
FREE_FAILURES = 3
MAX_DELAY = 60.0  # seconds
SESSION_HOURS = 10  # a working day


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    has_password: bool
    disabled: bool


def check_person_name(name: str) -> str:
    """A person's name, stripped; the system coders' names are refused."""
    name = (name or "").strip()
    if not name:
        raise StoreError("name: expected a person's name, got an empty one")
    if name.lower() in RESERVED:
        raise StoreError(f"name: expected a person's name, got the reserved name {name!r} "
                         "(machine and final are qualcode's own coders)")
    if len(name) > 100:
        raise StoreError(f"name: expected at most 100 characters, got {len(name)}")
    bad = next((ch for ch in name if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")), None)
    if bad is not None:  # invisible in every list and audit line that shows the name
        raise StoreError(f"name: expected printable characters, got the control character U+{ord(bad):04X}")
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise StoreError(f"--role: expected coder, supervisor or admin, got {role!r}")
    return role


def _check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise StoreError(f"password: expected at least {MIN_PASSWORD} characters, got {len(password or '')}")
    return password


def _hasher():  # noqa: ANN202 - lazy: argon2 is needed only for accounts
    from argon2 import PasswordHasher

    return PasswordHasher()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_DUMMY: list[str] = []  # a hash to verify against for unknown names (same time as a real one)


class Accounts(StudyCore):
    """Mixed into :class:`qualcode.store.study.Study`."""

    def _account(self, s: Session, name: str) -> CoderRow:
        row = s.scalar(select(CoderRow).where(CoderRow.name == name))
        if row is None or row.password_hash is None:
            raise StoreError(f"user: expected an account of this study, got {name!r} "
                             "(see 'qualcode user list')")
        return row

    def add_user(self, name: str, password: str, role: str, actor: str) -> None:
        """An account for ``name``; an existing coder without one keeps their work."""
        name, role, password = check_person_name(name), _check_role(role), _check_password(password)
        digest = _hasher().hash(password)
        with self._tx() as s:
            row = s.scalar(select(CoderRow).where(CoderRow.name == name))
            if row is not None and row.password_hash is not None and not row.disabled:
                raise StoreError(f"user: expected a new name, got {name!r} which already has an account "
                                 "(use 'qualcode user passwd' to change the password)")
            if row is None:
                row = CoderRow(name=name, role=role)
                s.add(row)
            before = None if row.id is None else {"role": row.role, "disabled": row.disabled}
            row.role, row.password_hash, row.disabled = role, digest, False
            s.flush()
            self._audit(s, actor, "add_user", "account", name, before, {"role": role})

    def remove_user(self, name: str, actor: str) -> None:
        """Disable the account and end its sessions; the person's codes stay theirs."""
        with self._tx() as s:
            row = self._account(s, name)
            row.password_hash, row.disabled = None, True
            s.execute(delete(LoginSessionRow).where(LoginSessionRow.coder_id == row.id))
            self._audit(s, actor, "remove_user", "account", name, {"role": row.role}, {"disabled": True})

    def set_password(self, name: str, password: str, actor: str) -> None:
        digest = _hasher().hash(_check_password(password))
        with self._tx() as s:
            row = self._account(s, name)
            row.password_hash = digest
            s.execute(delete(LoginSessionRow).where(LoginSessionRow.coder_id == row.id))
            self._audit(s, actor, "set_password", "account", name, None, None)

    def set_role(self, name: str, role: str, actor: str) -> None:
        """Give a person a role (with or without an account); audited."""
        role = _check_role(role)
        with self._tx() as s:
            row = s.scalar(select(CoderRow).where(CoderRow.name == check_person_name(name)))
            if row is None:
                row = CoderRow(name=name, role=role)
                s.add(row)
                s.flush()
                self._audit(s, actor, "set_role", "account", name, None, {"role": role})
            elif row.role != role:
                self._audit(s, actor, "set_role", "account", name, {"role": row.role}, {"role": role})
                row.role = role

    def users(self) -> list[Account]:
        with self._read() as s:
            return [Account(r.name, r.role, r.password_hash is not None, bool(r.disabled))
                    for r in s.scalars(select(CoderRow).where(CoderRow.role != "system").order_by(CoderRow.name))]

    def has_accounts(self) -> bool:
        with self._read() as s:
            return s.scalar(select(CoderRow.id).where(CoderRow.password_hash.is_not(None),
                                                      CoderRow.disabled.is_(False)).limit(1)) is not None

    def role_of(self, name: str) -> str:
        """The stored role of a person; ``coder`` for a name the study does not know yet."""
        with self._read() as s:
            row = s.scalar(select(CoderRow).where(CoderRow.name == (name or "").strip()))
            return "coder" if row is None else row.role

    def login_delay(self, name: str, now: datetime | None = None) -> float:
        """Seconds ``name`` must still wait before the next log-in attempt (0: may try now)."""
        with self._read() as s:
            return self._login_delay(s, name, now or utcnow())

    def _login_delay(self, s: Session, name: str, now: datetime) -> float:
        rows = s.execute(select(AuditRow.action, AuditRow.at).where(
            AuditRow.entity == "account", AuditRow.entity_id == name,
            AuditRow.action.in_(("login", "login_failed", "set_password")))
            .order_by(AuditRow.id.desc()).limit(64)).all()
        failures = 0
        for action, _at in rows:
            if action != "login_failed":
                break
            failures += 1
        if failures < FREE_FAILURES:
            return 0.0
        wait = min(2.0 ** (failures - FREE_FAILURES + 1), MAX_DELAY)
        return max(0.0, wait - (now - rows[0][1]).total_seconds())

    def check_login(self, name: str, password: str) -> tuple[str, str]:
        """(name, role) for the right password; otherwise AccessDenied, audited and slowed."""
        from argon2.exceptions import InvalidHashError, VerificationError

        name = (name or "").strip()[:100]
        hasher = _hasher()
        with self._tx() as s:
            wait = self._login_delay(s, name, utcnow())
            if wait > 0:
                self._audit(s, name or "?", "login_refused", "account", name, None,
                            {"wait_seconds": round(wait, 1)})
                refused = (f"log-in: too many wrong passwords for {name!r}; "
                           f"try again in {wait:.0f} s")
            else:
                row = s.scalar(select(CoderRow).where(CoderRow.name == name))
                digest = row.password_hash if row is not None and not row.disabled else None
                if not _DUMMY:
                    _DUMMY.append(hasher.hash(secrets.token_hex(8)))
                try:
                    ok = hasher.verify(digest or _DUMMY[0], password or "") and digest is not None
                except (VerificationError, InvalidHashError):
                    ok = False
                if ok:
                    if hasher.check_needs_rehash(digest):
                        row.password_hash = hasher.hash(password)
                    self._audit(s, name, "login", "account", name, None, {"role": row.role})
                    return name, row.role
                self._audit(s, name or "?", "login_failed", "account", name, None, None)
                refused = "log-in: expected a known name and its password, got a wrong name or password"
        raise AccessDenied(refused)

    # ------------------------------------------------------------------ sessions
    def start_session(self, name: str, hours: float = SESSION_HOURS) -> str:
        """A random token for a logged-in person (only its SHA-256 is stored)."""
        token = secrets.token_urlsafe(32)
        with self._tx() as s:
            row = self._account(s, name)
            now = utcnow()
            s.execute(delete(LoginSessionRow).where(LoginSessionRow.expires_at < now))
            s.add(LoginSessionRow(token_hash=_token_hash(token), coder_id=row.id, created_at=now,
                                  expires_at=now + timedelta(hours=hours)))
        return token

    def session_user(self, token: str | None) -> tuple[str, str] | None:
        """(name, role) of a live session's token, or None (unknown, expired, account removed)."""
        if not token or len(token) > 200:
            return None
        with self._read() as s:
            found = s.execute(select(LoginSessionRow, CoderRow).join(CoderRow).where(
                LoginSessionRow.token_hash == _token_hash(token))).first()
            if found is None:
                return None
            session, coder = found
            if session.expires_at < utcnow() or coder.disabled or coder.password_hash is None:
                return None
            return coder.name, coder.role

    def end_session(self, token: str) -> None:
        with self._tx() as s:
            found = s.get(LoginSessionRow, _token_hash(token or ""))
            if found is not None:
                name = s.get(CoderRow, found.coder_id).name
                s.delete(found)
                self._audit(s, name, "logout", "account", name, None, None)
