"""Scale-out job queue on Celery (RabbitMQ or Redis as the broker).

The API side uses :class:`CeleryJobQueue` to send ``cadml.run_job`` tasks; worker
machines run ``cadml worker``, which calls :func:`create_worker_app` and starts a Celery
worker whose prefork children each build and warm one handler (the kernel is
imported once per child, not per task). The Celery task id *is* the job id, so a
cancel is a ``revoke(terminate=True)``.

Failures outside the handler are caught in the worker's main process through the
``task_failure`` signal: a hard time limit gives ``TIMEOUT_WORKER``, a lost child
(``SIGKILL``, segfault, OOM killer) gives ``WORKER_CRASHED``. Tasks are acknowledged
late and not re-queued when their worker is lost, so a crash fails the job instead of
running it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from cadml.errors import ServiceUnavailableError
from cadml.jobs.port import (
    FailureCallback,
    JobHandler,
    JobLimits,
    ProgressSink,
    load_handler_factory,
)

__all__ = ["TASK_NAME", "CeleryJobQueue", "create_worker_app", "make_celery_app"]

log = logging.getLogger(__name__)

TASK_NAME = "cadml.run_job"


def make_celery_app(broker_url: str, result_backend: str | None, queue: str) -> Any:
    """A Celery app routed to ``queue``, with JSON payloads and late acknowledgement."""
    from celery import Celery

    app = Celery("cadml", broker=broker_url, backend=result_backend)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_default_queue=queue,
        task_routes={TASK_NAME: {"queue": queue}},
        task_acks_late=True,
        task_reject_on_worker_lost=False,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        task_ignore_result=result_backend is None,
        worker_hijack_root_logger=False,
    )
    return app


class CeleryJobQueue:
    """API-side :class:`~cadml.jobs.port.JobQueue` that sends jobs to Celery workers.

    Args:
        broker_url: ``amqp://...`` or ``redis://...``.
        result_backend: optional result backend URL.
        queue: the queue geometry workers consume.
        limits: per-job limits (sent with every task).
    """

    def __init__(
        self,
        broker_url: str,
        result_backend: str | None,
        queue: str,
        limits: JobLimits | None = None,
    ) -> None:
        self.broker_url = broker_url
        self.queue_name = queue
        self.limits = limits or JobLimits()
        self.app = make_celery_app(broker_url, result_backend, queue)
        self.submitted = 0

    def start(self) -> None:
        """Check that the broker answers.

        Raises:
            ServiceUnavailableError: ``BROKER_UNAVAILABLE``.
        """
        try:
            with self.app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=2, interval_start=0.2, interval_step=0.5)
        except Exception as exc:
            raise ServiceUnavailableError(
                "BROKER_UNAVAILABLE", details={"reason": str(exc)}
            ) from exc

    def stop(self) -> None:
        """Nothing to stop: tasks already sent belong to the broker.

        Celery keeps broker connections in kombu's process-wide pools, shared by every
        app with the same broker URL, so closing them here would break other queues.
        """

    def submit(self, job_id: str, payload: Mapping[str, Any]) -> None:
        """Send ``cadml.run_job(job_id, payload)`` with the job's time limits."""
        try:
            self.app.send_task(
                TASK_NAME,
                args=[job_id, dict(payload)],
                task_id=job_id,
                queue=self.queue_name,
                time_limit=self.limits.wall_s,
                soft_time_limit=max(1.0, self.limits.wall_s - 1.0),
            )
        except Exception as exc:
            raise ServiceUnavailableError(
                "BROKER_UNAVAILABLE", details={"reason": str(exc)}
            ) from exc
        self.submitted += 1

    def cancel(self, job_id: str) -> bool:
        """Revoke the task and terminate it if it already runs."""
        self.app.control.revoke(job_id, terminate=True, signal="SIGKILL")
        return True

    def status(self) -> dict[str, Any]:
        """Backend, queue name and how many jobs this process sent."""
        return {"backend": "celery", "queue": self.queue_name, "submitted": self.submitted}


def create_worker_app(
    broker_url: str,
    result_backend: str | None,
    queue: str,
    *,
    handler_factory: str,
    handler_config: dict[str, Any],
    sink: ProgressSink,
    on_failure: FailureCallback,
) -> Any:
    """A Celery app with the ``cadml.run_job`` task bound to a handler.

    Args:
        broker_url: broker URL.
        result_backend: optional result backend.
        queue: queue to consume.
        handler_factory: ``"module:function"`` building the handler (once per child).
        handler_config: plain config for the factory.
        sink: progress sink (e.g. a Redis progress bus), called in the child.
        on_failure: called in the main worker process for crashes and time limits.
    """
    from billiard.exceptions import WorkerLostError
    from celery import signals
    from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded

    app = make_celery_app(broker_url, result_backend, queue)
    state: dict[str, JobHandler] = {}

    def handler() -> JobHandler:
        if "handler" not in state:
            built = load_handler_factory(handler_factory)(handler_config)
            built.warm_up()
            state["handler"] = built
        return state["handler"]

    @signals.worker_process_init.connect(weak=False)
    def _warm(**_: Any) -> None:
        handler()

    @app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=False)
    def run_job(task: Any, job_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        def progress(pct: float, step: str, message: str) -> None:
            sink(job_id, "running", pct, step, message)

        try:
            outcome = handler().handle(job_id, payload, progress)
        except SoftTimeLimitExceeded:
            limit = (task.request.timelimit or (None,))[0] or "?"
            on_failure(job_id, {"code": "TIMEOUT_WORKER", "details": {"limit_s": limit}})
            return {"status": "failed"}
        status = str(outcome.get("status", "succeeded"))
        sink(
            job_id,
            status,
            100.0 if status == "succeeded" else 0.0,
            "done",
            str(outcome.get("message", "")),
        )
        return outcome

    @signals.task_failure.connect(sender=run_job, weak=False)
    def _failed(
        task_id: str | None = None,
        exception: BaseException | None = None,
        args: Any = None,
        **_: Any,
    ) -> None:
        job_id = str(args[0]) if args else str(task_id)
        if isinstance(exception, TimeLimitExceeded | SoftTimeLimitExceeded):
            limit = exception.args[0] if exception.args else "?"
            on_failure(job_id, {"code": "TIMEOUT_WORKER", "details": {"limit_s": limit}})
        elif isinstance(exception, WorkerLostError):
            on_failure(job_id, {"code": "WORKER_CRASHED", "details": {"reason": str(exception)}})
        else:
            reason = f"{type(exception).__name__}: {exception}"
            on_failure(job_id, {"code": "WORKER_CRASHED", "details": {"reason": reason}})

    return app
