"""``/designs``: submit design jobs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response, status

from cadml.api.deps import MetricsDep, RuntimeDep, WriterDep
from cadml.api.schemas import ErrorOut, JobAccepted, ParamsDesignIn
from cadml.designs.catalog import describe_families
from cadml.errors import ValidationError

__all__ = ["router"]

router = APIRouter(prefix="/designs", tags=["designs"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 409, 422, 429)
}


def _check_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": "Idempotency-Key", "reason": "1 to 255 printable characters"},
        )
    return key


@router.get("/families", summary="Part families and their parameters")
def list_families() -> dict[str, Any]:
    """Every parametric family with its parameters, units, ranges and defaults."""
    return {"families": describe_families()}


@router.post(
    "/params",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    responses=_ERRORS,
    summary="Generate a parametric part (returns a job)",
)
def submit_params(
    body: ParamsDesignIn,
    request: Request,
    response: Response,
    principal: WriterDep,
    runtime: RuntimeDep,
    metrics: MetricsDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JobAccepted:
    """Validate the parameters, create a job and queue it.

    The same ``Idempotency-Key`` with the same body returns the same job
    (``Idempotent-Replayed: true``); with another body, 409 ``IDEMPOTENCY_CONFLICT``.
    """
    job, created = runtime.designs.submit_params(
        body.model_dump(),
        principal,
        idempotency_key=_check_key(idempotency_key),
        request_id=request.state.request_id,
    )
    if created:
        metrics.jobs_submitted.labels(kind=job.kind).inc()
    else:
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
