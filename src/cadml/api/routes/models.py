"""``/model``: the model registry (versions, aliases, downloads, deprecation, monitoring).

Reading needs ``models:read``; uploading, aliasing, deprecating and exporting need
``models:write``. Uploads are validated by a test inference before they are stored (a
pickle or TorchScript file only in the sandbox process), which takes a second or two.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Query, Response, UploadFile, status

from cadml.api.deps import ReaderDep, RuntimeDep, WriterDep
from cadml.api.schemas import ErrorOut
from cadml.errors import ValidationError
from cadml.services.model_registry import FORMATS, TASKS, Registration, version_dict

__all__ = ["router"]

router = APIRouter(prefix="/model", tags=["models"])

MAX_MODEL_BYTES = 512 * 1024 * 1024
"""Largest model file accepted."""

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 404, 409, 413, 422, 429)
}
_CHUNK = 1 << 20


def _json_field(field: str, raw: str | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            "VALIDATION_INVALID_VALUE", details={"field": field, "reason": "not valid JSON"}
        ) from exc


async def _read(file: UploadFile) -> bytes:
    chunks, total = [], 0
    while chunk := await file.read(_CHUNK):
        total += len(chunk)
        if total > MAX_MODEL_BYTES:
            raise ValidationError(
                "UPLOAD_TOO_LARGE",
                details={"field": "file", "size": total, "max_bytes": MAX_MODEL_BYTES},
            )
        chunks.append(chunk)
    return b"".join(chunks)


@router.get("/versions", responses=_ERRORS, summary="Every version of every model")
def list_versions(_: ReaderDep, runtime: RuntimeDep) -> dict[str, Any]:
    """All versions with their format, metrics, tags, aliases and download counts."""
    return {"versions": runtime.models.all_versions()}


@router.get("/{name}/info", responses=_ERRORS, summary="A model, its versions and aliases")
def model_info(name: str, _: ReaderDep, runtime: RuntimeDep) -> dict[str, Any]:
    """The model's task and description, every version's metadata (framework, format,
    input/output schema, size, metrics, training data, deprecation, downloads), its
    aliases, and the version a request without a version gets."""
    return runtime.models.info(name)


@router.get(
    "/{name}/download",
    responses={**_ERRORS, 200: {"content": {"application/octet-stream": {}}}},
    summary="Download a model file",
)
def download(
    name: str,
    _: ReaderDep,
    runtime: RuntimeDep,
    version: Annotated[
        str | None, Query(description="A version number or alias; default: champion, else newest")
    ] = None,
    serving: Annotated[
        bool, Query(description="The ONNX file the platform serves instead of the upload")
    ] = False,
) -> Response:
    """The file's bytes; headers name the version and the sha256 of the body sent (the
    ONNX conversion's with ``serving``). Counts a download."""
    data, filename, record = runtime.models.download(name, version, serving=serving)
    return Response(
        data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Model-Version": str(record.version),
            "X-Model-Sha256": record.sha256 if not serving else hashlib.sha256(data).hexdigest(),
        },
    )


@router.post(
    "/{name}/versions",
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
    summary="Upload a new version (validated by a test inference)",
)
async def upload_version(
    name: str,
    principal: WriterDep,
    runtime: RuntimeDep,
    file: Annotated[
        UploadFile, File(description="ONNX, pickled scikit-learn, TorchScript or TFLite")
    ],
    format: Annotated[str, Form(description=f"One of {', '.join(FORMATS)}")] = "onnx",
    task: Annotated[str, Form(description=f"One of {', '.join(TASKS)}")] = "other",
    description: Annotated[str | None, Form()] = None,
    framework: Annotated[str, Form(description="What produced it (torch, sklearn, ...)")] = "",
    metrics: Annotated[str | None, Form(description="JSON object of evaluation figures")] = None,
    training_data: Annotated[
        str | None, Form(description="JSON object: dataset, time range, rows")
    ] = None,
    meta: Annotated[str | None, Form(description="JSON object: classes, notes, ...")] = None,
    tags: Annotated[str, Form(description="Comma-separated tags")] = "",
    input_shape: Annotated[
        str | None, Form(description="TorchScript only: JSON test input shape, e.g. [1, 24]")
    ] = None,
) -> dict[str, Any]:
    """Store the next version of ``name`` after a test inference. The answer is the
    version's metadata, including the input and output schema found."""
    data = await _read(file)
    info = Registration(
        task=task,
        description=description,
        framework=framework,
        metrics=_json_field("metrics", metrics),
        training_data=_json_field("training_data", training_data),
        meta=_json_field("meta", meta),
        tags=tuple(t.strip() for t in tags.split(",") if t.strip()),
        input_shape=_json_field("input_shape", input_shape),
        created_by=principal.user_id,
    )
    record = await asyncio.to_thread(runtime.models.register, name, data, format, info)
    return version_dict(record)


