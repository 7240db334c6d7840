"""Engines and migrations.

SQLite (the default, a file in the study folder) gets foreign keys on, WAL journal
(two coders at once), a busy timeout and ``BEGIN IMMEDIATE`` transactions, except
read-only ones which begin deferred and take no lock (see :func:`make_engine` and
:func:`read_only`); PostgreSQL is used by URL. Alembic migrations
run at every open; before a migration changes an existing SQLite file, a backup copy
is written beside it (``study.sqlite.bak-<revision>``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError

from qualcode.errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT = 30  # seconds a SQLite transaction waits for another one's write lock, then StudyBusy
READ_ONLY = "qualcode_read_only"  # execution option of the engine read-only transactions use


def read_only(engine: Engine) -> Engine:
    """The same engine (and pool) for transactions that only read: on SQLite they begin
    ``DEFERRED`` instead of ``IMMEDIATE`` and refuse writes; on PostgreSQL they begin
    ``READ ONLY``."""
    return engine.execution_options(**{READ_ONLY: True})


def make_engine(url: str) -> Engine:
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT})

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
                # pysqlite's own transaction handling off: it begins late (at the first
                # write, so a read-modify-write can lose an update) and never IMMEDIATE.
                dbapi_conn.isolation_level = None
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.close()

            @event.listens_for(engine, "begin")
            def _begin(conn) -> None:  # noqa: ANN001
                # A transaction that may write takes the write lock at its start (waiting
                # up to the busy timeout), so two coders' read-modify-writes never
                # interleave. A read-only one (see read_only) takes no lock: under WAL it
                # reads a snapshot while a writer works, and the connection refuses any
                # write it tries (query_only), so a mislabelled writer fails loudly.
                if conn.get_execution_options().get(READ_ONLY):
                    conn.exec_driver_sql("BEGIN DEFERRED")
                    conn.exec_driver_sql("PRAGMA query_only=ON")
                else:
                    conn.exec_driver_sql("PRAGMA query_only=OFF")
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            engine = create_engine(url, pool_pre_ping=True)

            @event.listens_for(engine, "begin")
            def _begin_pg(conn) -> None:  # noqa: ANN001
                if conn.get_execution_options().get(READ_ONLY):
                    conn.exec_driver_sql("SET TRANSACTION READ ONLY")
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StoreError(f"database URL {url!r}: expected sqlite:///FILE or "
                         f"postgresql://USER@HOST/DB, got an error: {exc}") from None
    return engine


def _alembic_config(connection):  # noqa: ANN001, ANN202
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    cfg = _alembic_config(None)
    return ScriptDirectory.from_config(cfg).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with read_only(engine).connect() as conn:  # no write lock just to look
        return MigrationContext.configure(conn).get_current_revision()


def one_line(text: object, limit: int = 300) -> str:
    """A driver's message (psycopg's run over several lines) as one short line."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def _where(engine: Engine) -> str:
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        return str(engine.url.database)
    return engine.url.render_as_string(hide_password=True)


def busy_error(engine: Engine) -> StoreError:
    return StoreError(f"{_where(engine)} is busy: another qualcode process is writing it (waited "
                      f"{BUSY_TIMEOUT} s); try again")


def is_locked(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and "database is locked" in str(getattr(exc, "orig", exc))


def database_error(engine: Engine, exc: DatabaseError) -> StoreError:
    """One clear line for a database that cannot be used: busy, unreachable or damaged."""
    if is_locked(exc):
        return busy_error(engine)
    reason = one_line(getattr(exc, "orig", exc))
    if isinstance(exc, OperationalError) and engine.url.get_backend_name() != "sqlite":
        return StoreError(f"database {_where(engine)}: expected a reachable database, got {reason}")
    return StoreError(f"{_where(engine)}: expected a qualcode study database, got a damaged or "
                      f"non-SQLite file ({reason})")


def check_known_revision(engine: Engine, current: str | None) -> None:
    """A study made by a newer qualcode names a schema this one does not know: refuse it
    before anything (a backup copy included) is written."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    if current is None:
        return
    try:
        known = ScriptDirectory.from_config(_alembic_config(None)).get_revision(current) is not None
    except (CommandError, KeyError, ValueError):
        known = False
    if not known:
        raise StoreError(f"{_where(engine)}: expected a study of schema {head_revision()} or older, got one "
                         f"made by a newer qualcode (schema {one_line(current, 60)}); upgrade qualcode")


def check_schema(engine: Engine) -> None:
    """Every table and column the models use must be in the database: a study edited by hand
    or half-restored fails here with the missing column named, not later mid-command."""
    from qualcode.store.models import Base

    inspector = inspect(engine)
    tables = set(inspector.get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name not in tables:
            missing = table.name
        else:
            have = {c["name"] for c in inspector.get_columns(table.name)}
            absent = [c.name for c in table.columns if c.name not in have]
            if not absent:
                continue
            missing = f"{table.name}.{absent[0]}"
        raise StoreError(f"{_where(engine)}: the database does not match schema {head_revision()} "
                         f"({missing} missing)")


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema, backing up an existing SQLite file first,
    then check that its tables hold every column the models use."""
    try:
        _upgrade(engine)
        check_schema(engine)
    except DatabaseError as exc:
        raise database_error(engine, exc) from None


def _upgrade(engine: Engine) -> None:
    from alembic import command

    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    check_known_revision(engine, current)
    db_path = engine.url.database
    if engine.url.get_backend_name() == "sqlite" and current is not None and db_path:
        shutil.copy2(db_path, f"{db_path}.bak-{current}")
    if current is None and inspect(engine).get_table_names():
        tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
        if tables:
            raise StoreError(f"database {engine.url!r}: expected an empty database or a "
                             f"qualcode study, got other tables ({', '.join(tables[:5])})")
    sqlite = engine.url.get_backend_name() == "sqlite"
    with engine.connect() as conn:
        if sqlite:  # batch migrations re-create tables: foreign keys off meanwhile (outside a transaction)
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                command.upgrade(_alembic_config(conn), "head")
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise StoreError(f"database {db_path}: expected consistent references after the "
                                     "migration, got dangling ones (nothing was changed)")
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")
