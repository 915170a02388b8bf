"""Running work on geometry workers, and announcing its progress.

- :mod:`cadml.jobs.port`: the :class:`~cadml.jobs.port.JobQueue` port and handler protocol.
- :mod:`cadml.jobs.pool`: the embedded pool of pre-warmed worker processes.
- :mod:`cadml.jobs.celery_queue`: the Celery adapter for scale-out.
- :mod:`cadml.jobs.progress` / :mod:`cadml.jobs.progress_redis`: the progress bus.

Submodules are imported explicitly; importing this package imports none of them.
"""

__all__: list[str] = []