@router.put("/{name}/aliases/{alias}", responses=_ERRORS, summary="Point an alias at a version")
def set_alias(
    name: str,
    alias: str,
    _: WriterDep,
    runtime: RuntimeDep,
    version: Annotated[
        int | str, Body(embed=True, description="A version number or another alias")
    ],
) -> dict[str, Any]:
    """Move ``champion``, ``challenger`` or any alias; the previous target is kept for
    a rollback."""
    record = runtime.models.set_alias(name, alias, version)
    return {"alias": record.alias, "version": record.version, "previous": record.previous_version}


@router.post(
    "/{name}/aliases/{alias}/rollback", responses=_ERRORS, summary="Roll an alias back one step"
)
def rollback(name: str, alias: str, _: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    """Point the alias at the version it pointed at before its last move."""
    record = runtime.models.rollback(name, alias)
    return {"alias": record.alias, "version": record.version, "previous": record.previous_version}


@router.post(
    "/{name}/versions/{version}/deprecate", responses=_ERRORS, summary="Deprecate a version"
)
def deprecate(
    name: str,
    version: int,
    _: WriterDep,
    runtime: RuntimeDep,
    deprecated: Annotated[bool, Body(embed=True)] = True,
    note: Annotated[str | None, Body(embed=True)] = None,
) -> dict[str, Any]:
    """A deprecated version is skipped by default resolution and cannot take an alias;
    it stays downloadable by number. ``deprecated: false`` lifts it."""
    return version_dict(runtime.models.deprecate(name, version, deprecated, note))


@router.put("/{name}/versions/{version}/tags", responses=_ERRORS, summary="Replace the tags")
def set_tags(
    name: str,
    version: int,
    _: WriterDep,
    runtime: RuntimeDep,
    tags: Annotated[list[str], Body(embed=True)],
) -> dict[str, Any]:
    """Replace a version's tags."""
    return version_dict(runtime.models.tag(name, version, tags))


@router.post(
    "/{name}/export",
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
    summary="Export a platform-trained model to ONNX and INT8 and register it",
)
async def export_model(
    name: str,
    _: WriterDep,
    runtime: RuntimeDep,
    int8: Annotated[bool, Body(embed=True)] = True,
) -> dict[str, Any]:
    """For the part classifiers (``part-classifier``, ``part-classifier-mlp``): export the
    trained checkpoint (``cadml ml train-classifier``) and register the new versions.
    Answers with the export report; takes several seconds."""
    from cadml.services.ml_classifier import (
        CLASSIFIER_MODELS,
        ClassifierPaths,
        ExportOptions,
        export_and_register,
    )

    if name not in CLASSIFIER_MODELS:
        raise ValidationError(
            "ML_UNKNOWN_MODEL_KIND",
            details={"model": name, "allowed": ", ".join(CLASSIFIER_MODELS)},
        )
    paths = ClassifierPaths(runtime.settings.data_dir / "ml")
    return await asyncio.to_thread(
        export_and_register, paths, ExportOptions(int8=int8), runtime.models
    )


@router.get("/{name}/monitoring", responses=_ERRORS, summary="Serving statistics and drift")
def monitoring(name: str, _: ReaderDep, runtime: RuntimeDep) -> dict[str, Any]:
    """Per served version since the server started: requests, errors, error rate,
    latency p50/p95/p99, input drift (PSI and KL per input column against the training
    reference) and the alerts raised when a threshold was crossed."""
    return {"model": name, "versions": runtime.inference.monitoring(name)}
