"""The embedded worker pool against handlers that crash, hang, spin and allocate."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from cadml.jobs.pool import WorkerPool
from cadml.jobs.port import JobLimits

SUPPORT = str(Path(__file__).resolve().parents[2] / "support")


class Recorder:
    """Collects what the pool reports, and lets a test wait for a job's end."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, float, str, str]] = []
        self.failures: dict[str, dict[str, Any]] = {}
        self.finished: dict[str, str] = {}
        self.cond = threading.Condition()

    def sink(self, job_id: str, status: str, pct: float, step: str, message: str) -> None:
        with self.cond:
            self.events.append((job_id, status, pct, step, message))
            if status in ("succeeded", "failed", "cancelled"):
                self.finished[job_id] = status
                self.cond.notify_all()

    def on_failure(self, job_id: str, error: dict[str, Any]) -> None:
        with self.cond:
            self.failures[job_id] = error
            self.finished[job_id] = "failed"
            self.cond.notify_all()

    def wait(self, job_id: str, timeout: float = 60.0) -> str:
        with self.cond:
            assert self.cond.wait_for(lambda: job_id in self.finished, timeout), job_id
            return self.finished[job_id]


@pytest.fixture
def pool_factory():
    if SUPPORT not in sys.path:
        sys.path.insert(0, SUPPORT)
    pools: list[WorkerPool] = []

    def make(workers: int = 1, limits: JobLimits | None = None, **config: Any):
        rec = Recorder()
        pool = WorkerPool(
            "fake_handlers:create",
            dict(config),
            sink=rec.sink,
            on_failure=rec.on_failure,
            workers=workers,
            limits=limits or JobLimits(wall_s=30, cpu_s=30, memory_mb=1024),
            start_timeout_s=30,
        )
        pools.append(pool)
        pool.start()
        assert pool.wait_ready(30), pool.status()
        return pool, rec

    yield make
    for pool in pools:
        pool.stop()


def test_jobs_run_on_warm_workers_and_progress_is_forwarded(pool_factory):
    pool, rec = pool_factory(workers=2)
    for i in range(6):
        pool.submit(f"j{i}", {"action": "ok"})
    assert [rec.wait(f"j{i}") for i in range(6)] == ["succeeded"] * 6
    steps = [(e[1], e[3]) for e in rec.events if e[0] == "j0"]
    assert steps == [("running", "start"), ("running", "work"), ("succeeded", "done")]
    # Workers are reused, not spawned per job.
    pids = {e[4] for e in rec.events if e[1] == "succeeded"}
    assert len(pids) <= 2
    assert pool.status()["restarts"] == 0


def test_handled_failure_is_announced_not_reported_as_crash(pool_factory):
    pool, rec = pool_factory()
    pool.submit("f", {"action": "handled_failure"})
    assert rec.wait("f") == "failed"
    assert "f" not in rec.failures


@pytest.mark.parametrize(
    ("action", "code"),
    [("segfault", "WORKER_CRASHED"), ("exit", "WORKER_CRASHED"), ("raise", "WORKER_CRASHED")],
)
def test_crashes_fail_the_job_and_the_worker_is_replaced(pool_factory, action, code):
    pool, rec = pool_factory()
    pool.submit("bad", {"action": action})
    assert rec.wait("bad") == "failed"
    assert rec.failures["bad"]["code"] == code
    pool.submit("after", {"action": "ok"})
    assert rec.wait("after") == "succeeded"


def test_segfault_reason_names_the_signal(pool_factory):
    pool, rec = pool_factory()
    pool.submit("seg", {"action": "segfault"})
    rec.wait("seg")
    assert "SIGSEGV" in rec.failures["seg"]["details"]["reason"]


def test_wall_clock_limit_kills_a_sleeping_job(pool_factory):
    pool, rec = pool_factory(limits=JobLimits(wall_s=0.5, cpu_s=30, memory_mb=1024))
    started = time.monotonic()
    pool.submit("slow", {"action": "sleep", "seconds": 30})
    assert rec.wait("slow") == "failed"
    assert time.monotonic() - started < 15
    assert rec.failures["slow"] == {"code": "TIMEOUT_WORKER", "details": {"limit_s": 0.5}}
    pool.submit("next", {"action": "ok"})
    assert rec.wait("next") == "succeeded"


def test_cpu_limit_kills_a_busy_loop(pool_factory):
    pool, rec = pool_factory(limits=JobLimits(wall_s=60, cpu_s=1, memory_mb=1024))
    pool.submit("spin", {"action": "busy", "seconds": 30})
    assert rec.wait("spin") == "failed"
    assert rec.failures["spin"]["code"] == "WORKER_CPU_LIMIT"


def test_memory_limit_stops_a_runaway_allocation(pool_factory):
    pool, rec = pool_factory(limits=JobLimits(wall_s=60, cpu_s=60, memory_mb=200))
    pool.submit("hog", {"action": "allocate", "mb": 4096})
    assert rec.wait("hog") == "failed"
    assert rec.failures["hog"]["code"] == "WORKER_MEMORY_LIMIT"
    pool.submit("fine", {"action": "allocate", "mb": 64})
    assert rec.wait("fine") == "succeeded"


def test_cancel_a_running_job_kills_its_worker(pool_factory):
    pool, rec = pool_factory()
    pool.submit("long", {"action": "sleep", "seconds": 30})
    deadline = time.monotonic() + 10
    while pool.status()["busy"] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert pool.cancel("long")
    pool.submit("later", {"action": "ok"})
    assert rec.wait("later") == "succeeded"
    assert "long" not in rec.failures and "long" not in rec.finished


def test_cancel_a_queued_job_skips_it(pool_factory):
    pool, rec = pool_factory()
    pool.submit("blocker", {"action": "sleep", "seconds": 1})
    pool.submit("skipped", {"action": "ok"})
    pool.cancel("skipped")
    pool.submit("last", {"action": "ok"})
    assert rec.wait("last") == "succeeded"
    assert "skipped" not in rec.finished


def test_a_worker_that_cannot_start_is_reported(pool_factory):
    if SUPPORT not in sys.path:
        sys.path.insert(0, SUPPORT)
    rec = Recorder()
    pool = WorkerPool(
        "fake_handlers:create",
        {"fail_warm_up": True},
        sink=rec.sink,
        on_failure=rec.on_failure,
        workers=1,
        start_timeout_s=10,
    )
    pool.start()
    try:
        assert not pool.wait_ready(3)
        assert "warm-up failed on purpose" in (pool.status()["last_start_error"] or "")
    finally:
        pool.stop()
