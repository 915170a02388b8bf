"""The metadata database tables: users, API keys, jobs, their audit trail, artefacts,
devices, and the model registry (models, versions, aliases).

These ORM classes stay inside :mod:`cadml.db`: repositories hand callers frozen
snapshots (:mod:`cadml.db.records`) instead, so no live row ever crosses a thread or
process boundary. Foreign keys cascade in the database (``ON DELETE CASCADE``), not in
the ORM, so a bulk ``DELETE`` of a job removes its audit rows and artefact rows too.

The schema is created by the Alembic migrations in :mod:`cadml.db.migrations`; a test
checks that they produce exactly these tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cadml.db.base import ID_LENGTH, Base, JSONType, UTCDateTime, new_id, utc_now
from cadml.db.job_status import JobStatus

__all__ = [
    "ApiKey",
    "Artefact",
    "Device",
    "Job",
    "JobTransition",
    "ModelAlias",
    "ModelVersion",
    "RegisteredModel",
    "User",
]

_STATUS_LENGTH = 16
_STATUS_VALUES = ", ".join(f"'{status.value}'" for status in JobStatus)


class User(Base):
    """A person or service account that can log in or own API keys and jobs."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class ApiKey(Base):
    """A long-lived credential of a user; only the key's sha256 is stored."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Job(Base):
    """One unit of asynchronous work (a design, an import, a training run).

    ``(user_id, idempotency_key)`` is unique. Because SQL treats NULLs as distinct, a
    second, partial unique index covers the keys of anonymous jobs (``user_id IS NULL``).
    """

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        Index("ix_jobs_user_id_created_at", "user_id", "created_at"),
        Index(
            "ix_jobs_anonymous_idempotency_key",
            "idempotency_key",
            unique=True,
            sqlite_where="user_id IS NULL AND idempotency_key IS NOT NULL",
            postgresql_where="user_id IS NULL AND idempotency_key IS NOT NULL",
        ),
        CheckConstraint(f"status IN ({_STATUS_VALUES})", name="status_valid"),
        CheckConstraint("progress_pct >= 0 AND progress_pct <= 100", name="progress_pct_range"),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, default=new_id)
    user_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(
        String(_STATUS_LENGTH), default=JobStatus.QUEUED.value, index=True
    )
    request: Mapped[dict[str, Any]] = mapped_column(JSONType)
    request_hash: Mapped[str] = mapped_column(String(128))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_id: Mapped[str | None] = mapped_column(String(128))
    progress_pct: Mapped[float] = mapped_column(Float, default=0.0)
    step: Mapped[str | None] = mapped_column(String(128))
    message: Mapped[str | None] = mapped_column(Text)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    worker: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class JobTransition(Base):
    """One audited status change of a job (``from_status`` is NULL for creation)."""

    __tablename__ = "job_transitions"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    job_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("jobs.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(_STATUS_LENGTH))
    to_status: Mapped[str] = mapped_column(String(_STATUS_LENGTH))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Artefact(Base):
    """A file a job produced, stored under ``storage_key`` in the artefact store."""

    __tablename__ = "artefacts"
    __table_args__ = (UniqueConstraint("job_id", "kind"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, default=new_id)
    job_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("jobs.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(127))
    storage_key: Mapped[str] = mapped_column(String(1024))
    engine_fingerprint: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Device(Base):
    """A twin device: identity, type and tags, its ingest key (sha256 only) and retention.

    ``retention_raw_days`` / ``retention_rollup_days`` override the type's and the
    platform's defaults when set (None = inherit).
    """

    __tablename__ = "devices"
    __table_args__ = (Index("ix_devices_type", "type"),)

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    owner_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="SET NULL")
    )
    key_prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    mqtt_username: Mapped[str | None] = mapped_column(String(128), unique=True)
    mqtt_password_hash: Mapped[str | None] = mapped_column(String(200))
    retention_raw_days: Mapped[float | None] = mapped_column(Float)
    retention_rollup_days: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class RegisteredModel(Base):
    """A named model in the registry; its files are the versions."""

    __tablename__ = "ml_models"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    task: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class ModelVersion(Base):
    """One immutable file of a registered model, numbered 1, 2, ... per model.

    ``storage_key`` is the uploaded file in the artefact store; ``serving_key`` the ONNX
    file the platform serves (the same key for an ONNX upload, a conversion otherwise,
    NULL when the format cannot be served).
    """

    __tablename__ = "ml_model_versions"
    __table_args__ = (
        UniqueConstraint("model_name", "version"),
        Index("ix_ml_model_versions_model_name", "model_name"),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, default=new_id)
    model_name: Mapped[str] = mapped_column(
        String(128), ForeignKey("ml_models.name", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(16))
    framework: Mapped[str] = mapped_column(String(32))
    storage_key: Mapped[str] = mapped_column(String(1024))
    serving_key: Mapped[str | None] = mapped_column(String(1024))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    input_schema: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    output_schema: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    training_data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    deprecated: Mapped[bool] = mapped_column(Boolean, default=False)
    deprecation_note: Mapped[str | None] = mapped_column(Text)
    download_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class ModelAlias(Base):
    """A movable name (``champion``, ``challenger``, ...) pointing at one version.

    ``previous_version`` is where the alias pointed before its last move, so a rollback
    is one step back.
    """

    __tablename__ = "ml_model_aliases"

    model_name: Mapped[str] = mapped_column(
        String(128), ForeignKey("ml_models.name", ondelete="CASCADE"), primary_key=True
    )
    alias: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    previous_version: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
