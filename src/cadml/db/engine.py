"""Engines and session factories for the metadata database (SQLite or PostgreSQL).

:func:`make_engine` is the only place that builds a SQLAlchemy engine for the platform.

SQLite (the embedded default) is tuned so the API process and several worker processes
can write to one file at once:

* ``journal_mode=WAL``: readers never block the writer and vice versa;
* ``busy_timeout`` of 10 s: a writer waits for the lock instead of failing at once;
* ``synchronous=NORMAL``: durable across application crashes, fsync only at
  checkpoints (safe with WAL);
* ``foreign_keys=ON``: cascades and references are enforced, as on PostgreSQL;
* SQLAlchemy, not the ``sqlite3`` driver, emits ``BEGIN``. A session opened for writing
  (:data:`WRITE_TRANSACTION`, used by :func:`cadml.db.transaction.write_session`) begins
  with ``BEGIN IMMEDIATE``, taking the write lock before its first read. A deferred
  transaction that reads and then writes can otherwise fail at once with
  ``SQLITE_BUSY`` (the busy timeout does not apply when its snapshot is stale).

PostgreSQL URLs use psycopg 3; plain ``postgresql://`` and ``postgres://`` URLs are
rewritten to ``postgresql+psycopg://``.

Failures to reach the database, lost connections and an SQLite lock that outlasts the
busy timeout surface as :class:`~cadml.errors.ServiceUnavailableError` with code
``DB_UNAVAILABLE``, chained to the driver's error.

Engines must not cross ``fork()``: a pooled connection that a child process inherits is
discarded on checkout and replaced by a fresh one.

Examples:
    >>> normalize_url("postgresql://postgres@127.0.0.1/cadml").drivername
    'postgresql+psycopg'
    >>> normalize_url("sqlite:///var/cadml.db").drivername
    'sqlite'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, exc, make_url
from sqlalchemy.engine import Connection, ExceptionContext
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection, StaticPool

from cadml.errors import ConfigurationError, ServiceUnavailableError

__all__ = [
    "SQLITE_BUSY_TIMEOUT_S",
    "WRITE_TRANSACTION",
    "make_engine",
    "make_session_factory",
    "normalize_url",
]

SQLITE_BUSY_TIMEOUT_S = 10.0
"""How long an SQLite connection waits for a lock before giving up, in seconds."""

WRITE_TRANSACTION: dict[str, Any] = {"cadml_write_transaction": True}
"""Execution options marking a connection whose transactions will write.

On SQLite such transactions start with ``BEGIN IMMEDIATE``; other engines ignore it.
"""

_POSTGRES_ALIASES = frozenset({"postgresql", "postgres"})
_SQLITE_LOCK_MESSAGES = ("database is locked", "database table is locked")


def normalize_url(url: str | URL) -> URL:
    """Parse a database URL and pick the platform's driver for it.

    Args:
        url: an SQLAlchemy URL, e.g. ``sqlite:///var/cadml.db`` or
            ``postgresql://user@host/db``.

    Returns:
        The URL, with ``postgresql``/``postgres`` rewritten to ``postgresql+psycopg``.

    Raises:
        ConfigurationError: ``CONFIG_INVALID`` if the URL cannot be parsed.
    """
    try:
        parsed = make_url(url)
    except exc.ArgumentError as error:
        raise ConfigurationError(
            "CONFIG_INVALID", details={"reason": f"bad database URL: {error}"}
        ) from error
    if parsed.drivername in _POSTGRES_ALIASES:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, *, echo: bool = False) -> Engine:
    """Build the engine of the metadata database.

    Args:
        url: the database URL (see :func:`normalize_url`). For a file SQLite database
            the parent directory is created when missing.
        echo: log every SQL statement (debugging only).

    Returns:
        A pooled engine. Call ``dispose()`` when done with it.

    Raises:
        ConfigurationError: ``CONFIG_INVALID`` for an unsupported backend, a bad URL or
            a missing driver (PostgreSQL needs the ``cadml[postgres]`` extra).
    """
    parsed = normalize_url(url)
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            engine = _make_sqlite_engine(parsed, echo=echo)
        elif backend == "postgresql":
            engine = create_engine(parsed, echo=echo, pool_pre_ping=True)
        else:
            raise ConfigurationError(
                "CONFIG_INVALID",
                details={"reason": f"unsupported database backend '{backend}'"},
            )
    except ImportError as error:
        raise ConfigurationError(
            "CONFIG_INVALID",
            details={"reason": f"database driver missing ({error}); install cadml[postgres]"},
        ) from error
    _discard_connections_after_fork(engine)
    event.listen(engine, "handle_error", _translate_unavailable)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def _make_sqlite_engine(url: URL, *, echo: bool) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if in_memory:
        # One shared connection, or each checkout would see its own empty database.
        engine = create_engine(
            url,
            echo=echo,
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )
    else:
        if not database.startswith("file:"):
            _make_parent_directory(Path(database).expanduser())
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
        )
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _make_parent_directory(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ServiceUnavailableError(
            "DB_UNAVAILABLE", details={"reason": f"cannot create {path.parent}: {error}"}
        ) from error


def _configure_sqlite_connection(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Hand transaction control to SQLAlchemy (see _begin_sqlite_transaction); the
    # driver's legacy mode would not BEGIN before SELECTs or DDL.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    immediate = connection.get_execution_options().get("cadml_write_transaction", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _discard_connections_after_fork(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _remember_pid(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["pid"] = os.getpid()

    @event.listens_for(engine, "checkout")
    def _check_pid(
        _dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
    ) -> None:
        pid = os.getpid()
        if record.info.get("pid", pid) != pid:
            # Never close the parent's socket or file from the child: just forget it.
            record.dbapi_connection = proxy.dbapi_connection = None  # type: ignore[misc]
            raise exc.DisconnectionError(
                f"connection opened in process {record.info['pid']}, checked out in {pid}"
            )


def _translate_unavailable(context: ExceptionContext) -> None:
    if context.is_pre_ping:
        return  # the pool handles a failed ping by reconnecting
    error = context.sqlalchemy_exception
    if not isinstance(error, exc.OperationalError):
        return
    original = str(context.original_exception)
    is_sqlite_lock = context.dialect.name == "sqlite" and any(
        text in original for text in _SQLITE_LOCK_MESSAGES
    )
    if context.connection is None or context.is_disconnect or is_sqlite_lock:
        reason = original.strip().splitlines()[0] if original.strip() else type(error).__name__
        raise ServiceUnavailableError("DB_UNAVAILABLE", details={"reason": reason}) from error
