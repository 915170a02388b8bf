"""The job repository: idempotent creation, audited status transitions, completion.

Every method runs in one transaction of its own and returns frozen records
(:class:`~cadml.db.records.JobRecord`), never ORM rows, so callers in other threads or
processes never touch a session.

Status changes are atomic on SQLite and PostgreSQL alike: the current status is read,
checked against :data:`~cadml.db.job_status.ALLOWED_TRANSITIONS`, and written with a
conditional ``UPDATE ... WHERE status = :current``. If another process changed the
status in between, the update matches no row and the check is repeated against the new
status, so two racing writers can never both leave the same status. Each change writes
a ``job_transitions`` audit row in the same transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cadml.db.base import new_id, utc_now
from cadml.db.job_status import (
    ALLOWED_TRANSITIONS,
    TERMINAL_STATUSES,
    JobStatus,
    can_transition,
)
from cadml.db.models import Artefact, Job, JobTransition, User
from cadml.db.records import ArtefactRecord, JobRecord, JobTransitionRecord
from cadml.db.transaction import read_session, write_session
from cadml.errors import ConflictError, NotFoundError, StorageError, ValidationError

__all__ = [
    "ALLOWED_TRANSITIONS",
    "TERMINAL_STATUSES",
    "UPDATABLE_FIELDS",
    "JobRepository",
    "JobStatus",
    "can_transition",
]

UPDATABLE_FIELDS = frozenset({"progress_pct", "step", "message", "metrics", "error", "worker"})
"""Job columns that :meth:`JobRepository.transition` may set alongside the status."""

_ARTEFACT_REQUIRED = ("kind", "filename", "sha256", "size", "content_type", "storage_key")
_ARTEFACT_OPTIONAL = ("id", "engine_fingerprint", "meta")
_MAX_PAGE = 1000


class JobRepository:
    """Jobs, their audit trail and their completion with artefacts.

    Args:
        session_factory: from :func:`cadml.db.engine.make_session_factory`.
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    # ------------------------------------------------------------------ create
    def create(
        self,
        kind: str,
        request: Mapping[str, Any],
        request_hash: str,
        user_id: str | None = None,
        idempotency_key: str | None = None,
        request_id: str | None = None,
    ) -> tuple[JobRecord, bool]:
        """Create a queued job, or return the job an idempotency key already made.

        Safe under concurrency: when two callers race with the same key, the database's
        unique constraint lets one insert win and the other re-reads the winner's job.

        Args:
            kind: what the job does, e.g. ``"design.params"``.
            request: the canonical request body (JSON-serialisable).
            request_hash: hash of the canonical request, compared on key reuse.
            user_id: the owner, or None for an anonymous job.
            idempotency_key: the client's ``Idempotency-Key``, scoped to ``user_id``.
            request_id: the HTTP request that created the job, for log correlation.

        Returns:
            ``(job, created)``; ``created`` is False when the key returned an existing job.

        Raises:
            ConflictError: ``IDEMPOTENCY_CONFLICT`` if the key was used with another
                request (another ``request_hash`` or ``kind``).
            NotFoundError: ``NOT_FOUND_USER`` if ``user_id`` names no user.
        """
        try:
            with write_session(self._sessions) as session:
                if idempotency_key is not None:
                    existing = _find_by_key(session, user_id, idempotency_key)
                    if existing is not None:
                        return _replay(existing, kind, request_hash), False
                now = utc_now()
                job = Job(
                    id=new_id(),
                    user_id=user_id,
                    kind=kind,
                    status=JobStatus.QUEUED.value,
                    request=dict(request),
                    request_hash=request_hash,
                    idempotency_key=idempotency_key,
                    request_id=request_id,
                    progress_pct=0.0,
                    created_at=now,
                    updated_at=now,
                )
                session.add(job)
                session.flush()
                session.add(
                    JobTransition(
                        job_id=job.id,
                        from_status=None,
                        to_status=JobStatus.QUEUED.value,
                        reason="created",
                        at=now,
                    )
                )
                session.flush()
                return JobRecord.from_row(job), True
        except IntegrityError:
            with read_session(self._sessions) as session:
                if idempotency_key is not None:
                    existing = _find_by_key(session, user_id, idempotency_key)
                    if existing is not None:
                        return _replay(existing, kind, request_hash), False
                if user_id is not None and session.get(User, user_id) is None:
                    raise NotFoundError("NOT_FOUND_USER", details={"username": user_id}) from None
            raise

    # ------------------------------------------------------------- transitions
    def transition(
        self, job_id: str, to_status: JobStatus | str, *, reason: str, **fields: Any
    ) -> JobRecord:
        """Move a job to ``to_status`` atomically and audit the change.

        Moving to ``running`` sets ``started_at``; moving to a terminal status sets
        ``finished_at``; moving to ``succeeded`` sets ``progress_pct`` to 100 unless
        given.

        Args:
            job_id: the job.
            to_status: the new status.
            reason: why, kept in the audit row (e.g. ``"worker picked up"``).
            **fields: other columns to set at the same time, among
                :data:`UPDATABLE_FIELDS` (``worker``, ``error``, ``metrics``, ...).

        Returns:
            The job after the change.

        Raises:
            NotFoundError: ``NOT_FOUND_JOB`` if the job does not exist.
            ConflictError: ``JOB_INVALID_TRANSITION`` if the job's current status does
                not allow the move (terminal statuses allow none).
            ValidationError: for an unknown status, field or out-of-range progress.
        """
        target = _parse_status(to_status, "to_status")
        _check_fields(fields)
        with write_session(self._sessions) as session:
            return _transition(session, job_id, target, reason, fields)

    def complete(
        self,
        job_id: str,
        artefacts: Sequence[Mapping[str, Any]],
        metrics: Mapping[str, Any],
        *,
        reason: str = "completed",
    ) -> tuple[JobRecord, list[ArtefactRecord]]:
        """Record a job's artefacts and move it from running to succeeded, all or nothing.

        Args:
            job_id: the running job.
            artefacts: one mapping per artefact with the keys ``kind``, ``filename``,
                ``sha256``, ``size`` (bytes), ``content_type``, ``storage_key`` and,
                optionally, ``id``, ``engine_fingerprint`` and ``meta``.
            metrics: the job's result metrics (JSON-serialisable).
            reason: kept in the audit row.

        Returns:
            The succeeded job and its artefacts, ordered by kind.

        Raises:
            NotFoundError: ``NOT_FOUND_JOB`` if the job does not exist.
            ConflictError: ``JOB_INVALID_TRANSITION`` if the job is not running; no
                artefact is stored then.
            StorageError: ``STORAGE_WRITE_FAILED`` if two artefacts share a kind; the
                whole completion is rolled back and the job stays running.
            ValidationError: ``VALIDATION_*`` if an artefact mapping lacks or has
                unknown keys.
        """
        now = utc_now()
        rows = [_artefact_row(job_id, spec, now) for spec in artefacts]
        try:
            with write_session(self._sessions) as session:
                record = _transition(
                    session,
                    job_id,
                    JobStatus.SUCCEEDED,
                    reason,
                    {"metrics": dict(metrics), "progress_pct": 100.0},
                )
                session.add_all(rows)
                session.flush()
                stored = sorted((ArtefactRecord.from_row(r) for r in rows), key=lambda a: a.kind)
                return record, stored
        except IntegrityError as error:
            duplicates = sorted(k for k, n in Counter(r.kind for r in rows).items() if n > 1)
            what = f"duplicate artefact kinds {duplicates}" if duplicates else "duplicate artefact"
            raise StorageError(
                "STORAGE_WRITE_FAILED",
                details={"reason": f"{what} for job {job_id}: {error.orig}"},
                job_id=job_id,
            ) from error

    def fail(self, job_id: str, error: Mapping[str, Any], reason: str = "failed") -> JobRecord:
        """Move a queued or running job to failed, storing the error body.

        Args:
            job_id: the job.
            error: the error as a dict (e.g. ``CadmlError.to_dict()``).
            reason: kept in the audit row.

        Returns:
            The failed job.

        Raises:
            NotFoundError: ``NOT_FOUND_JOB`` if the job does not exist.
            ConflictError: ``JOB_INVALID_TRANSITION`` if the job already finished.
        """
        return self.transition(job_id, JobStatus.FAILED, reason=reason, error=dict(error))

    def update_progress(
        self, job_id: str, pct: float, step: str | None = None, message: str | None = None
    ) -> bool:
        """Record progress of an unfinished job (no audit row is written).

        Args:
            job_id: the job.
            pct: progress in percent, 0-100.
            step: the name of the current step.
            message: a human-readable progress message.

        Returns:
            True if stored; False if the job has already finished (late progress is
            dropped rather than overwriting a final state).

        Raises:
            NotFoundError: ``NOT_FOUND_JOB`` if the job does not exist.
            ValidationError: ``VALIDATION_RANGE_VIOLATION`` if ``pct`` is outside 0-100.
        """
        _check_fields({"progress_pct": pct})
        unfinished = [JobStatus.QUEUED.value, JobStatus.RUNNING.value]
        with write_session(self._sessions) as session:
            result = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status.in_(unfinished))
                .values(progress_pct=pct, step=step, message=message, updated_at=utc_now())
                .execution_options(synchronize_session=False)
            )
            if cast(CursorResult[Any], result).rowcount == 1:
                return True
            if session.get(Job, job_id) is None:
                raise _job_not_found(job_id)
            return False

    # ----------------------------------------------------------------- queries
    def get(self, job_id: str) -> JobRecord:
        """The job with id ``job_id``.

        Raises:
            NotFoundError: ``NOT_FOUND_JOB`` if it does not exist.
        """
        with read_session(self._sessions) as session:
            row = session.get(Job, job_id)
            if row is None:
                raise _job_not_found(job_id)
            return JobRecord.from_row(row)

    def list_for_user(
        self,
        user_id: str,
        limit: int = 50,
        offset: int = 0,
        status: JobStatus | str | None = None,
    ) -> list[JobRecord]:
        """A user's jobs, newest first.

        Args:
            user_id: the owner.
            limit: page size, 1-1000.
            offset: jobs to skip.
            status: only jobs in this status.

        Raises:
            ValidationError: for a bad page or status.
        """
        return self._list(user_id, limit, offset, status, all_users=False)

    def list_all(
        self, limit: int = 50, offset: int = 0, status: JobStatus | str | None = None
    ) -> list[JobRecord]:
        """Every user's jobs (and anonymous ones), newest first; see :meth:`list_for_user`."""
        return self._list(None, limit, offset, status, all_users=True)

    def count_for_user(self, user_id: str, status: JobStatus | str | None = None) -> int:
        """How many jobs a user has (in ``status``, when given)."""
        query = select(func.count()).select_from(Job).where(Job.user_id == user_id)
        if status is not None:
            query = query.where(Job.status == _parse_status(status, "status").value)
        with read_session(self._sessions) as session:
            return int(session.scalar(query) or 0)

    def transitions(self, job_id: str) -> list[JobTransitionRecord]:
        """The audit trail of a job, oldest first (the first row is the creation).

        Raises:
            NotFoundError: ``NOT_FOUND_JOB`` if the job does not exist.
        """
        with read_session(self._sessions) as session:
            rows = session.scalars(
                select(JobTransition)
                .where(JobTransition.job_id == job_id)
                .order_by(JobTransition.id)
            ).all()
            if not rows and session.get(Job, job_id) is None:
                raise _job_not_found(job_id)
            return [JobTransitionRecord.from_row(row) for row in rows]

    def ids_in_status(self, status: JobStatus | str) -> list[str]:
        """Ids of all jobs in ``status``, oldest first (used to recover after a restart)."""
        value = _parse_status(status, "status").value
        with read_session(self._sessions) as session:
            return list(
                session.scalars(
                    select(Job.id).where(Job.status == value).order_by(Job.created_at, Job.id)
                )
            )

    def delete(self, job_id: str) -> None:
        """Delete a job; the database cascades to its audit rows and artefact rows.

        The artefact *files* are not touched: delete them from the store first.

        Raises:
            NotFoundError: ``NOT_FOUND_JOB`` if the job does not exist.
        """
        with write_session(self._sessions) as session:
            result = session.execute(
                delete(Job).where(Job.id == job_id).execution_options(synchronize_session=False)
            )
            if cast(CursorResult[Any], result).rowcount != 1:
                raise _job_not_found(job_id)

    def _list(
        self,
        user_id: str | None,
        limit: int,
        offset: int,
        status: JobStatus | str | None,
        *,
        all_users: bool,
    ) -> list[JobRecord]:
        if not 1 <= limit <= _MAX_PAGE:
            raise ValidationError(
                "VALIDATION_RANGE_VIOLATION",
                details={"field": "limit", "min": 1, "max": _MAX_PAGE, "unit": "", "value": limit},
            )
        if offset < 0:
            raise ValidationError(
                "VALIDATION_INVALID_VALUE", details={"field": "offset", "reason": "negative"}
            )
        query = select(Job)
        if not all_users:
            query = query.where(Job.user_id == user_id)
        if status is not None:
            query = query.where(Job.status == _parse_status(status, "status").value)
        query = query.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit).offset(offset)
        with read_session(self._sessions) as session:
            return [JobRecord.from_row(row) for row in session.scalars(query)]


