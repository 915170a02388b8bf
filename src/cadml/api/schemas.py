"""Request and response bodies of the API (kept apart from storage rows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ApiKeyIn",
    "ApiKeyOut",
    "ArtefactOut",
    "ErrorBody",
    "ErrorOut",
    "HealthOut",
    "JobAccepted",
    "JobOut",
    "ParamsDesignIn",
    "RefreshIn",
    "SuggestionOut",
    "TokenIn",
    "TokenOut",
    "artefact_out",
    "job_out",
]


class SuggestionOut(BaseModel):
    """A remediation hint in English and Turkish."""

    en: str
    tr: str


class ErrorBody(BaseModel):
    """A coded, bilingual error."""

    code: str = Field(examples=["VALIDATION_RANGE_VIOLATION"])
    message: str = Field(description="In the language chosen by Accept-Language")
    message_en: str
    message_tr: str
    suggestions: list[SuggestionOut]
    details: dict[str, Any]
    request_id: str | None
    job_id: str | None = None


class ErrorOut(BaseModel):
    """Every non-2xx response."""

    error: ErrorBody


class TokenIn(BaseModel):
    """Password login."""

    username: str
    password: str


class RefreshIn(BaseModel):
    """A refresh token to exchange."""

    refresh_token: str


class TokenOut(BaseModel):
    """An access/refresh token pair."""

    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    scopes: list[str]


class ApiKeyIn(BaseModel):
    """A new API key for the caller; scopes must be a subset of the caller's."""

    name: str = Field(min_length=1, max_length=100, examples=["line-3 gateway"])
    scopes: list[str] = Field(min_length=1, examples=[["models:read", "models:write"]])


class ApiKeyOut(BaseModel):
    """A created API key. ``key`` is shown once and never again."""

    id: str
    name: str
    prefix: str
    scopes: list[str]
    key: str
    created_at: datetime | None = None


class ParamsDesignIn(BaseModel):
    """A parametric design request. ``params`` are checked against the family's rules."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "family": "prism_with_hole",
                    "params": {
                        "length": 100,
                        "width": 50,
                        "height": 30,
                        "hole_diameter": 10,
                        "material": "aluminum_6061",
                        "process": "cnc_milling",
                    },
                }
            ]
        }
    )

    family: str = Field(description="Part family id, e.g. prism_with_hole")
    params: dict[str, Any] = Field(
        description="Dimensions in mm plus `material` and `process` snake_case ids"
    )


class CheckIn(BaseModel):
    """A manufacturability check of a finished design."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "process": "injection_molding",
                    "material": "abs",
                    "options": {"min_draft_deg": 1.5, "pull_direction": [0, 0, 1]},
                }
            ]
        }
    )

    process: str = Field(description="cnc_milling | injection_molding | fdm_printing | ...")
    material: str | None = Field(default=None, description="Defaults to the design's material")
    options: dict[str, Any] | None = Field(
        default=None, description="Limits that override the process defaults"
    )


class JobAccepted(BaseModel):
    """Returned by 202: where to follow the job."""

    job_id: str
    request_id: str | None
    status: str
    links: dict[str, str]


class JobOut(BaseModel):
    """A job and its current state."""

    id: str
    kind: str
    status: str = Field(description="queued | running | succeeded | failed | cancelled")
    progress_pct: float
    step: str | None
    message: str | None
    request: dict[str, Any]
    metrics: dict[str, Any] | None
    error: dict[str, Any] | None
    request_id: str | None
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    links: dict[str, str]


class ArtefactOut(BaseModel):
    """One stored output of a job."""

    id: str
    job_id: str
    kind: str = Field(description="step | stl | glb | brep | fcstd | drawing_svg | drawing_pdf")
    filename: str
    sha256: str
    size: int
    content_type: str
    engine_fingerprint: dict[str, Any]
    meta: dict[str, Any]
    created_at: datetime | None
    download_url: str


class HealthOut(BaseModel):
    """Versions and the state of every dependency."""

    status: str
    versions: dict[str, str]
    database: dict[str, Any]
    artefact_store: dict[str, Any]
    workers: dict[str, Any]


def job_out(job: Any, prefix: str = "/api/v1") -> JobOut:
    """A :class:`JobOut` from a job record."""
    return JobOut(
        id=job.id,
        kind=job.kind,
        status=str(job.status),
        progress_pct=float(job.progress_pct or 0.0),
        step=job.step,
        message=job.message,
        request=job.request or {},
        metrics=job.metrics,
        error=job.error,
        request_id=job.request_id,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        links={
            "self": f"{prefix}/jobs/{job.id}",
            "artefacts": f"{prefix}/jobs/{job.id}/artefacts",
            "progress_stream": f"{prefix}/jobs/{job.id}/progress/stream",
            "progress_ws": f"{prefix}/ws/jobs/{job.id}/progress",
        },
    )


def artefact_out(record: Any, prefix: str = "/api/v1") -> ArtefactOut:
    """An :class:`ArtefactOut` from an artefact record."""
    return ArtefactOut(
        id=record.id,
        job_id=record.job_id,
        kind=record.kind,
        filename=record.filename,
        sha256=record.sha256,
        size=int(record.size),
        content_type=record.content_type,
        engine_fingerprint=record.engine_fingerprint or {},
        meta=record.meta or {},
        created_at=record.created_at,
        download_url=f"{prefix}/artefacts/{record.id}/download",
    )
