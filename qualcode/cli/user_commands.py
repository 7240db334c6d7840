"""Accounts from the command line: ``qualcode user add|list|remove|passwd|role``.

The CLI is the study owner's tool: whoever can open the study folder acts with full
rights, so these commands need no log-in. What they change is in the audit log, with
the operating-system user as the actor.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import unicodedata

from qualcode.errors import UsageError

ROLES = ("coder", "supervisor", "admin")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("user", help="accounts for the app: add, list, remove, passwd, role",
                       description="Accounts for people who log in to the app. Once a study has one "
                       "account, the app asks everyone to log in. Passwords are read without echo "
                       "(or from stdin with --password-stdin) and stored as Argon2id hashes.")
    users = p.add_subparsers(dest="user_command", metavar="ACTION", required=True,
                             parser_class=sub._parser_class)
    a = users.add_parser("add", help="add an account")
    a.add_argument("study", metavar="STUDY")
    a.add_argument("name", metavar="NAME")
    a.add_argument("--role", choices=ROLES, required=True)
    a.add_argument("--password-stdin", action="store_true", help="read the password from stdin (scripts)")
    a.set_defaults(handler=cmd_user_add)
    lst = users.add_parser("list", help="list the people, their roles and accounts")
    lst.add_argument("study", metavar="STUDY")
    lst.set_defaults(handler=cmd_user_list)
    r = users.add_parser("remove", help="disable an account (the person's codes stay theirs)")
    r.add_argument("study", metavar="STUDY")
    r.add_argument("name", metavar="NAME")
    r.set_defaults(handler=cmd_user_remove)
    pw = users.add_parser("passwd", help="set a new password (ends that person's log-ins)")
    pw.add_argument("study", metavar="STUDY")
    pw.add_argument("name", metavar="NAME")
    pw.add_argument("--password-stdin", action="store_true", help="read the password from stdin (scripts)")
    pw.set_defaults(handler=cmd_user_passwd)
    ro = users.add_parser("role", help="give a person a role (with or without an account)")
    ro.add_argument("study", metavar="STUDY")
    ro.add_argument("name", metavar="NAME")
    ro.add_argument("--role", choices=ROLES, required=True)
    ro.set_defaults(handler=cmd_user_role)


def is_loopback(host: str) -> bool:
    """Whether ``host`` serves this computer only (``qualcode app --host`` needs accounts otherwise)."""
    import ipaddress

    if host.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: may resolve to anything


def owner_name() -> str:
    try:
        return f"owner:{getpass.getuser()}"
    except (KeyError, OSError):
        return "owner"


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:  # bytes, decoded here: a clear line for input that is not UTF-8
        stream = getattr(sys.stdin, "buffer", None)  # None: a text stream (tests, an embedding program)
        line = stream.readline() if stream is not None else sys.stdin.readline().encode("utf-8", "surrogateescape")
        raw = line.rstrip(b"\r\n")
        try:
            password = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UsageError(f"--password-stdin: expected a UTF-8 password on the first line, got byte "
                             f"0x{raw[exc.start]:02x} at position {exc.start}") from None
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            raise UsageError("password: expected the same password twice, got two different ones")
    if not password:
        raise UsageError("password: expected a password, got an empty one")
    bad = next((ch for ch in password if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")), None)
    if bad is not None:
        raise UsageError(f"password: expected printable characters, got the control character U+{ord(bad):04X}")
    return password


def _open(path: str):
    from qualcode.store import Study

    return Study.open(path)


def cmd_user_add(args: argparse.Namespace) -> int:
    with _open(args.study) as study:
        from qualcode.store.accounts import check_person_name

        check_person_name(args.name)  # before asking for a password
        study.add_user(args.name, _password(args), args.role, actor=owner_name())
    print(f"added {args.name} ({args.role}); the app now asks everyone to log in")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    with _open(args.study) as study:
        people = study.users()
    if not people:
        print("nobody yet (no accounts: the app is single-user on this computer)")
    for u in people:
        state = "disabled" if u.disabled else ("account" if u.has_password else "no account")
        print(f"{u.name}\t{u.role}\t{state}")
    return 0


def cmd_user_remove(args: argparse.Namespace) -> int:
    with _open(args.study) as study:
        study.remove_user(args.name, actor=owner_name())
    print(f"removed the account of {args.name} (their codes and memos stay)")
    return 0


def cmd_user_passwd(args: argparse.Namespace) -> int:
    with _open(args.study) as study:
        study.users()  # a clear message for an unknown study before asking
        study.set_password(args.name, _password(args), actor=owner_name())
    print(f"new password set for {args.name}")
    return 0


def cmd_user_role(args: argparse.Namespace) -> int:
    with _open(args.study) as study:
        study.set_role(args.name, args.role, actor=owner_name())
    print(f"{args.name} is now {'an' if args.role[0] in 'aeiou' else 'a'} {args.role}")
    return 0
