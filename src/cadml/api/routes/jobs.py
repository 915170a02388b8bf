"""``/jobs``: job state, artefact lists and cancellation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from cadml.api.deps import ReaderDep, RuntimeDep, WriterDep
from cadml.api.schemas import ArtefactOut, ErrorOut, JobOut, artefact_out, job_out
from cadml.errors import ValidationError

__all__ = ["router"]

router = APIRouter(prefix="/jobs", tags=["jobs"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 404, 429)
}
_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")


@router.get("", response_model=list[JobOut], responses=_ERRORS, summary="List your jobs")
def list_jobs(
    principal: ReaderDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    status: str | None = None,
) -> list[JobOut]:
    """The caller's jobs, newest first, optionally filtered by status."""
    if status is not None and status not in _STATUSES:
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": "status", "reason": f"one of {', '.join(_STATUSES)}"},
        )
    jobs = runtime.designs.list_jobs(principal, limit=limit, offset=offset, status=status)
    return [job_out(job) for job in jobs]


@router.get("/{job_id}", response_model=JobOut, responses=_ERRORS, summary="A job's state")
def get_job(job_id: str, principal: ReaderDep, runtime: RuntimeDep) -> JobOut:
    """Status, progress, metrics (when succeeded) or a coded error (when failed)."""
    return job_out(runtime.designs.get_job(job_id, principal))


@router.get(
    "/{job_id}/artefacts",
    response_model=list[ArtefactOut],
    responses=_ERRORS,
    summary="A job's artefacts",
)
def list_artefacts(job_id: str, principal: ReaderDep, runtime: RuntimeDep) -> list[ArtefactOut]:
    """STEP, STL, GLB, BREP and FCStd of a succeeded job, each with sha256 and size."""
    return [artefact_out(r) for r in runtime.designs.list_artefacts(job_id, principal)]


@router.post(
    "/{job_id}/cancel",
    response_model=JobOut,
    responses={**_ERRORS, 409: {"model": ErrorOut}},
    summary="Cancel a queued or running job",
)
def cancel_job(job_id: str, principal: WriterDep, runtime: RuntimeDep) -> JobOut:
    """Cancel; a finished job answers 409 ``JOB_INVALID_TRANSITION``."""
    runtime.designs.cancel(job_id, principal)
    return job_out(runtime.designs.get_job(job_id, principal))