def _transition(
    session: Session, job_id: str, target: JobStatus, reason: str, fields: Mapping[str, Any]
) -> JobRecord:
    # Each failed conditional UPDATE means the status moved forward; the life cycle is
    # at most two steps deep, so this loop ends after a few rounds at most.
    for _ in range(len(JobStatus)):
        current = session.scalar(select(Job.status).where(Job.id == job_id))
        if current is None:
            raise _job_not_found(job_id)
        if not can_transition(current, target):
            raise ConflictError(
                "JOB_INVALID_TRANSITION",
                details={"job_id": job_id, "from_status": current, "to_status": target.value},
                job_id=job_id,
            )
        now = utc_now()
        values: dict[str, Any] = {**fields, "status": target.value, "updated_at": now}
        if target is JobStatus.RUNNING:
            values["started_at"] = now
        if target in TERMINAL_STATUSES:
            values["finished_at"] = now
        if target is JobStatus.SUCCEEDED:
            values.setdefault("progress_pct", 100.0)
        result = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == current)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], result).rowcount != 1:
            continue
        session.add(
            JobTransition(
                job_id=job_id, from_status=current, to_status=target.value, reason=reason, at=now
            )
        )
        session.flush()
        row = session.get(Job, job_id, populate_existing=True)
        assert row is not None  # we just updated it inside this transaction
        return JobRecord.from_row(row)
    raise ConflictError(
        "JOB_INVALID_TRANSITION",
        details={"job_id": job_id, "from_status": "changing", "to_status": target.value},
        job_id=job_id,
    )


