"""The one place where error codes become HTTP statuses, and the API's error handlers.

Every error response has the body ``{"error": {code, message, message_en, message_tr,
suggestions, details, request_id, job_id}}``; ``message`` is in the language the client
prefers (``Accept-Language``: Turkish or English).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cadml.error_catalog import DOMAIN_STATUS
from cadml.errors import CadmlError, NotFoundError, ValidationError

__all__ = ["HTTP_STATUS", "install_error_handlers", "preferred_language", "status_for"]

log = logging.getLogger("cadml.api")

HTTP_STATUS: dict[str, int] = {
    "INTERNAL_ERROR": 500,
    "VALIDATION_MISSING_FIELD": 422,
    "VALIDATION_INVALID_VALUE": 422,
    "VALIDATION_UNKNOWN_PARAMETER": 422,
    "VALIDATION_RANGE_VIOLATION": 422,
    "VALIDATION_UNKNOWN_FAMILY": 422,
    "VALIDATION_UNKNOWN_MATERIAL": 422,
    "VALIDATION_UNKNOWN_PROCESS": 422,
    "VALIDATION_HOLE_BREAKS_WALL": 422,
    "VALIDATION_WALL_TOO_THIN": 422,
    "VALIDATION_MATERIAL_PROCESS_CONFLICT": 409,
    "VALIDATION_PROCESS_LIMIT": 422,
    "VALIDATION_UNSUPPORTED_FORMAT": 415,
    "VALIDATION_UNIT_MISMATCH": 422,
    "VALIDATION_CONFLICT": 409,
    "VALIDATION_PAYLOAD_TOO_LARGE": 413,
    "VALIDATION_DESIGN_NOT_READY": 409,
    "AI_AMBIGUOUS": 425,
    "AI_HINT_REQUIRED": 422,
    "AUTH_REQUIRED": 401,
    "AUTH_INVALID_CREDENTIALS": 401,
    "AUTH_TOKEN_EXPIRED": 401,
    "AUTH_TOKEN_INVALID": 401,
    "AUTH_API_KEY_INVALID": 401,
    "AUTH_FORBIDDEN": 403,
    "RATE_LIMITED": 429,
    "NOT_FOUND_JOB": 404,
    "NOT_FOUND_ARTEFACT": 404,
    "NOT_FOUND_USER": 404,
    "NOT_FOUND_ROUTE": 404,
    "IDEMPOTENCY_CONFLICT": 409,
    "JOB_INVALID_TRANSITION": 409,
    "USER_EXISTS": 409,
    "FC_GEOM_INVALID_SHAPE": 422,
    "FC_BOOLEAN_FAILED": 422,
    "FC_MESH_FAILED": 422,
    "FC_EXPORT_FAILED": 500,
    "TIMEOUT_WORKER": 504,
    "WORKER_CPU_LIMIT": 504,
    "WORKER_MEMORY_LIMIT": 507,
    "WORKER_CRASHED": 502,
    "WORKER_UNAVAILABLE": 503,
    "JOB_INTERRUPTED": 503,
    "JOB_CANCELLED": 409,
    "STORAGE_WRITE_FAILED": 503,
    "STORAGE_READ_FAILED": 503,
    "STORAGE_INTEGRITY_ERROR": 500,
    "STORAGE_QUOTA_EXCEEDED": 507,
    "DB_UNAVAILABLE": 503,
    "BROKER_UNAVAILABLE": 503,
    "REDIS_UNAVAILABLE": 503,
    "CONFIG_INSECURE_SECRET": 500,
    "CONFIG_INVALID": 500,
    **DOMAIN_STATUS,
}
"""HTTP status of every code in :data:`cadml.errors.CATALOG` (a test checks coverage)."""

_DEFAULT_BY_PREFIX = (("VALIDATION_", 422), ("AUTH_", 401), ("NOT_FOUND_", 404), ("FC_", 422))


def status_for(code: str) -> int:
    """The HTTP status of an error code (500 for anything unknown)."""
    if code in HTTP_STATUS:
        return HTTP_STATUS[code]
    for prefix, status in _DEFAULT_BY_PREFIX:
        if code.startswith(prefix):
            return status
    return 500


def preferred_language(accept_language: str | None) -> str:
    """``"tr"`` or ``"en"`` from an ``Accept-Language`` header, honouring q-values.

    Examples:
        >>> preferred_language("tr-TR,tr;q=0.9,en;q=0.8")
        'tr'
        >>> preferred_language("de, en;q=0.5, tr;q=0.4")
        'en'
        >>> preferred_language(None)
        'en'
    """
    best, best_q = "en", -1.0
    for part in (accept_language or "").split(","):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        lang = tag.split("-")[0]
        if lang in ("en", "tr") and q > best_q:
            best, best_q = lang, q
    return best


def error_response(request: Request, err: CadmlError) -> JSONResponse:
    """The JSON response for ``err`` in the client's language."""
    request_id = getattr(request.state, "request_id", None)
    lang = preferred_language(request.headers.get("accept-language"))
    status = status_for(err.code)
    headers: dict[str, str] = {"Content-Language": lang}
    if err.code == "RATE_LIMITED":
        headers["Retry-After"] = str(int(err.details.get("retry_after", 1)))
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(
        {"error": err.to_dict(lang, request_id)}, status_code=status, headers=headers
    )


def _from_validation(exc: RequestValidationError) -> ValidationError:
    first: dict[str, Any] = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
    field = ".".join(loc) or "body"
    details = {
        "field": field,
        "reason": first.get("msg", "invalid"),
        "errors": [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()[:20]
        ],
    }
    if first.get("type") == "missing":
        return ValidationError("VALIDATION_MISSING_FIELD", details=details)
    return ValidationError("VALIDATION_INVALID_VALUE", details=details)


def install_error_handlers(app: FastAPI) -> None:
    """Register handlers so every error leaves as a coded, bilingual JSON body."""

    @app.exception_handler(CadmlError)
    async def _cadml(request: Request, exc: CadmlError) -> JSONResponse:
        if status_for(exc.code) >= 500:
            log.error("request failed: %s %s", exc.code, exc.details)
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(request, _from_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        err: CadmlError
        if exc.status_code == 404:
            err = NotFoundError(
                "NOT_FOUND_ROUTE", details={"method": request.method, "path": request.url.path}
            )
        elif exc.status_code == 405:
            err = ValidationError(
                "VALIDATION_INVALID_VALUE",
                details={"field": "method", "reason": f"{request.method} is not allowed here"},
            )
        else:
            err = ValidationError(
                "VALIDATION_INVALID_VALUE", details={"field": "request", "reason": str(exc.detail)}
            )
        response = error_response(request, err)
        if exc.status_code in (404, 405):
            response.status_code = exc.status_code
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = getattr(request.state, "request_id", None)
        log.exception("unhandled error in %s %s", request.method, request.url.path)
        return error_response(
            request, CadmlError("INTERNAL_ERROR", details={"request_id": request_id})
        )
