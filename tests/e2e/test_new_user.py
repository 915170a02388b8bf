"""What a new user does, end to end: the real server and the CLI as subprocesses.

``cadml admin create-api-key`` → ``cadml serve`` → submit the params job over HTTP →
download all five artefacts → a second run gives identical sha256 values; a worker
killed mid-job leaves a failed job; the offline CLI writes the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from live_server import CADML, api_key, live_server

PRISM = {
    "family": "prism_with_hole",
    "params": {
        "length": 100,
        "width": 50,
        "height": 30,
        "hole_diameter": 10,
        "material": "aluminum_6061",
        "process": "cnc_milling",
    },
}

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path, free_tcp_port):
    port = free_tcp_port()
    env = {
        **os.environ,
        "CADML_DATA_DIR": str(tmp_path / "var"),
        "CADML_PORT": str(port),
        "CADML_WORKERS": "1",
        "CADML_LOG_JSON": "true",
    }
    key = api_key(env, "models:read,models:write")
    with live_server(
        env,
        tmp_path / "server.log",
        port,
        key,
        ready=lambda body: body["workers"]["ready"] == 1,
        stop_timeout=30,
    ) as client:
        yield client, env, tmp_path


def _wait(client: httpx.Client, job_id: str, timeout: float = 60) -> dict:
    """Poll a job like a well-behaved client: every 0.2 s, and after a 429 as told.

    The API limits each user to ``CADML_RATE_LIMIT_PER_MINUTE`` (120) requests; polling
    every 50 ms while a fresh worker imports the kernel (slow under load) ran into it.
    """
    deadline = time.monotonic() + timeout
    job: dict = {}
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/jobs/{job_id}")
        if response.status_code == 429:
            time.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        assert response.status_code == 200, response.text
        job = response.json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.2)
    raise AssertionError(job)


def _download_all(client: httpx.Client, job_id: str) -> dict[str, tuple[str, bytes]]:
    out = {}
    for art in client.get(f"/api/v1/jobs/{job_id}/artefacts").json():
        data = client.get(art["download_url"]).content
        assert hashlib.sha256(data).hexdigest() == art["sha256"]
        out[art["kind"]] = (art["filename"], data)
    return out


def test_new_user_flow(server):
    client, env, tmp_path = server
    runs = []
    for _ in range(2):
        r = client.post("/api/v1/designs/params", json=PRISM)
        assert r.status_code == 202, r.text
        job = _wait(client, r.json()["job_id"])
        assert job["status"] == "succeeded", job
        runs.append(_download_all(client, job["id"]))
    assert set(runs[0]) == {"step", "stl", "glb", "brep", "fcstd", "drawing_svg", "drawing_pdf"}
    assert {k: hashlib.sha256(v[1]).hexdigest() for k, v in runs[0].items()} == {
        k: hashlib.sha256(v[1]).hexdigest() for k, v in runs[1].items()
    }

    # The offline CLI, in another process, writes the very same bytes.
    out = tmp_path / "offline"
    sets = [a for k, v in PRISM["params"].items() for a in ("--set", f"{k}={v}")]
    subprocess.run(
        [*CADML, "design", "params", "--family", "prism_with_hole", *sets, "--out", str(out)],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    for _kind, (filename, data) in runs[0].items():
        assert (out / filename).read_bytes() == data, filename
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["metrics"]["faces"] == 7

    listed = subprocess.run(
        [*CADML, "jobs", "list", "--json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert [j["status"] for j in json.loads(listed)] == ["succeeded", "succeeded"]


def test_worker_killed_mid_job_fails_the_job_and_is_replaced(server):
    client, _, _ = server
    pid = client.get("/api/v1/health").json()["workers"]["pids"][0]
    os.kill(pid, signal.SIGSTOP)  # freeze it so the job is in its hands when it dies
    try:
        job_id = client.post("/api/v1/designs/params", json=PRISM).json()["job_id"]
        deadline = time.monotonic() + 10
        while client.get("/api/v1/health").json()["workers"]["busy"] != 1:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        os.kill(pid, signal.SIGKILL)
    job = _wait(client, job_id)
    assert job["status"] == "failed"
    assert job["error"]["code"] == "WORKER_CRASHED"
    assert "SIGKILL" in job["error"]["message_en"]
    assert client.get(f"/api/v1/jobs/{job_id}/artefacts").json() == []
    # A fresh worker replaced the dead one.
    r = client.post("/api/v1/designs/params", json=PRISM)
    assert _wait(client, r.json()["job_id"], timeout=180)["status"] == "succeeded"
    assert client.get("/api/v1/health").json()["workers"]["pids"][0] != pid
