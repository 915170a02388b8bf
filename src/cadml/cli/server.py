"""``cadml serve`` (API + embedded workers) and ``cadml worker`` (a Celery worker)."""

from __future__ import annotations

import click

from cadml.observability import configure_logging
from cadml.settings import get_settings

__all__ = ["serve", "worker"]


@click.command()
@click.option("--host", default=None, help="Bind address [default: CADML_HOST or 127.0.0.1]")
@click.option("--port", type=int, default=None, help="Port [default: CADML_PORT or 8000]")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Geometry worker processes [default: CADML_WORKERS or CPU count]",
)
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Run the API server with embedded geometry workers.

    Open http://HOST:PORT/docs for the interactive API reference.
    """
    import uvicorn

    from cadml.api.app import create_app

    settings = get_settings()
    updates = {k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v}
    settings = settings.model_copy(update=updates)
    configure_logging(settings.log_level, settings.log_json)
    click.echo(
        f"cadml: serving on http://{settings.host}:{settings.port}  (docs: /docs, "
        f"data: {settings.data_dir.resolve()}, jobs: {settings.job_backend})",
        err=True,
    )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )


@click.command()
@click.option(
    "--concurrency",
    "-c",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes [default: CADML_WORKERS]",
)
@click.option("--queue", "-Q", default=None, help="Queue to consume [default: CADML_CELERY_QUEUE]")
def worker(concurrency: int | None, queue: str | None) -> None:
    """Run a scale-out geometry worker (Celery) for CADML_JOB_BACKEND=celery.

    It consumes jobs from CADML_CELERY_BROKER_URL (RabbitMQ or Redis), writes artefacts to the
    configured store and results to CADML_DATABASE_URL, and publishes progress to
    CADML_REDIS_URL. The embedded pool needs no separate worker: `cadml serve` runs it.
    """
    from cadml.jobs.celery_queue import create_worker_app
    from cadml.runtime import DESIGN_HANDLER_FACTORY, build_job_events, worker_config

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    if not settings.redis_url:
        click.echo(
            "cadml worker: CADML_REDIS_URL is not set, so live progress events from "
            "this worker reach no API process (job state is still written).",
            err=True,
        )
    events = build_job_events(settings)
    app = create_worker_app(
        settings.celery_broker_url,
        settings.celery_result_backend,
        queue or settings.celery_queue,
        handler_factory=DESIGN_HANDLER_FACTORY,
        handler_config=worker_config(settings),
        sink=events.on_progress,
        on_failure=events.on_failure,
    )
    app.worker_main(
        [
            "worker",
            "--loglevel=INFO",
            "--pool=prefork",
            f"--concurrency={concurrency or settings.workers}",
            f"--queues={queue or settings.celery_queue}",
            "--without-gossip",
            "--without-mingle",
        ]
    )
