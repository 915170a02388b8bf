"""Fixtures shared by every suite: real services on 127.0.0.1 and throw-away databases.

The real services (PostgreSQL, Redis, RabbitMQ) are started by ``make test``
(scripts/services.sh). When ``CADML_TEST_REQUIRE_SERVICES=1`` (set by ``make test`` and
CI) a missing service FAILS the tests that need it; otherwise they are skipped with the
reason, so a quick local ``pytest tests/unit`` needs no servers.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

PG_DSN = os.environ.get("CADML_TEST_PG_DSN", "postgresql://postgres:postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("CADML_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP_URL = os.environ.get("CADML_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
MQTT_URL = os.environ.get("CADML_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
REQUIRE_SERVICES = os.environ.get("CADML_TEST_REQUIRE_SERVICES") == "1"


def port_open(url: str, default_port: int) -> bool:
    """Whether something accepts TCP connections at the URL's host and port."""
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1
        ):
            return True
    except OSError:
        return False


def need_service(url: str, default_port: int, name: str) -> None:
    """Fail (under make test) or skip when the named service does not answer."""
    if port_open(url, default_port):
        return
    message = f"{name} is not running at {url}; `make services` starts it"
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def throwaway_pg_database() -> Iterator[str]:
    """An empty PostgreSQL database with a random name, dropped afterwards."""
    import psycopg

    need_service(PG_DSN, 5432, "PostgreSQL")
    name = f"cadml_test_{secrets.token_hex(6)}"
    with psycopg.connect(f"{PG_DSN}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_DSN}/{name}"
    finally:
        with psycopg.connect(f"{PG_DSN}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_database() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database for one test."""
    with throwaway_pg_database() as url:
        yield url


@pytest.fixture
def mosquitto_url() -> str:
    """The shared Mosquitto broker (fails or skips when it is down)."""
    need_service(MQTT_URL, 1883, "Mosquitto")
    return MQTT_URL


@pytest.fixture
def redis_url() -> str:
    """The real Redis (fails or skips when it is down)."""
    need_service(REDIS_URL, 6379, "Redis")
    return REDIS_URL


@pytest.fixture
def amqp_url() -> str:
    """The real RabbitMQ (fails or skips when it is down)."""
    need_service(AMQP_URL, 5672, "RabbitMQ")
    return AMQP_URL


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


FreePort = Callable[[], int]


@pytest.fixture
def free_tcp_port() -> FreePort:
    """A function returning a currently free TCP port on 127.0.0.1."""
    return free_port


@pytest.fixture(scope="session")
def pg_database_factory() -> Callable[[], object]:
    """``throwaway_pg_database`` itself, for fixtures of wider scope."""
    return throwaway_pg_database


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A Redis key prefix no other test uses; its keys are deleted afterwards."""
    import uuid

    import redis

    prefix = f"cadml-test:{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
