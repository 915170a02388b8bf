"""The job-queue port: how use cases hand work to geometry workers.

A *handler* is the code that runs inside a worker process. The queue knows nothing
about designs: it loads the handler from a dotted path (``"package.module:factory"``),
calls the factory once per worker process with a plain, picklable config dict, and
then calls ``handler.handle(job_id, payload, progress)`` for every job.
The queue forwards progress to a :data:`ProgressSink` and reports jobs that die
outside their handler (crash, time or memory limit) to a :data:`FailureCallback`.

Two implementations ship: :class:`cadml.jobs.pool.WorkerPool` (embedded, pre-warmed
worker processes) and :class:`cadml.jobs.celery_queue.CeleryJobQueue` (scale-out).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "FailureCallback",
    "JobHandler",
    "JobLimits",
    "JobQueue",
    "ProgressCallback",
    "ProgressSink",
    "load_handler_factory",
]

ProgressCallback = Callable[[float, str, str], None]
"""``progress(pct, step, message)`` called by a handler while it works."""

ProgressSink = Callable[[str, str, float, str, str], None]
"""``sink(job_id, status, pct, step, message)``: where a queue forwards progress."""

FailureCallback = Callable[[str, dict[str, Any]], None]
"""``on_failure(job_id, error_dict)``: a job died outside its handler (crash, limit)."""


class JobHandler(Protocol):
    """What runs inside a worker process."""

    def warm_up(self) -> None:
        """Import heavy libraries and run a tiny job so the first real one is fast."""

    def handle(
        self, job_id: str, payload: Mapping[str, Any], progress: ProgressCallback
    ) -> dict[str, Any]:
        """Run one job to a terminal state and say which.

        The handler records success or failure itself (database, artefacts) and returns
        ``{"status": "succeeded" | "failed" | "cancelled", "message": str}``; the queue
        then announces that terminal state. An exception escaping ``handle`` makes the
        queue fail the job through its ``on_failure`` callback.
        """


@dataclass(frozen=True)
class JobLimits:
    """Per-job resource limits enforced by the queue.

    Args:
        wall_s: wall-clock seconds before the worker is killed (``TIMEOUT_WORKER``).
        cpu_s: CPU seconds per job (``RLIMIT_CPU``; ``WORKER_CPU_LIMIT``).
        memory_mb: resident memory above the warmed-up baseline (``WORKER_MEMORY_LIMIT``).
    """

    wall_s: float = 120.0
    cpu_s: int = 120
    memory_mb: int = 2048


class JobQueue(Protocol):
    """Accepts jobs and runs them on workers."""

    def start(self) -> None:
        """Start workers or connect to the broker."""

    def stop(self) -> None:
        """Stop accepting jobs and release workers."""

    def submit(self, job_id: str, payload: Mapping[str, Any]) -> None:
        """Queue one job. The payload must be JSON-serialisable."""

    def cancel(self, job_id: str) -> bool:
        """Stop a running job if this queue runs it; True when something was stopped."""

    def status(self) -> dict[str, Any]:
        """Health information: backend name, workers alive, queue depth."""


def load_handler_factory(path: str) -> Callable[[dict[str, Any]], JobHandler]:
    """Import ``"package.module:attribute"`` and return the attribute.

    Raises:
        ValueError: when the path has no ``:`` separator.
    """
    module_name, sep, attr = path.partition(":")
    if not sep:
        raise ValueError(f"handler path must look like 'module:factory', got {path!r}")
    module = importlib.import_module(module_name)
    factory: Callable[[dict[str, Any]], JobHandler] = getattr(module, attr)
    return factory
