"""The real server on loopback for end-to-end tests: start, wait until ready, stop cleanly.

``cadml serve`` runs as a subprocess with the given environment (its own data directory
and port); readiness is ``GET /api/v1/health`` answering, optionally with ``ready(body)``
true (e.g. a warm geometry worker). On exit the server gets SIGINT and must exit 0 within
the stop timeout; its log is shown when it fails to start or to stop.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

__all__ = ["CADML", "api_key", "live_server"]

CADML = [sys.executable, "-m", "cadml"]
"""How tests run the CLI."""


def api_key(env: dict[str, str], scopes: str) -> str:
    """A new API key with ``scopes`` (comma-separated), made by ``cadml admin``."""
    key = subprocess.run(
        [*CADML, "admin", "create-api-key", "--name", "e2e", "--scopes", scopes],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.strip()
    assert key.startswith("cadml_") and "\n" not in key
    return key


@contextmanager
def live_server(
    env: dict[str, str],
    log_path: Path,
    port: int,
    key: str,
    ready: Callable[[Any], bool] = lambda body: True,
    stop_timeout: float = 60.0,
) -> Iterator[httpx.Client]:
    """Serve with ``env`` and yield a client authenticated with ``key``.

    Args:
        env: the server's environment (``CADML_DATA_DIR``, ``CADML_PORT``, ...).
        log_path: where the server's output goes.
        port: its port (the same as ``CADML_PORT``).
        key: the API key the client sends as a bearer token.
        ready: extra readiness test on the health body.
        stop_timeout: seconds the server may take to stop after SIGINT.
    """
    log = log_path.open("wb")
    proc = subprocess.Popen([*CADML, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                answer = client.get("/api/v1/health")
                if answer.status_code == 200 and ready(answer.json()):
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.2)
        yield client
    finally:
        client.close()
        proc.send_signal(signal.SIGINT)
        try:
            assert proc.wait(timeout=stop_timeout) == 0, log_path.read_text()[-3000:]
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()
