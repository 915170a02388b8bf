"""The Celery job queue against the real RabbitMQ and Redis on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis

from cadml.jobs.celery_queue import CeleryJobQueue
from cadml.jobs.port import JobLimits

pytestmark = [pytest.mark.slow, pytest.mark.rabbitmq, pytest.mark.redis]

SUPPORT = Path(__file__).resolve().parents[1] / "support"
PRISM = {
    "family": "prism_with_hole",
    "params": {
        "length": 40,
        "width": 30,
        "height": 10,
        "hole_diameter": 8,
        "material": "abs",
        "process": "fdm_printing",
    },
}


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_list(store: redis.Redis, key: str, predicate, timeout: float = 90.0) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = [json.loads(x) for x in store.lrange(key, 0, -1)]
        if predicate(items):
            return items
        time.sleep(0.1)
    raise AssertionError(f"{key}: {items}")


@pytest.fixture
def fake_worker(amqp_url, redis_url, tmp_path):
    queue = f"cadml-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PYTHONPATH": str(SUPPORT)}
    proc = _start(
        [sys.executable, str(SUPPORT / "celery_fake_worker.py"), amqp_url, redis_url, queue],
        env,
        tmp_path / "worker.log",
    )
    store = redis.Redis.from_url(redis_url)
    yield queue, store
    _stop(proc)
    store.delete(f"{queue}:events", f"{queue}:failures")
    store.close()


def test_crash_and_time_limit_fail_jobs_through_task_failure(fake_worker, amqp_url):
    queue_name, store = fake_worker
    queue = CeleryJobQueue(amqp_url, None, queue_name, JobLimits(wall_s=3, cpu_s=30))
    patient = CeleryJobQueue(amqp_url, None, queue_name, JobLimits(wall_s=120, cpu_s=120))
    queue.start()
    try:
        # Crashes get a generous time limit: on a loaded machine noticing the lost
        # child can take seconds, and the hard limit must not win that race.
        patient.submit("ok-1", {"action": "ok"})
        patient.submit("crash-1", {"action": "segfault"})
        queue.submit("slow-1", {"action": "sleep", "seconds": 60})
        patient.submit("ok-2", {"action": "ok"})
        failures = _wait_list(
            store,
            f"{queue_name}:failures",
            lambda xs: {x[0] for x in xs} >= {"crash-1", "slow-1"},
            120,
        )
        events = _wait_list(
            store,
            f"{queue_name}:events",
            lambda xs: ["ok-2", "succeeded"] in [x[:2] for x in xs],
            120,
        )
    finally:
        queue.stop()
    by_job = {job: err for job, err in failures}
    assert by_job["crash-1"]["code"] == "WORKER_CRASHED"
    assert by_job["slow-1"]["code"] == "TIMEOUT_WORKER"
    assert [e[1] for e in events if e[0] == "ok-1"] == ["running", "running", "succeeded"]
    assert "ok-1" not in by_job and "ok-2" not in by_job


@pytest.mark.parametrize("broker", ["rabbitmq", "redis"])
def test_design_job_runs_on_a_cadml_worker(broker, amqp_url, redis_url, tmp_path):
    from fastapi.testclient import TestClient

    from cadml.api.app import create_app
    from cadml.runtime import build_runtime
    from cadml.settings import Settings

    broker_url = amqp_url if broker == "rabbitmq" else redis_url.rsplit("/", 1)[0] + "/3"
    queue = f"cadml-test-{uuid.uuid4().hex[:8]}"
    env_settings = {
        "CADML_DATA_DIR": str(tmp_path / "var"),
        "CADML_JOB_BACKEND": "celery",
        "CADML_CELERY_BROKER_URL": broker_url,
        "CADML_CELERY_QUEUE": queue,
        "CADML_REDIS_URL": redis_url,
        "CADML_WORKERS": "1",
        "CADML_ENV": "test",
        "CADML_SECRET_KEY": "y" * 40,
    }
    settings = Settings(**{k.removeprefix("CADML_").lower(): v for k, v in env_settings.items()})
    runtime = build_runtime(settings)
    worker = _start(
        [sys.executable, "-m", "cadml", "worker"],
        {**os.environ, **env_settings},
        tmp_path / "worker.log",
    )
    try:
        with TestClient(create_app(settings, runtime)) as client:
            owner = runtime.accounts.get_or_create_service_user("admin", ["admin"])
            _, key = runtime.accounts.create_api_key(owner.id, "t", ["models:read", "models:write"])
            headers = {"Authorization": f"Bearer {key}"}
            job_id = client.post("/api/v1/designs/params", json=PRISM, headers=headers).json()[
                "job_id"
            ]
            with client.stream(
                "GET", f"/api/v1/jobs/{job_id}/progress/stream", headers=headers
            ) as r:
                text = "".join(r.iter_text())
            events = [json.loads(x[5:]) for x in text.splitlines() if x.startswith("data:")]
            assert events[-1]["status"] == "succeeded", (tmp_path / "worker.log").read_text()
            assert any(e["status"] == "running" for e in events), "progress crossed Redis"
            job = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
            assert job["status"] == "succeeded"
            arts = client.get(f"/api/v1/jobs/{job_id}/artefacts", headers=headers).json()
            assert {a["kind"] for a in arts} == {
                "step",
                "stl",
                "glb",
                "brep",
                "fcstd",
                "drawing_svg",
                "drawing_pdf",
            }
    finally:
        _stop(worker)
        runtime.stop()
