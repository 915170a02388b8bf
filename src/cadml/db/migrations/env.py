"""Alembic environment of the metadata database.

Alembic executes this file; it does nothing when merely imported (for example by
``pytest --doctest-modules``). Online migrations run in one transaction that holds an
exclusive lock, so two processes upgrading at once cannot interleave:

* PostgreSQL: ``pg_advisory_xact_lock`` at the start of the transaction; the second
  process then sees the first one's ``alembic_version`` and has nothing left to do.
* SQLite: ``BEGIN IMMEDIATE`` (the write lock), DDL included, since SQLAlchemy rather
  than the driver controls transactions (see :mod:`cadml.db.engine`). Foreign keys are
  switched off while migrating, because batch migrations recreate tables and a
  ``DROP TABLE`` would otherwise cascade deletes; ``PRAGMA foreign_key_check`` runs
  before commit instead.

A caller may pass an open connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, text

from cadml.db import models as _models  # noqa: F401 - registers the tables on Base
from cadml.db.base import Base
from cadml.db.engine import WRITE_TRANSACTION, make_engine

# An arbitrary constant identifying "cadml schema migration" among advisory locks.
_ADVISORY_LOCK_ID = 0x6361646D6C


def _configure(**kwargs: Any) -> None:
    context.configure(target_metadata=Base.metadata, compare_type=True, **kwargs)


def _run_offline(url: str) -> None:
    _configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def _migrate(connection: Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    with connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
        _configure(connection=connection, render_as_batch=is_sqlite, transactional_ddl=True)
        with context.begin_transaction():
            context.run_migrations()
        if is_sqlite:
            violations = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if violations:
                raise RuntimeError(f"migration left foreign key violations: {violations[:5]}")


def _run_online_on(connection: Connection) -> None:
    connection.execution_options(**WRITE_TRANSACTION)
    if connection.dialect.name != "sqlite":
        _migrate(connection)
        return
    # PRAGMA foreign_keys is ignored inside a transaction: set it on the raw connection,
    # which runs in autocommit mode (see cadml.db.engine).
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        _migrate(connection)
    finally:
        raw.execute("PRAGMA foreign_keys = ON")


def _run_online(url: str) -> None:
    given = context.config.attributes.get("connection")
    if given is not None:
        _run_online_on(given)
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _run_online_on(connection)
    finally:
        engine.dispose()


def _main() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or ""
    if context.is_offline_mode():
        _run_offline(url)
    else:
        _run_online(url)


if hasattr(context, "config"):
    _main()
