"""``/designs``: submit design jobs."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Query, Request, Response, UploadFile, status

from cadml.api.deps import MetricsDep, RuntimeDep, WriterDep
from cadml.api.job_wait import accepted, finish_or_accept
from cadml.api.schemas import CheckIn, ErrorOut, JobAccepted, ParamsDesignIn
from cadml.designs.catalog import describe_families
from cadml.designs.upload import MAX_UPLOAD_BYTES, UNITS
from cadml.errors import ValidationError

__all__ = ["router"]

router = APIRouter(prefix="/designs", tags=["designs"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 409, 422, 429)
}
_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 409, 413, 415, 422, 429)
}
_CHUNK = 1024 * 1024


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
    return accepted(job, created, response, metrics)


async def _read_capped(file: UploadFile) -> bytes:
    """The upload's bytes, refusing more than :data:`MAX_UPLOAD_BYTES` as they arrive."""
    chunks: list[bytes] = []
    total = 0
    while chunk := await file.read(_CHUNK):
        total += len(chunk)
        if total > MAX_UPLOAD_BYTES:
            raise ValidationError(
                "UPLOAD_TOO_LARGE",
                details={"field": "file", "size": total, "max_bytes": MAX_UPLOAD_BYTES},
            )
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/upload",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    responses=_UPLOAD_ERRORS,
    summary="Upload a CAD file to normalise, export and check (returns a job)",
)
async def submit_upload(
    request: Request,
    response: Response,
    principal: WriterDep,
    runtime: RuntimeDep,
    metrics: MetricsDep,
    file: Annotated[
        UploadFile,
        File(description="STEP, IGES, BREP, STL (ASCII/binary), OBJ, 3MF, DXF or FCStd"),
    ],
    units: Annotated[
        str | None,
        Form(description=f"Length unit of a unitless file: {', '.join(UNITS)}; else inferred"),
    ] = None,
    dxf_thickness_mm: Annotated[
        float | None, Form(description="DXF only (required): extrusion thickness in mm")
    ] = None,
    z_up: Annotated[bool, Form(description="Turn the part so its up axis is +Z")] = False,
    center: Annotated[bool, Form(description="Centre the part on the origin")] = False,
    heal: Annotated[bool, Form(description="Sew and heal faces, clean meshes")] = True,
    material: Annotated[str | None, Form(description="Material id")] = None,
    process: Annotated[str | None, Form(description="Process id for the report")] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JobAccepted:
    """Store the file and queue its import.

    The job reads the file (format confirmed from its content), takes the units from
    the file or from ``units`` (or infers them and says so in a warning), normalises
    it on request and then makes the same artefacts, metrics and manufacturability
    report as a generated part. A file that cannot be used fails its job with a
    specific ``UPLOAD_*`` code; a request that is wrong on its face (no file, unknown
    extension, missing DXF thickness, bad option) is refused here with a 4xx.
    """
    data = await _read_capped(file)
    fields: dict[str, Any] = {
        "units": units,
        "dxf_thickness_mm": dxf_thickness_mm,
        "z_up": z_up,
        "center": center,
        "heal": heal,
        "material": material,
        "process": process,
    }
    job, created = await asyncio.to_thread(
        runtime.designs.submit_upload,
        data,
        file.filename or "upload",
        fields,
        principal,
        idempotency_key=_check_key(idempotency_key),
        request_id=request.state.request_id,
    )
    return accepted(job, created, response, metrics)


@router.post(
    "/{design_id}/check",
    responses={**_ERRORS, 200: {"description": "The check finished within `wait` seconds"}},
    status_code=status.HTTP_202_ACCEPTED,
    summary="Check a finished design for manufacturability",
)
async def check_design(
    design_id: str,
    body: CheckIn,
    request: Request,
    response: Response,
    principal: WriterDep,
    runtime: RuntimeDep,
    metrics: MetricsDep,
    wait: Annotated[
        float, Query(ge=0.0, le=60.0, description="Seconds to wait for the result")
    ] = 10.0,
) -> Any:
    """Run the manufacturability rules of ``process`` on the design's exact B-rep.

    ``design_id`` is the id of the job that made (or imported) the part. The check
    runs as a job; if it finishes within ``wait`` seconds the answer is 200 with the
    job and its report (``metrics.manufacturability``), else 202 with where to poll.
    """
    job, created = await asyncio.to_thread(
        runtime.designs.submit_check,
        design_id,
        body.model_dump(exclude_none=True),
        principal,
        request_id=request.state.request_id,
    )
    return await finish_or_accept(
        job,
        created,
        lookup=lambda job_id: runtime.designs.get_job(job_id, principal),
        wait_s=wait,
        response=response,
        metrics=metrics,
    )
