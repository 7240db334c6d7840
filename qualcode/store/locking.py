"""The isolation each database needs for a read-modify-write, in one place.

* SQLite: every transaction begins ``BEGIN IMMEDIATE`` (see :func:`engine.make_engine`),
  so it holds the database's write lock from its first read; the helpers below add
  nothing there.
* PostgreSQL (READ COMMITTED): two transactions can read the same "no row yet" and both
  write. A decision therefore locks its segment's row first (``SELECT … FOR UPDATE``),
  a codebook edit takes a transaction-scoped advisory lock, and rows that may be created
  by several processes at once (a coder, a "done" mark) go in with
  ``INSERT … ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

CODEBOOK_LOCK = 0x51C0DE  # advisory lock key of the codebook (PostgreSQL)


def dialect(s: Session) -> str:
    return s.get_bind().dialect.name


def insert_ignore(s: Session, model: type, index_elements: list[str], **values: object) -> bool:
    """``INSERT … ON CONFLICT DO NOTHING``; True when this call's row went in.

    (Told by ``RETURNING``: psycopg reports no rowcount for this statement.)"""
    if dialect(s) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = model.__table__
    statement = (insert(table).values(**values).on_conflict_do_nothing(index_elements=index_elements)
                 .returning(*table.primary_key.columns))
    return s.execute(statement).first() is not None


def lock_row(s: Session, model: type, key: int) -> object | None:
    """The row with primary key ``key``, locked for this transaction (PostgreSQL), or None."""
    pk = model.__mapper__.primary_key[0]
    query = select(model).where(pk == key)
    if dialect(s) == "postgresql":
        query = query.with_for_update()
    return s.scalar(query)


def lock_codebook(s: Session) -> None:
    """Serialise codebook edits (read the current version, check it, write the next)."""
    if dialect(s) == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CODEBOOK_LOCK})
