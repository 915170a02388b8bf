"""Answer a request that queued a short job: its result if it finishes in time, else 202.

Used by endpoints whose work is quick but needs a geometry worker (manufacturability
checks, physics): the client may wait up to ``wait`` seconds for a 200 carrying the
finished job (its result in ``metrics``, or its coded ``error``), and otherwise gets
202 with where to poll.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse

from cadml.api.schemas import JobAccepted, job_out

__all__ = ["TERMINAL", "accepted", "finish_or_accept"]

TERMINAL = ("succeeded", "failed", "cancelled")
_POLL_S = 0.02


def accepted(job: Any, created: bool | None, response: Response, metrics: Any) -> JobAccepted:
    """A 202 body for ``job``; ``created`` None means "already counted, not a replay"."""
    if created:
        metrics.jobs_submitted.labels(kind=job.kind).inc()
    elif created is not None:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return JobAccepted(
        job_id=job.id,
        request_id=job.request_id,
        status=str(job.status),
        links={
            "self": f"/api/v1/jobs/{job.id}",
            "artefacts": f"/api/v1/jobs/{job.id}/artefacts",
            "progress_stream": f"/api/v1/jobs/{job.id}/progress/stream",
            "progress_ws": f"/api/v1/ws/jobs/{job.id}/progress",
        },
    )


async def finish_or_accept(
    job: Any,
    created: bool,
    *,
    lookup: Any,
    wait_s: float,
    response: Response,
    metrics: Any,
) -> Any:
    """Wait up to ``wait_s`` for ``job``; 200 with the job when it ended, else 202.

    Args:
        job: the queued job.
        created: whether this request created it (counted in the metrics).
        lookup: ``job_id -> job`` (a fresh read).
        wait_s: seconds to wait at most.
        response: the route's response (headers).
        metrics: the API metrics.
    """
    if created:
        metrics.jobs_submitted.labels(kind=job.kind).inc()
    deadline = time.monotonic() + wait_s
    while str(job.status) not in TERMINAL and time.monotonic() < deadline:
        await asyncio.sleep(_POLL_S)
        job = await asyncio.to_thread(lookup, job.id)
    if str(job.status) in TERMINAL:
        return JSONResponse(
            job_out(job).model_dump(mode="json"),
            status_code=200,
            headers={"Location": f"/api/v1/jobs/{job.id}"},
        )
    return accepted(job, None, response, metrics)
