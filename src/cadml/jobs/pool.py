"""The embedded job queue: a pool of pre-warmed geometry worker **processes**.

OCCT holds the GIL and importing build123d costs seconds, so each worker is a
long-lived process that imports the kernel once and serves many jobs. One supervisor
thread per worker slot feeds it jobs from a shared queue and enforces the per-job
limits: wall clock (kill → ``TIMEOUT_WORKER``), CPU (``RLIMIT_CPU`` in the worker →
``WORKER_CPU_LIMIT``) and memory (``RLIMIT_AS`` in the worker plus an RSS watch here →
``WORKER_MEMORY_LIMIT``). A worker that crashes or breaks a limit is replaced, and its
job is reported to ``on_failure`` so it ends ``failed``, never ``succeeded``.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import queue
import signal
import threading
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from cadml.jobs.port import FailureCallback, JobLimits, ProgressSink
from cadml.jobs.worker_process import rss_mb, worker_main

__all__ = ["WorkerPool"]

log = logging.getLogger(__name__)

_POLL_S = 0.05
_RESPAWN_BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0)


class _Slot:
    """One worker process and the thread that supervises it."""

    def __init__(self, pool: WorkerPool, index: int) -> None:
        self.pool = pool
        self.index = index
        self.process: BaseProcess | None = None
        self.conn: Connection | None = None
        self.ready = False
        self.busy_job: str | None = None
        self.baseline_rss_mb = 0.0
        self.cancel_requested = threading.Event()
        self.thread = threading.Thread(
            target=self._run, name=f"cadml-worker-slot-{index}", daemon=True
        )

    # ----------------------------------------------------------- lifecycle
    def _spawn(self) -> bool:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe(duplex=True)
        limits = self.pool.limits
        process = ctx.Process(
            target=worker_main,
            args=(child, self.pool.factory, self.pool.config, limits.cpu_s, limits.memory_mb),
            name=f"cadml-worker-{self.index}",
            daemon=True,
        )
        process.start()
        child.close()
        self.process, self.conn = process, parent
        deadline = time.monotonic() + self.pool.start_timeout_s
        while time.monotonic() < deadline and not self.pool.stopping.is_set():
            if parent.poll(_POLL_S):
                try:
                    kind, info = parent.recv()
                except (EOFError, OSError):
                    break
                if kind == "ready":
                    self.baseline_rss_mb = float(info.get("rss_mb", 0.0))
                    self.ready = True
                    log.info("worker %d ready (pid %s)", self.index, process.pid)
                    return True
                log.error("worker %d failed to start: %s", self.index, info.get("traceback"))
                self.pool.last_start_error = str(info.get("error"))
                break
            if not process.is_alive():
                self.pool.last_start_error = f"worker exited with code {process.exitcode}"
                break
        self._kill()
        return False

    def _kill(self) -> None:
        self.ready = False
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        if self.conn is not None:
            self.conn.close()
        self.process, self.conn = None, None

    def stop(self) -> None:
        """Ask the worker to exit, then make sure it did."""
        if self.conn is not None and self.busy_job is None:
            with contextlib.suppress(OSError, ValueError):
                self.conn.send(("stop",))
        if self.process is not None:
            self.process.join(timeout=2)
        self._kill()

    # ---------------------------------------------------------------- loop
    def _run(self) -> None:
        failures = 0
        while not self.pool.stopping.is_set():
            if self.process is None:
                if not self._spawn():
                    self.pool.restarts += 1
                    backoff = _RESPAWN_BACKOFF_S[min(failures, len(_RESPAWN_BACKOFF_S) - 1)]
                    failures += 1
                    self.pool.stopping.wait(backoff)
                    continue
                failures = 0
            try:
                job_id, payload = self.pool.queue.get(timeout=0.25)
            except queue.Empty:
                continue
            if self.pool.take_cancelled(job_id):
                continue
            self._run_job(job_id, payload)

    def _run_job(self, job_id: str, payload: Mapping[str, Any]) -> None:
        assert self.conn is not None and self.process is not None
        pool, limits = self.pool, self.pool.limits
        self.busy_job = job_id
        self.cancel_requested.clear()
        try:
            try:
                self.conn.send(("run", job_id, dict(payload)))
            except (OSError, ValueError) as exc:
                self._die(job_id, "WORKER_CRASHED", {"reason": f"pipe closed: {exc}"})
                return
            deadline = time.monotonic() + limits.wall_s
            while True:
                if self.conn.poll(_POLL_S):
                    try:
                        message = self.conn.recv()
                    except (EOFError, OSError):
                        self._die(job_id, *self._death_reason())
                        return
                    kind = message[0]
                    if kind == "progress":
                        _, jid, pct, step, text = message
                        pool.sink(jid, "running", pct, step, text)
                    elif kind == "done":
                        outcome = message[2]
                        status = str(outcome.get("status", "succeeded"))
                        pool.sink(
                            job_id,
                            status,
                            100.0 if status == "succeeded" else 0.0,
                            "done",
                            str(outcome.get("message", "")),
                        )
                        pool.completed += 1
                        return
                    elif kind == "failed":
                        pool.failed += 1
                        pool.on_failure(job_id, message[2])
                        if message[2].get("code") == "WORKER_MEMORY_LIMIT":
                            self._kill()
                        return
                    continue
                if not self.process.is_alive():
                    self._die(job_id, *self._death_reason())
                    return
                if self.cancel_requested.is_set():
                    self._kill()
                    pool.restarts += 1
                    return
                if time.monotonic() > deadline:
                    self._die(job_id, "TIMEOUT_WORKER", {"limit_s": limits.wall_s})
                    return
                if rss_mb(self.process.pid or 0) - self.baseline_rss_mb > limits.memory_mb:
                    self._die(job_id, "WORKER_MEMORY_LIMIT", {"limit_mb": limits.memory_mb})
                    return
        finally:
            self.busy_job = None

    def _death_reason(self) -> tuple[str, dict[str, Any]]:
        assert self.process is not None
        self.process.join(timeout=1)
        code = self.process.exitcode
        if code == -signal.SIGXCPU:
            return "WORKER_CPU_LIMIT", {"limit_s": self.pool.limits.cpu_s}
        if code is not None and code < 0:
            return "WORKER_CRASHED", {"reason": f"killed by signal {signal.Signals(-code).name}"}
        return "WORKER_CRASHED", {"reason": f"exit code {code}"}

    def _die(self, job_id: str, code: str, details: dict[str, Any]) -> None:
        log.warning("job %s failed on worker %d: %s %s", job_id, self.index, code, details)
        self._kill()
        self.pool.restarts += 1
        self.pool.failed += 1
        self.pool.on_failure(job_id, {"code": code, "details": details})


class WorkerPool:
    """Embedded :class:`~cadml.jobs.port.JobQueue` of pre-warmed worker processes.

    Args:
        factory: ``"module:function"`` building the handler inside each worker.
        config: plain, picklable config passed to the factory.
        sink: receives progress and terminal states of every job.
        on_failure: called when a job dies outside its handler.
        workers: number of worker processes.
        limits: per-job resource limits.
        start_timeout_s: how long a worker may take to import and warm up.
    """

    def __init__(
        self,
        factory: str,
        config: dict[str, Any],
        *,
        sink: ProgressSink,
        on_failure: FailureCallback,
        workers: int = 2,
        limits: JobLimits | None = None,
        start_timeout_s: float = 120.0,
    ) -> None:
        self.factory = factory
        self.config = config
        self.sink = sink
        self.on_failure = on_failure
        self.limits = limits or JobLimits()
        self.start_timeout_s = start_timeout_s
        self.queue: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.stopping = threading.Event()
        self.slots = [_Slot(self, i) for i in range(workers)]
        self.restarts = 0
        self.completed = 0
        self.failed = 0
        self.last_start_error: str | None = None
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()
        self._started = False

    def start(self) -> None:
        """Spawn the workers (in the background; see :meth:`wait_ready`)."""
        if self._started:
            return
        self._started = True
        for slot in self.slots:
            slot.thread.start()

    def wait_ready(self, timeout_s: float = 120.0, count: int | None = None) -> bool:
        """Block until ``count`` (default: all) workers are warm; False on timeout."""
        want = len(self.slots) if count is None else count
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if sum(slot.ready for slot in self.slots) >= want:
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Stop all workers; queued jobs stay queued in the database."""
        self.stopping.set()
        for slot in self.slots:
            if slot.thread.is_alive():
                slot.thread.join(timeout=5)
            slot.stop()

    def submit(self, job_id: str, payload: Mapping[str, Any]) -> None:
        """Queue a job for the next free worker."""
        self.queue.put((job_id, dict(payload)))

    def cancel(self, job_id: str) -> bool:
        """Kill the worker running ``job_id``, or drop it from the queue."""
        for slot in self.slots:
            if slot.busy_job == job_id:
                slot.cancel_requested.set()
                return True
        with self._lock:
            self._cancelled.add(job_id)
        return True

    def take_cancelled(self, job_id: str) -> bool:
        """True (once) if ``job_id`` was cancelled while it waited in the queue."""
        with self._lock:
            if job_id in self._cancelled:
                self._cancelled.discard(job_id)
                return True
        return False

    def status(self) -> dict[str, Any]:
        """Workers alive, ready and busy, queue depth and counters."""
        return {
            "backend": "pool",
            "workers": len(self.slots),
            "ready": sum(slot.ready for slot in self.slots),
            "busy": sum(slot.busy_job is not None for slot in self.slots),
            "queued": self.queue.qsize(),
            "completed": self.completed,
            "failed": self.failed,
            "restarts": self.restarts,
            "pids": [slot.process.pid if slot.process else None for slot in self.slots],
            "last_start_error": self.last_start_error,
        }
