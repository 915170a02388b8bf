"""A Celery worker running the fake handlers; it records what it reports in Redis.

Usage: python celery_fake_worker.py BROKER_URL REDIS_URL QUEUE
Progress goes to the Redis list ``<queue>:events`` and failures to ``<queue>:failures``,
as JSON, so the test process can read what the worker's callbacks received.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import redis

from cadml.jobs.celery_queue import create_worker_app


def main() -> None:
    broker, redis_url, queue = sys.argv[1:4]
    store = redis.Redis.from_url(redis_url)

    def sink(job_id: str, status: str, pct: float, step: str, message: str) -> None:
        store.rpush(f"{queue}:events", json.dumps([job_id, status, pct, step, message]))

    def on_failure(job_id: str, error: dict[str, Any]) -> None:
        store.rpush(f"{queue}:failures", json.dumps([job_id, error]))

    app = create_worker_app(
        broker,
        None,
        queue,
        handler_factory="fake_handlers:create",
        handler_config={},
        sink=sink,
        on_failure=on_failure,
    )
    app.worker_main(
        [
            "worker",
            "--loglevel=WARNING",
            "--pool=prefork",
            "--concurrency=1",
            f"--queues={queue}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )


if __name__ == "__main__":
    main()
