"""A real app (SQLite or PostgreSQL, local artefacts, one warm geometry worker) per module."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cadml.api.app import create_app
from cadml.runtime import Runtime, build_runtime
from cadml.settings import Settings


@dataclass
class Platform:
    """A running app with a client and helpers to make users and wait for jobs."""

    client: TestClient
    runtime: Runtime
    data_dir: Path

    def user(self, name: str, scopes: list[str], password: str = "s3cret-pass") -> str:
        """Create a user and return an access token."""
        self.runtime.accounts.create_user(name, password, scopes, update=True)
        r = self.client.post("/api/v1/auth/token", json={"username": name, "password": password})
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    def key(self, scopes: list[str], user: str = "admin") -> str:
        """A fresh API key of ``user`` (the admin service user by default)."""
        owner = self.runtime.accounts.get_or_create_service_user(user, ["admin"])
        _, plain = self.runtime.accounts.create_api_key(owner.id, "test", scopes)
        return plain

    def wait(self, job_id: str, headers: dict[str, str], timeout: float = 60) -> dict[str, Any]:
        """Poll a job until it is terminal."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
            if body["status"] in ("succeeded", "failed", "cancelled"):
                return dict(body)
            time.sleep(0.02)
        raise AssertionError(f"job {job_id} did not finish: {body}")


def _platform(
    stack: ExitStack, data_dir: Path, database_url: str | None, **overrides: Any
) -> Platform:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "workers": 1,
        "env": "test",
        "secret_key": "x" * 40,
        "rate_limit_per_minute": 100000,
    }
    settings = Settings(**{**values, **overrides})
    runtime = build_runtime(settings)
    client = stack.enter_context(TestClient(create_app(settings, runtime)))
    stack.callback(runtime.stop)
    assert runtime.queue.wait_ready(180), runtime.queue.status()  # type: ignore[attr-defined]
    return Platform(client, runtime, data_dir)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def platform(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_database_factory: Callable[[], Any],
) -> Iterator[Platform]:
    """The app on each metadata database."""
    with ExitStack() as stack:
        url = None
        if request.param == "postgres":
            url = stack.enter_context(pg_database_factory())
        yield _platform(stack, tmp_path_factory.mktemp(request.param), url)


@pytest.fixture
def make_platform(tmp_path: Path) -> Iterator[Callable[..., Platform]]:
    """Build a dedicated app with setting overrides (e.g. a tiny rate limit)."""
    with ExitStack() as stack:
        count = iter(range(100))

        def make(**overrides: Any) -> Platform:
            return _platform(stack, tmp_path / f"p{next(count)}", None, **overrides)

        yield make
