"""Engine set-up: SQLite pragmas, PostgreSQL driver, unavailability, UTC timestamps."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.exc import StatementError

from cadml.db import JobRepository, UserRecord, make_engine, make_session_factory
from cadml.db.models import Job
from cadml.errors import ServiceUnavailableError


def test_engine_configuration(backend: str, engine: Engine, database_url: str) -> None:
    with engine.connect() as connection:
        if backend == "sqlite":
            pragmas = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            }
            # synchronous: 1 is NORMAL
            assert pragmas == {
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": 10000,
                "synchronous": 1,
            }
        else:
            assert database_url.startswith("postgresql://")
            assert engine.url.drivername == "postgresql+psycopg"
            assert connection.scalar(text("SELECT current_setting('server_version_num')::int")) > 0


def test_writes_take_the_lock_first_on_sqlite(
    backend: str, engine: Engine, jobs: JobRepository, user: UserRecord
) -> None:
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    job, _ = jobs.create("k", {}, "h", user.id)
    jobs.get(job.id)
    event.remove(engine, "before_cursor_execute", record)

    begins = [s for s in statements if s.startswith("BEGIN")]
    if backend == "sqlite":
        assert begins == ["BEGIN IMMEDIATE", "BEGIN"]  # the write, then the read
    else:
        assert begins == []  # psycopg begins implicitly


def test_unreachable_database_is_db_unavailable(backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        (tmp_path / "a-file").write_text("not a directory")
        url = f"sqlite:///{tmp_path / 'a-file' / 'cadml.db'}"
    else:
        url = "postgresql://postgres@127.0.0.1:9/cadml"  # discard port: nothing listens
    with pytest.raises(ServiceUnavailableError) as caught:
        engine = make_engine(url)
        try:
            JobRepository(make_session_factory(engine)).get("x")
        finally:
            engine.dispose()
    assert caught.value.code == "DB_UNAVAILABLE"
    assert caught.value.details["reason"]
    assert caught.value.__cause__ is not None


def test_sqlite_directory_is_created(backend: str, tmp_path: Path) -> None:
    url = (
        f"sqlite:///{tmp_path / 'deep' / 'er' / 'cadml.db'}"
        if backend == "sqlite"
        else "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT 1")) == 1
    finally:
        engine.dispose()
    if backend == "sqlite":
        assert (tmp_path / "deep" / "er" / "cadml.db").is_file()


def test_timestamps_are_utc_instants(engine: Engine, jobs: JobRepository, user: UserRecord) -> None:
    job, _ = jobs.create("k", {}, "h", user.id)
    istanbul = timezone(timedelta(hours=3))
    local = datetime(2031, 5, 6, 10, 30, 15, 123456, tzinfo=istanbul)
    with engine.begin() as connection:
        connection.execute(Job.__table__.update().where(Job.id == job.id).values(started_at=local))
    with engine.connect() as connection:
        stored = connection.scalar(select(Job.started_at).where(Job.id == job.id))

    assert stored == local
    assert stored.tzinfo is UTC and stored.hour == 7 and stored.microsecond == 123456
    naive = datetime(2031, 5, 6, 10, 30)
    with pytest.raises(StatementError, match="naive datetime"), engine.begin() as connection:
        connection.execute(Job.__table__.update().where(Job.id == job.id).values(started_at=naive))


def _use_engine_in_child(engine: Engine, inherited: Any, queue: multiprocessing.Queue) -> None:
    try:
        with engine.connect() as connection:
            fresh = connection.connection.dbapi_connection is not inherited
            queue.put((fresh, connection.scalar(text("SELECT 41 + 1"))))
    except Exception as error:  # reported to the parent
        queue.put(repr(error))


def test_a_forked_child_never_reuses_the_parents_connection(engine: Engine) -> None:
    with engine.connect() as connection:
        parent_connection = connection.connection.dbapi_connection
        assert connection.scalar(text("SELECT 1")) == 1
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_use_engine_in_child, args=(engine, parent_connection, queue))
    child.start()
    child.join(timeout=60)

    assert child.exitcode == 0
    assert queue.get(timeout=5) == (True, 42)
    with engine.connect() as connection:  # the parent's pooled connection still works
        assert connection.connection.dbapi_connection is parent_connection
        assert connection.scalar(text("SELECT 2")) == 2
