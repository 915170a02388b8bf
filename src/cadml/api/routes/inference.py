"""``/inference``: run registered models, and classify parts.

``POST /inference/{model}`` takes ``{"inputs": ...}``: one sample or a batch as nested
lists (or an object keyed by input name for models with several inputs), and optionally
``version`` (a number or an alias). Batches of more than 1,024 samples, or any batch with
``"async": true``, become a job answered 202 with where to poll. Needs ``models:read``.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Response, UploadFile, status

from cadml.api.deps import MetricsDep, ReaderDep, RuntimeDep
from cadml.api.schemas import ErrorOut
from cadml.errors import CadmlError, ValidationError
from cadml.services.inference import SYNC_LIMIT

__all__ = ["router"]

router = APIRouter(prefix="/inference", tags=["inference"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 404, 409, 413, 422, 429)
}
MAX_PART_BYTES = 200 * 1024 * 1024


@router.post(
    "/classify",
    responses=_ERRORS,
    summary="Classify a part (an uploaded STL or a design) into its family",
)
async def classify(
    principal: ReaderDep,
    runtime: RuntimeDep,
    file: Annotated[UploadFile | None, File(description="A closed STL mesh in mm")] = None,
    design_id: Annotated[
        str | None, Form(description="A finished design (its STL artefact is used)")
    ] = None,
    model: Annotated[str, Form(description="The classifier to use")] = "part-classifier",
    version: Annotated[str | None, Form(description="A version number or alias")] = None,
) -> dict[str, Any]:
    """The part's family with a confidence, from the registered classifier (PointNet on
    the part's canonical surface cloud, or the MLP on its feature vector). STEP and
    other B-rep files: upload them first (``POST /designs/upload``) and pass the
    design id."""
    from cadml.services.part_classification import classify_design, classify_stl

    if (file is None) == (design_id is None):
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": "file", "reason": "give exactly one of file and design_id"},
        )
    if file is not None:
        data = await file.read(MAX_PART_BYTES + 1)
        if len(data) > MAX_PART_BYTES:
            raise ValidationError(
                "UPLOAD_TOO_LARGE",
                details={"field": "file", "size": len(data), "max_bytes": MAX_PART_BYTES},
            )
        return await asyncio.to_thread(classify_stl, runtime.inference, data, model, version)
    return await asyncio.to_thread(
        classify_design, runtime, principal, str(design_id), model, version
    )


@router.get("/jobs/{job_id}", responses=_ERRORS, summary="An asynchronous batch")
def job(job_id: str, _: ReaderDep, runtime: RuntimeDep) -> dict[str, Any]:
    """``status`` queued, running, succeeded (with ``result``) or failed (with ``error``).
    Jobs live in the server's memory: a restart forgets them."""
    return runtime.inference.job(job_id)


@router.post(
    "/{model}",
    responses={**_ERRORS, 202: {"description": "A large batch became a job"}},
    summary="Run a registered model on one sample or a batch",
)
async def infer(
    model: str,
    _: ReaderDep,
    runtime: RuntimeDep,
    metrics: MetricsDep,
    response: Response,
    inputs: Annotated[Any, Body(embed=True, description="One sample or a batch")],
    version: Annotated[
        int | str | None, Body(embed=True, description="A version number or alias")
    ] = None,
    run_async: Annotated[bool, Body(embed=True, alias="async")] = False,
    raw: Annotated[
        bool, Body(embed=True, description="Also return every output tensor (`outputs`)")
    ] = False,
) -> dict[str, Any]:
    """Predictions, confidences (where the model gives them), latency and the version
    that answered. The loaded model stays cached in memory."""
    large = await asyncio.to_thread(runtime.inference.samples, model, inputs, version)
    if run_async or large > SYNC_LIMIT:
        response.status_code = status.HTTP_202_ACCEPTED
        job = await asyncio.to_thread(runtime.inference.submit, model, inputs, version)
        return {**job, "poll": f"/api/v1/inference/jobs/{job['id']}"}
    try:
        answer = await asyncio.to_thread(runtime.inference.predict, model, inputs, version, raw)
    except CadmlError as err:
        metrics.inference_requests.labels(model, str(version or ""), err.code).inc()
        raise
    metrics.inference_requests.labels(model, str(answer["version"]), "ok").inc()
    metrics.inference_latency.labels(model).observe(answer["latency_ms"] / 1000.0)
    return answer
