"""The model-registry repository: models, their numbered versions, aliases, downloads.

Versions are immutable except for their tags, deprecation and download count. A new
version takes the next number of its model inside the write transaction that inserts it
(on SQLite that transaction holds the write lock; on PostgreSQL the unique constraint
on ``(model_name, version)`` turns a race into a retry). Aliases point at a version and
remember the one before, for a one-step rollback. Methods return frozen records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cadml.db.base import utc_now
from cadml.db.models import ModelAlias, ModelVersion, RegisteredModel
from cadml.db.records import ModelAliasRecord, ModelRecord, ModelVersionRecord
from cadml.db.transaction import read_session, write_session
from cadml.errors import ConflictError, NotFoundError, ValidationError

__all__ = ["ModelRegistryRepository", "NewVersion"]

_RETRIES = 5

NewVersion = Mapping[str, Any]
"""Columns of a new version: ``format``, ``framework``, ``storage_key``, ``serving_key``,
``sha256``, ``size``, ``input_schema``, ``output_schema``, ``metrics``, ``training_data``,
``meta``, ``tags``, ``created_by``."""


def _missing(name: str, what: str) -> NotFoundError:
    return NotFoundError("ML_MODEL_NOT_FOUND", details={"name": name, "what": what})


class ModelRegistryRepository:
    """Registered models and their versions.

    Args:
        session_factory: from :func:`cadml.db.engine.make_session_factory`.
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def add_version(
        self, name: str, task: str, description: str | None, fields: NewVersion
    ) -> ModelVersionRecord:
        """Store a new version of ``name`` (creating the model on its first version).

        Args:
            name: the model's name.
            task: the model's task, kept from its first version.
            description: the model's description (replaces the stored one when given).
            fields: the version's columns (:data:`NewVersion`).

        Returns:
            The stored version, numbered one past the model's highest.
        """
        for _ in range(_RETRIES):
            try:
                with write_session(self._sessions) as session:
                    model = session.get(RegisteredModel, name)
                    now = utc_now()
                    if model is None:
                        model = RegisteredModel(
                            name=name,
                            task=task,
                            description=description,
                            owner_id=fields.get("created_by"),
                            created_at=now,
                            updated_at=now,
                        )
                        session.add(model)
                    else:
                        model.updated_at = now
                        if description:
                            model.description = description
                    highest = session.scalar(
                        select(func.max(ModelVersion.version)).where(
                            ModelVersion.model_name == name
                        )
                    )
                    row = ModelVersion(
                        model_name=name,
                        version=(highest or 0) + 1,
                        created_at=now,
                        deprecated=False,
                        download_count=0,
                        **dict(fields),
                    )
                    session.add(row)
                    session.flush()
                    return ModelVersionRecord.from_row(row)
            except IntegrityError as exc:
                message = str(exc.orig).lower()
                if "unique" not in message and "duplicate" not in message:
                    raise ValidationError(
                        "VALIDATION_INVALID_VALUE",
                        details={"field": "model version", "reason": str(exc.orig)[:200]},
                    ) from exc
                # another writer took the number, or created the model first: try again
                continue
        raise ConflictError(
            "IDEMPOTENCY_CONFLICT", details={"reason": f"could not number a version of {name}"}
        )

    def model(self, name: str) -> ModelRecord:
        """The model ``name``.

        Raises:
            NotFoundError: ``ML_MODEL_NOT_FOUND``.
        """
        with read_session(self._sessions) as session:
            row = session.get(RegisteredModel, name)
            if row is None:
                raise _missing(name, "registration")
            return ModelRecord.from_row(row)

    def models(self) -> list[ModelRecord]:
        """Every registered model, by name."""
        with read_session(self._sessions) as session:
            rows = session.scalars(select(RegisteredModel).order_by(RegisteredModel.name))
            return [ModelRecord.from_row(r) for r in rows]

    def versions(self, name: str | None = None) -> list[ModelVersionRecord]:
        """Versions of one model (or of all), by model then version."""
        query = select(ModelVersion).order_by(ModelVersion.model_name, ModelVersion.version)
        if name is not None:
            query = query.where(ModelVersion.model_name == name)
        with read_session(self._sessions) as session:
            return [ModelVersionRecord.from_row(r) for r in session.scalars(query)]

    def version(self, name: str, version: int) -> ModelVersionRecord:
        """Version ``version`` of ``name``.

        Raises:
            NotFoundError: ``ML_MODEL_NOT_FOUND``.
        """
        with read_session(self._sessions) as session:
            row = self._row(session, name, version)
            return ModelVersionRecord.from_row(row)

    def latest(self, name: str, include_deprecated: bool = False) -> ModelVersionRecord:
        """The highest version of ``name`` (not deprecated unless asked).

        Raises:
            NotFoundError: ``ML_MODEL_NOT_FOUND`` when there is none.
        """
        query = select(ModelVersion).where(ModelVersion.model_name == name)
        if not include_deprecated:
            query = query.where(ModelVersion.deprecated.is_(False))
        with read_session(self._sessions) as session:
            row = session.scalars(query.order_by(ModelVersion.version.desc()).limit(1)).first()
            if row is None:
                raise _missing(name, "version that is not deprecated")
            return ModelVersionRecord.from_row(row)

    @staticmethod
    def _row(session: Session, name: str, version: int) -> ModelVersion:
        row = session.scalars(
            select(ModelVersion).where(
                ModelVersion.model_name == name, ModelVersion.version == version
            )
        ).first()
        if row is None:
            raise _missing(name, f"version {version}")
        return row

    def aliases(self, name: str) -> list[ModelAliasRecord]:
        """The aliases of ``name``, by alias."""
        with read_session(self._sessions) as session:
            rows = session.scalars(
                select(ModelAlias).where(ModelAlias.model_name == name).order_by(ModelAlias.alias)
            )
            return [ModelAliasRecord.from_row(r) for r in rows]

    def alias(self, name: str, alias: str) -> ModelAliasRecord:
        """Where ``alias`` of ``name`` points.

        Raises:
            NotFoundError: ``ML_MODEL_NOT_FOUND``.
        """
        with read_session(self._sessions) as session:
            row = session.get(ModelAlias, (name, alias))
            if row is None:
                raise _missing(name, f"alias '{alias}'")
            return ModelAliasRecord.from_row(row)

    def set_alias(self, name: str, alias: str, version: int) -> ModelAliasRecord:
        """Point ``alias`` at ``version`` (remembering where it pointed before).

        Raises:
            NotFoundError: ``ML_MODEL_NOT_FOUND`` for an unknown version.
            ConflictError: ``ML_MODEL_DEPRECATED`` for a deprecated version.
        """
        with write_session(self._sessions) as session:
            target = self._row(session, name, version)
            if target.deprecated:
                raise ConflictError(
                    "ML_MODEL_DEPRECATED",
                    details={"name": name, "version": version, "alias": alias},
                )
            row = session.get(ModelAlias, (name, alias))
            if row is None:
                row = ModelAlias(model_name=name, alias=alias, version=version)
                session.add(row)
            elif row.version != version:
                row.previous_version, row.version = row.version, version
            row.updated_at = utc_now()
            session.flush()
            return ModelAliasRecord.from_row(row)

    def rollback_alias(self, name: str, alias: str) -> ModelAliasRecord:
        """Move ``alias`` back to the version it pointed at before its last move.

        Raises:
            NotFoundError: ``ML_MODEL_NOT_FOUND`` for an unknown alias.
            ConflictError: ``ML_MODEL_NO_ROLLBACK`` when it never moved;
                ``ML_MODEL_DEPRECATED`` when the earlier version was deprecated since.
        """
        with write_session(self._sessions) as session:
            row = session.get(ModelAlias, (name, alias))
            if row is None:
                raise _missing(name, f"alias '{alias}'")
            if row.previous_version is None:
                raise ConflictError("ML_MODEL_NO_ROLLBACK", details={"name": name, "alias": alias})
            if self._row(session, name, row.previous_version).deprecated:
                raise ConflictError(
                    "ML_MODEL_DEPRECATED",
                    details={"name": name, "version": row.previous_version, "alias": alias},
                )
            row.version, row.previous_version = row.previous_version, row.version
            row.updated_at = utc_now()
            session.flush()
            return ModelAliasRecord.from_row(row)

    def set_deprecated(
        self, name: str, version: int, deprecated: bool, note: str | None
    ) -> ModelVersionRecord:
        """Mark a version deprecated (or lift it), with a note for users."""
        with write_session(self._sessions) as session:
            row = self._row(session, name, version)
            row.deprecated = deprecated
            row.deprecation_note = note if deprecated else None
            session.flush()
            return ModelVersionRecord.from_row(row)

    def set_tags(self, name: str, version: int, tags: Sequence[str]) -> ModelVersionRecord:
        """Replace a version's tags (sorted, without duplicates)."""
        with write_session(self._sessions) as session:
            row = self._row(session, name, version)
            row.tags = sorted(set(tags))
            session.flush()
            return ModelVersionRecord.from_row(row)

    def count_download(self, name: str, version: int) -> None:
        """Add one to a version's download count (atomically, in SQL)."""
        with write_session(self._sessions) as session:
            session.execute(
                update(ModelVersion)
                .where(ModelVersion.model_name == name, ModelVersion.version == version)
                .values(download_count=ModelVersion.download_count + 1)
            )
