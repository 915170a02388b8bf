"""The platform's error tree, codes and bilingual (English/Turkish) messages.

Every error the platform shows a user is a :class:`CadmlError` with a stable ``code``.
The code selects an :class:`ErrorSpec` from :data:`CATALOG` (``cadml.error_catalog``),
which holds the English and Turkish message templates and the suggestions. Templates
are filled from the error's ``details`` (missing keys render as ``?``). The HTTP status
of each code is decided in ``cadml.api.errors`` (codes added after the foundation
declare theirs next to their text, in their domain's catalogue module).

The tree::

    CadmlError                      INTERNAL_ERROR
    ├── ValidationError (ValueError) VALIDATION_*, AI_*, UPLOAD_*, DFM_*, DRAWING_*, PHYSICS_*,
    │                               TWIN_* (other than those below)
    ├── AuthError                   AUTH_* (401)
    │   └── PermissionDeniedError   AUTH_FORBIDDEN (403)
    ├── NotFoundError               NOT_FOUND_*
    ├── ConflictError               IDEMPOTENCY_CONFLICT, JOB_INVALID_TRANSITION, USER_EXISTS
    ├── RateLimitedError            RATE_LIMITED
    ├── GeometryError               FC_*, DRAWING_HLR_FAILED, UPLOAD_INVALID_SOLID,
    │                               PHYSICS_COLLISION_EXACT_FAILED
    ├── JobError                    TIMEOUT_WORKER, WORKER_*, JOB_*
    ├── StorageError                STORAGE_*, TWIN_STORE_*
    ├── ServiceUnavailableError     DB_UNAVAILABLE, BROKER_UNAVAILABLE, REDIS_UNAVAILABLE,
    │                               TWIN_INGEST_*, TWIN_MQTT_UNAVAILABLE, TWIN_MQTT_REFUSED
    └── ConfigurationError          CONFIG_*, TWIN_MQTT_* (settings)

Examples:
    >>> err = ValidationError("VALIDATION_RANGE_VIOLATION",
    ...     details={"field": "length", "value": -1, "min": 0.1, "max": 1000, "unit": "mm"})
    >>> err.code
    'VALIDATION_RANGE_VIOLATION'
    >>> err.message("tr").startswith("length")
    True
    >>> isinstance(err, ValueError)
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cadml.error_catalog import CATALOG, ErrorSpec, Suggestion

__all__ = [
    "CATALOG",
    "AuthError",
    "CadmlError",
    "ConfigurationError",
    "ConflictError",
    "ErrorSpec",
    "GeometryError",
    "JobError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ServiceUnavailableError",
    "StorageError",
    "Suggestion",
    "ValidationError",
    "error_from_dict",
]


class _Defaulting(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


class CadmlError(Exception):
    """Root of every error the platform reports to a user.

    Args:
        code: a key of :data:`CATALOG`; defaults to the class's ``default_code``.
        details: values for the message templates and machine-readable context.
        suggestions: extra suggestions, shown before the catalogue's ones.
        job_id: the job the error belongs to, when there is one.

    Raises:
        KeyError: if ``code`` is not in :data:`CATALOG` (a programming error).
    """

    default_code = "INTERNAL_ERROR"

    def __init__(
        self,
        code: str | None = None,
        *,
        details: Mapping[str, Any] | None = None,
        suggestions: tuple[Suggestion, ...] = (),
        job_id: str | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.spec = CATALOG[self.code]
        self.details: dict[str, Any] = dict(details or {})
        self.extra_suggestions = suggestions
        self.job_id = job_id
        super().__init__(f"{self.code}: {self.message('en')}")

    def message(self, lang: str = "en") -> str:
        """The message in ``lang`` (``"en"`` or ``"tr"``), filled from the details."""
        template = self.spec.message_tr if lang == "tr" else self.spec.message_en
        return template.format_map(_Defaulting(self.details))

    @property
    def suggestions(self) -> tuple[Suggestion, ...]:
        """The error's own suggestions followed by the catalogue's."""
        return self.extra_suggestions + self.spec.suggestions

    def to_dict(self, lang: str = "en", request_id: str | None = None) -> dict[str, Any]:
        """The JSON body of this error (without the HTTP status)."""
        return {
            "code": self.code,
            "message": self.message(lang),
            "message_en": self.message("en"),
            "message_tr": self.message("tr"),
            "suggestions": [{"en": s.en, "tr": s.tr} for s in self.suggestions],
            "details": _jsonable(self.details),
            "request_id": request_id,
            "job_id": self.job_id,
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


class ValidationError(CadmlError, ValueError):
    """Input that breaks a rule; nothing was created."""

    default_code = "VALIDATION_INVALID_VALUE"


class AuthError(CadmlError):
    """Missing or bad credentials."""

    default_code = "AUTH_REQUIRED"


class PermissionDeniedError(AuthError):
    """Valid credentials that lack a scope."""

    default_code = "AUTH_FORBIDDEN"


class NotFoundError(CadmlError):
    """The named resource does not exist (or is not visible to the caller)."""

    default_code = "NOT_FOUND_JOB"


class ConflictError(CadmlError):
    """The request conflicts with the current state."""

    default_code = "IDEMPOTENCY_CONFLICT"


class RateLimitedError(CadmlError):
    """Too many requests in the current window; ``details['retry_after']`` in seconds."""

    default_code = "RATE_LIMITED"


class GeometryError(CadmlError):
    """The geometry kernel failed or produced an invalid shape."""

    default_code = "FC_GEOM_INVALID_SHAPE"


class JobError(CadmlError):
    """A job failed for a reason outside its geometry (limits, crashes, restarts)."""

    default_code = "WORKER_CRASHED"


class StorageError(CadmlError):
    """The artefact store failed."""

    default_code = "STORAGE_WRITE_FAILED"


class ServiceUnavailableError(CadmlError):
    """A backing service (database, broker) cannot be reached."""

    default_code = "DB_UNAVAILABLE"


class ConfigurationError(CadmlError):
    """The settings are invalid or insecure."""

    default_code = "CONFIG_INVALID"


_BY_PREFIX: tuple[tuple[str, type[CadmlError]], ...] = (
    ("VALIDATION_", ValidationError),
    ("AI_", ValidationError),
    ("AUTH_FORBIDDEN", PermissionDeniedError),
    ("AUTH_", AuthError),
    ("NOT_FOUND_", NotFoundError),
    ("IDEMPOTENCY_", ConflictError),
    ("JOB_INVALID_TRANSITION", ConflictError),
    ("USER_EXISTS", ConflictError),
    ("RATE_LIMITED", RateLimitedError),
    ("FC_", GeometryError),
    ("DRAWING_HLR_FAILED", GeometryError),
    ("DRAWING_", ValidationError),
    ("UPLOAD_INVALID_SOLID", GeometryError),
    ("UPLOAD_", ValidationError),
    ("DFM_", ValidationError),
    ("PHYSICS_COLLISION_EXACT_FAILED", GeometryError),
    ("PHYSICS_", ValidationError),
    ("TWIN_STORE_", StorageError),
    ("TWIN_INGEST_", ServiceUnavailableError),
    ("TWIN_MQTT_UNAVAILABLE", ServiceUnavailableError),
    ("TWIN_MQTT_REFUSED", ServiceUnavailableError),
    ("TWIN_MQTT_", ConfigurationError),
    ("TWIN_", ValidationError),
    ("TIMEOUT_", JobError),
    ("WORKER_", JobError),
    ("JOB_", JobError),
    ("STORAGE_", StorageError),
    ("DB_", ServiceUnavailableError),
    ("BROKER_", ServiceUnavailableError),
    ("REDIS_", ServiceUnavailableError),
    ("CONFIG_", ConfigurationError),
    ("ML_NO_TRAINED_MODEL", NotFoundError),
    ("ML_MODEL_NOT_FOUND", NotFoundError),
    ("ML_MODEL_NO_ROLLBACK", ConflictError),
    ("ML_MODEL_DEPRECATED", ConflictError),
    ("ML_ANOMALY_UNKNOWN_DEVICE", NotFoundError),
    ("ML_ANOMALY_NOT_FOUND", NotFoundError),
    ("ML_ANOMALY_NAME_EXISTS", ConflictError),
    ("ML_EXPORT_FAILED", CadmlError),
    ("ML_", ValidationError),
)


def error_from_dict(data: Mapping[str, Any]) -> CadmlError:
    """Rebuild an error from the dict a worker or the database carried.

    Unknown codes become ``INTERNAL_ERROR`` so that a newer worker never crashes an
    older API.

    Examples:
        >>> e = error_from_dict({"code": "TIMEOUT_WORKER", "details": {"limit_s": 5}})
        >>> type(e).__name__, e.message()[:24]
        ('JobError', 'Processing timed out aft')
    """
    code = str(data.get("code", "INTERNAL_ERROR"))
    if code not in CATALOG:
        return CadmlError("INTERNAL_ERROR", details={"original_code": code})
    cls: type[CadmlError] = CadmlError
    for prefix, candidate in _BY_PREFIX:
        if code.startswith(prefix):
            cls = candidate
            break
    return cls(code, details=data.get("details") or {}, job_id=data.get("job_id"))