def _find_by_key(session: Session, user_id: str | None, key: str) -> Job | None:
    owner = Job.user_id.is_(None) if user_id is None else Job.user_id == user_id
    return session.scalars(select(Job).where(owner, Job.idempotency_key == key)).first()


def _replay(existing: Job, kind: str, request_hash: str) -> JobRecord:
    if existing.request_hash != request_hash or existing.kind != kind:
        raise ConflictError(
            "IDEMPOTENCY_CONFLICT",
            details={"key": existing.idempotency_key},
            job_id=existing.id,
        )
    return JobRecord.from_row(existing)


def _parse_status(value: JobStatus | str, field: str) -> JobStatus:
    try:
        return JobStatus(value)
    except ValueError:
        allowed = ", ".join(status.value for status in JobStatus)
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": field, "reason": f"'{value}' is not one of {allowed}"},
        ) from None


def _check_fields(fields: Mapping[str, Any]) -> None:
    unknown = sorted(set(fields) - UPDATABLE_FIELDS)
    if unknown:
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": unknown[0], "reason": "not a job field that can be updated"},
        )
    pct = fields.get("progress_pct")
    if pct is not None and not 0.0 <= float(pct) <= 100.0:
        raise ValidationError(
            "VALIDATION_RANGE_VIOLATION",
            details={"field": "progress_pct", "min": 0, "max": 100, "unit": "%", "value": pct},
        )


def _artefact_row(job_id: str, spec: Mapping[str, Any], now: datetime) -> Artefact:
    missing = [key for key in _ARTEFACT_REQUIRED if key not in spec]
    if missing:
        raise ValidationError("VALIDATION_MISSING_FIELD", details={"field": missing[0]})
    unknown = sorted(set(spec) - set(_ARTEFACT_REQUIRED) - set(_ARTEFACT_OPTIONAL))
    if unknown:
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": unknown[0], "reason": "not an artefact field"},
        )
    return Artefact(
        id=spec.get("id") or new_id(),
        job_id=job_id,
        kind=spec["kind"],
        filename=spec["filename"],
        sha256=spec["sha256"],
        size=int(spec["size"]),
        content_type=spec["content_type"],
        storage_key=spec["storage_key"],
        engine_fingerprint=spec.get("engine_fingerprint"),
        meta=dict(spec.get("meta") or {}),
        created_at=now,
    )


def _job_not_found(job_id: str) -> NotFoundError:
    return NotFoundError("NOT_FOUND_JOB", details={"job_id": job_id}, job_id=job_id)
