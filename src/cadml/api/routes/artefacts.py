"""``/artefacts``: artefact metadata and downloads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from cadml.api.deps import ReaderDep, RuntimeDep
from cadml.api.schemas import ArtefactOut, ErrorOut, artefact_out
from cadml.errors import StorageError

__all__ = ["router"]

router = APIRouter(prefix="/artefacts", tags=["artefacts"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 404, 429, 503)
}


@router.get(
    "/{artefact_id}",
    response_model=ArtefactOut,
    responses=_ERRORS,
    summary="An artefact's metadata",
)
def get_artefact(artefact_id: str, principal: ReaderDep, runtime: RuntimeDep) -> ArtefactOut:
    """Kind, sha256, size, content type and engine fingerprint."""
    return artefact_out(runtime.designs.get_artefact(artefact_id, principal))


@router.get(
    "/{artefact_id}/download",
    responses={
        **_ERRORS,
        200: {"content": {"application/octet-stream": {}}, "description": "The artefact's bytes"},
    },
    summary="Download an artefact",
)
def download_artefact(
    artefact_id: str, request: Request, principal: ReaderDep, runtime: RuntimeDep
) -> Response:
    """The bytes, streamed, with ``ETag`` and ``X-Checksum-Sha256`` set to the sha256."""
    record = runtime.designs.get_artefact(artefact_id, principal)
    if not runtime.store.exists(record.storage_key):
        raise StorageError(
            "STORAGE_READ_FAILED",
            details={"reason": f"blob {record.sha256[:12]} is missing from the artefact store"},
        )
    headers = {
        "ETag": f'"{record.sha256}"',
        "X-Checksum-Sha256": record.sha256,
        "Content-Disposition": f'attachment; filename="{record.filename}"',
        "Cache-Control": "private, max-age=31536000, immutable",
    }
    if request.headers.get("if-none-match") == f'"{record.sha256}"':
        return Response(status_code=304, headers=headers)
    headers["Content-Length"] = str(record.size)
    return StreamingResponse(
        runtime.store.iter_chunks(record.storage_key),
        media_type=record.content_type,
        headers=headers,
    )
