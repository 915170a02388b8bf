"""Frozen snapshots of database rows, the only thing repositories hand out.

A record is a plain value: it holds no session, never lazy-loads and can be pickled to
another process. JSON columns are copied into the record, so mutating a record's dict
cannot reach the database.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cadml.db.job_status import TERMINAL_STATUSES, JobStatus
from cadml.db.models import (
    ApiKey,
    Artefact,
    Device,
    Job,
    JobTransition,
    ModelAlias,
    ModelVersion,
    RegisteredModel,
    User,
)

__all__ = [
    "ApiKeyRecord",
    "ArtefactRecord",
    "DeviceRecord",
    "JobRecord",
    "JobTransitionRecord",
    "ModelAliasRecord",
    "ModelRecord",
    "ModelVersionRecord",
    "UserRecord",
]


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user as stored; ``password_hash`` is None for users who log in by API key only."""

    id: str
    username: str
    password_hash: str | None
    scopes: tuple[str, ...]
    is_active: bool
    created_at: datetime

    @classmethod
    def from_row(cls, row: User) -> UserRecord:
        """Snapshot an ORM row."""
        return cls(
            id=row.id,
            username=row.username,
            password_hash=row.password_hash,
            scopes=tuple(row.scopes or ()),
            is_active=row.is_active,
            created_at=row.created_at,
        )


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """An API key as stored (its sha256, never the key itself)."""

    id: str
    user_id: str
    name: str
    prefix: str
    key_hash: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def is_revoked(self) -> bool:
        """Whether the key has been revoked."""
        return self.revoked_at is not None

    @classmethod
    def from_row(cls, row: ApiKey) -> ApiKeyRecord:
        """Snapshot an ORM row."""
        return cls(
            id=row.id,
            user_id=row.user_id,
            name=row.name,
            prefix=row.prefix,
            key_hash=row.key_hash,
            scopes=tuple(row.scopes or ()),
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A job as stored. ``progress_pct`` is in percent (0-100)."""

    id: str
    user_id: str | None
    kind: str
    status: JobStatus
    request: dict[str, Any]
    request_hash: str
    idempotency_key: str | None
    request_id: str | None
    progress_pct: float
    step: str | None
    message: str | None
    metrics: dict[str, Any] | None
    error: dict[str, Any] | None
    worker: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime

    @property
    def is_terminal(self) -> bool:
        """Whether the job has reached a final status."""
        return self.status in TERMINAL_STATUSES

    @classmethod
    def from_row(cls, row: Job) -> JobRecord:
        """Snapshot an ORM row."""
        return cls(
            id=row.id,
            user_id=row.user_id,
            kind=row.kind,
            status=JobStatus(row.status),
            request=copy.deepcopy(row.request),
            request_hash=row.request_hash,
            idempotency_key=row.idempotency_key,
            request_id=row.request_id,
            progress_pct=row.progress_pct,
            step=row.step,
            message=row.message,
            metrics=copy.deepcopy(row.metrics),
            error=copy.deepcopy(row.error),
            worker=row.worker,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            updated_at=row.updated_at,
        )


@dataclass(frozen=True, slots=True)
class JobTransitionRecord:
    """One audited status change; ``from_status`` is None for the creation row."""

    id: int
    job_id: str
    from_status: JobStatus | None
    to_status: JobStatus
    reason: str
    at: datetime

    @classmethod
    def from_row(cls, row: JobTransition) -> JobTransitionRecord:
        """Snapshot an ORM row."""
        return cls(
            id=row.id,
            job_id=row.job_id,
            from_status=None if row.from_status is None else JobStatus(row.from_status),
            to_status=JobStatus(row.to_status),
            reason=row.reason,
            at=row.at,
        )


@dataclass(frozen=True, slots=True)
class ArtefactRecord:
    """A stored artefact's metadata; ``size`` is in bytes."""

    id: str
    job_id: str
    kind: str
    filename: str
    sha256: str
    size: int
    content_type: str
    storage_key: str
    engine_fingerprint: dict[str, Any] | None
    meta: dict[str, Any]
    created_at: datetime

    @classmethod
    def from_row(cls, row: Artefact) -> ArtefactRecord:
        """Snapshot an ORM row."""
        return cls(
            id=row.id,
            job_id=row.job_id,
            kind=row.kind,
            filename=row.filename,
            sha256=row.sha256,
            size=row.size,
            content_type=row.content_type,
            storage_key=row.storage_key,
            engine_fingerprint=copy.deepcopy(row.engine_fingerprint),
            meta=copy.deepcopy(row.meta) if row.meta is not None else {},
            created_at=row.created_at,
        )


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """A twin device as stored (its key's sha256, never the key itself)."""

    id: str
    type: str
    name: str | None
    tags: dict[str, Any]
    owner_id: str | None
    key_prefix: str
    key_hash: str
    mqtt_username: str | None
    mqtt_password_hash: str | None
    retention_raw_days: float | None
    retention_rollup_days: float | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Device) -> DeviceRecord:
        """Snapshot an ORM row."""
        return cls(
            id=row.id,
            type=row.type,
            name=row.name,
            tags=copy.deepcopy(row.tags or {}),
            owner_id=row.owner_id,
            key_prefix=row.key_prefix,
            key_hash=row.key_hash,
            mqtt_username=row.mqtt_username,
            mqtt_password_hash=row.mqtt_password_hash,
            retention_raw_days=row.retention_raw_days,
            retention_rollup_days=row.retention_rollup_days,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """A registered model."""

    name: str
    task: str
    description: str | None
    owner_id: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: RegisteredModel) -> ModelRecord:
        """Snapshot an ORM row."""
        return cls(
            name=row.name,
            task=row.task,
            description=row.description,
            owner_id=row.owner_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@dataclass(frozen=True, slots=True)
class ModelVersionRecord:
    """One version of a registered model (see :class:`~cadml.db.models.ModelVersion`)."""

    id: str
    model_name: str
    version: int
    format: str
    framework: str
    storage_key: str
    serving_key: str | None
    sha256: str
    size: int
    input_schema: list[dict[str, Any]]
    output_schema: list[dict[str, Any]]
    metrics: dict[str, Any]
    training_data: dict[str, Any]
    meta: dict[str, Any]
    tags: tuple[str, ...]
    deprecated: bool
    deprecation_note: str | None
    download_count: int
    created_by: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: ModelVersion) -> ModelVersionRecord:
        """Snapshot an ORM row."""
        return cls(
            id=row.id,
            model_name=row.model_name,
            version=row.version,
            format=row.format,
            framework=row.framework,
            storage_key=row.storage_key,
            serving_key=row.serving_key,
            sha256=row.sha256,
            size=row.size,
            input_schema=copy.deepcopy(row.input_schema or []),
            output_schema=copy.deepcopy(row.output_schema or []),
            metrics=copy.deepcopy(row.metrics or {}),
            training_data=copy.deepcopy(row.training_data or {}),
            meta=copy.deepcopy(row.meta or {}),
            tags=tuple(row.tags or ()),
            deprecated=row.deprecated,
            deprecation_note=row.deprecation_note,
            download_count=row.download_count,
            created_by=row.created_by,
            created_at=row.created_at,
        )


@dataclass(frozen=True, slots=True)
class ModelAliasRecord:
    """Where an alias of a model points, and where it pointed before."""

    model_name: str
    alias: str
    version: int
    previous_version: int | None
    updated_at: datetime

    @classmethod
    def from_row(cls, row: ModelAlias) -> ModelAliasRecord:
        """Snapshot an ORM row."""
        return cls(
            model_name=row.model_name,
            alias=row.alias,
            version=row.version,
            previous_version=row.previous_version,
            updated_at=row.updated_at,
        )
