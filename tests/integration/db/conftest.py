"""Fixtures of the metadata database tests: every test runs on SQLite and PostgreSQL.

SQLite uses a file in the test's ``tmp_path``. PostgreSQL uses the real server on
127.0.0.1:5432 (user ``postgres``, trust auth): one throw-away database with a random
name is created and migrated per test session and dropped at the end; tests that need
an empty database get a throw-away database of their own. Tests sharing the session
database isolate themselves with fresh users and random keys.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cadml.db import (
    ApiKeyRepository,
    ArtefactRepository,
    JobRepository,
    UserRecord,
    UserRepository,
    make_engine,
    make_session_factory,
    upgrade,
)

PROCESS_SCRIPT = Path(__file__).with_name("db_process.py")
PROCESS_TIMEOUT_S = 180.0

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session")
def pg_session_database(pg_database_factory: Callable[[], Any]) -> Iterator[str]:
    """The session's migrated PostgreSQL database (the server comes from tests/conftest.py)."""
    with pg_database_factory() as url:
        upgrade(url)
        yield url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` or ``"postgres"``."""
    return str(request.param)


@pytest.fixture
def empty_database_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """The URL of a database without any table."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty' / 'cadml.db'}"
        return
    with request.getfixturevalue("pg_database_factory")() as url:
        yield url


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The URL of a database migrated to head."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'cadml.db'}"
        upgrade(url)
        return url
    return str(request.getfixturevalue("pg_session_database"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the migrated database."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory on the migrated database."""
    return make_session_factory(engine)


@pytest.fixture
def jobs(session_factory: sessionmaker[Session]) -> JobRepository:
    """The job repository."""
    return JobRepository(session_factory)


@pytest.fixture
def users(session_factory: sessionmaker[Session]) -> UserRepository:
    """The user repository."""
    return UserRepository(session_factory)


@pytest.fixture
def api_keys(session_factory: sessionmaker[Session]) -> ApiKeyRepository:
    """The API key repository."""
    return ApiKeyRepository(session_factory)


@pytest.fixture
def artefacts(session_factory: sessionmaker[Session]) -> ArtefactRepository:
    """The artefact repository."""
    return ArtefactRepository(session_factory)


@pytest.fixture
def user(users: UserRepository) -> UserRecord:
    """A fresh user with a unique name."""
    return users.create_user(f"user-{secrets.token_hex(6)}", "hash", ["jobs:read"])


ArtefactSpec = Callable[..., dict[str, Any]]


@pytest.fixture
def artefact_spec() -> ArtefactSpec:
    """A factory of valid artefact mappings for :meth:`JobRepository.complete`."""
    return _artefact_spec


def _artefact_spec(kind: str, **overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "kind": kind,
        "filename": f"part.{kind}",
        "sha256": secrets.token_hex(32),
        "size": 1234,
        "content_type": "application/octet-stream",
        "storage_key": f"sha256/{secrets.token_hex(8)}",
        "engine_fingerprint": {"occt": "8.0.1", "build123d": "0.13.0"},
        "meta": {"tolerance_mm": 0.01},
    }
    spec.update(overrides)
    return spec


RunTogether = Callable[[list[list[str]]], list[dict[str, Any]]]


@pytest.fixture
def run_together() -> RunTogether:
    """Start ``db_process.py`` once per argv, release them at once, return their reports."""
    return _run_together


def _run_together(argvs: list[list[str]]) -> list[dict[str, Any]]:
    processes = [
        subprocess.Popen(
            [sys.executable, str(PROCESS_SCRIPT), *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv in argvs
    ]
    outputs: list[tuple[str, str]] = []
    try:
        for process in processes:
            assert process.stdout is not None
            ready = process.stdout.readline().strip()
            assert ready == "ready", process.stderr.read() if process.stderr else ready
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=PROCESS_TIMEOUT_S) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    reports = []
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports
