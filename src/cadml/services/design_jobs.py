"""Design-job use cases on the API side: submit, look up, cancel, recover.

The geometry itself runs elsewhere (:mod:`cadml.services.design_worker`, inside a
worker process). This service validates and canonicalises the request *before* a job
exists, so bad input gets a 4xx and never a failed job; it records the job with its
idempotency key, hands it to the queue and announces progress on the bus.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from cadml.artefacts.port import ArtefactStore
from cadml.db.artefacts import ArtefactRepository
from cadml.db.job_status import JobStatus
from cadml.db.jobs import JobRepository
from cadml.designs.check import canonicalize_check_request
from cadml.designs.params import canonicalize_params_request, design_cache_key
from cadml.designs.upload import canonicalize_upload_request, check_upload_size
from cadml.errors import NotFoundError, ValidationError
from cadml.jobs.port import JobQueue
from cadml.jobs.progress import ProgressBus
from cadml.services.auth import Principal
from cadml.services.job_events import JobEvents

__all__ = ["CHECK_JOB_KIND", "PARAMS_JOB_KIND", "UPLOAD_JOB_KIND", "DesignJobService"]

log = logging.getLogger(__name__)

PARAMS_JOB_KIND = "design.params"
UPLOAD_JOB_KIND = "design.upload"
CHECK_JOB_KIND = "design.check"
_DESIGN_KINDS = (PARAMS_JOB_KIND, UPLOAD_JOB_KIND)


class DesignJobService:
    """Submits design jobs and tracks them.

    Args:
        jobs: job repository.
        artefacts: artefact-record repository.
        queue: where jobs run.
        bus: where progress is announced.
        store: where uploaded files are kept (content-addressed) for the worker.
        recover_queued: re-submit jobs found ``queued`` at start-up (embedded pool only;
            a broker keeps its own queue).
    """

    def __init__(
        self,
        jobs: JobRepository,
        artefacts: ArtefactRepository,
        queue: JobQueue,
        bus: ProgressBus,
        store: ArtefactStore,
        *,
        recover_queued: bool = True,
    ) -> None:
        self.jobs = jobs
        self.store = store
        self.artefacts = artefacts
        self.queue = queue
        self.events = JobEvents(jobs, bus)
        self.recover_queued = recover_queued

    # ------------------------------------------------------------- submit
    def submit_params(
        self,
        body: Mapping[str, Any],
        principal: Principal,
        *,
        idempotency_key: str | None = None,
        request_id: str | None = None,
    ) -> tuple[Any, bool]:
        """Validate a params request and queue it; returns ``(job, created)``.

        The same ``idempotency_key`` with the same (canonical) body returns the first job
        with ``created`` false; with another body it raises ``IDEMPOTENCY_CONFLICT``.

        Raises:
            ValidationError: the request breaks a rule (nothing is created).
            ConflictError: the idempotency key was used for another body.
        """
        canonical = canonicalize_params_request(body)
        return self._submit(PARAMS_JOB_KIND, canonical, principal, idempotency_key, request_id)

    def submit_upload(
        self,
        data: bytes,
        filename: str,
        fields: Mapping[str, Any],
        principal: Principal,
        *,
        idempotency_key: str | None = None,
        request_id: str | None = None,
    ) -> tuple[Any, bool]:
        """Store an uploaded CAD file and queue its import; returns ``(job, created)``.

        The request is checked (size, extension, options, material and process) before
        anything is stored; the file is then kept content-addressed, so the same file
        uploaded twice is stored once and its job's cache key depends on its content.

        Raises:
            ValidationError: an ``UPLOAD_*`` or ``VALIDATION_*`` code (nothing created).
            ConflictError: the idempotency key was used for another request.
        """
        check_upload_size(len(data))
        canonicalize_upload_request(
            filename=filename, size=len(data), sha256="0" * 64, key="0" * 64, fields=fields
        )
        stored = self.store.put(data, content_type="application/octet-stream")
        canonical = canonicalize_upload_request(
            filename=filename, size=len(data), sha256=stored.sha256, key=stored.key, fields=fields
        )
        return self._submit(UPLOAD_JOB_KIND, canonical, principal, idempotency_key, request_id)

    def submit_check(
        self,
        design_job_id: str,
        body: Mapping[str, Any],
        principal: Principal,
        *,
        request_id: str | None = None,
    ) -> tuple[Any, bool]:
        """Queue a manufacturability check of a finished design; returns ``(job, created)``.

        Raises:
            NotFoundError: ``NOT_FOUND_JOB`` if the design is not visible to the principal.
            ValidationError: ``VALIDATION_DESIGN_NOT_READY`` if it has not succeeded (or
                is not a design), or a bad process, material or option.
        """
        design, brep = self.design_brep(design_job_id, principal)
        default_material = (design.metrics or {}).get("material")
        canonical = canonicalize_check_request(
            design.id, brep.storage_key, body, default_material=default_material
        )
        return self.submit(CHECK_JOB_KIND, canonical, principal, request_id=request_id)

    def design_brep(
        self, design_job_id: str, principal: Principal, field: str = "design_id"
    ) -> tuple[Any, Any]:
        """A finished design visible to the principal and its exact BREP artefact record.

        Raises:
            NotFoundError: ``NOT_FOUND_JOB`` if the design is not visible.
            ValidationError: ``VALIDATION_DESIGN_NOT_READY`` unless it is a design job
                that succeeded and has a BREP artefact; ``details["field"]`` is ``field``.
        """
        design = self.get_job(design_job_id, principal)
        if design.kind not in _DESIGN_KINDS or str(design.status) != "succeeded":
            raise ValidationError(
                "VALIDATION_DESIGN_NOT_READY",
                details={"field": field, "design_id": design_job_id, "status": str(design.status)},
            )
        brep = [a for a in self.artefacts.list_for_job(design.id) if a.kind == "brep"]
        if not brep:
            raise ValidationError(
                "VALIDATION_DESIGN_NOT_READY",
                details={"field": field, "design_id": design_job_id, "status": "no brep"},
            )
        return design, brep[0]

    def submit(
        self,
        kind: str,
        canonical: dict[str, Any],
        principal: Principal,
        *,
        idempotency_key: str | None = None,
        request_id: str | None = None,
    ) -> tuple[Any, bool]:
        """Record a job of ``kind`` for an already canonical request and queue it."""
        return self._submit(kind, canonical, principal, idempotency_key, request_id)

    def _submit(
        self,
        kind: str,
        canonical: dict[str, Any],
        principal: Principal,
        idempotency_key: str | None,
        request_id: str | None,
    ) -> tuple[Any, bool]:
        job, created = self.jobs.create(
            kind=kind,
            request=canonical,
            request_hash=design_cache_key(canonical),
            user_id=principal.user_id,
            idempotency_key=idempotency_key,
            request_id=request_id,
        )
        if created:
            self._announce(job.id, "queued", 0.0, "queued", "waiting for a worker")
            self.queue.submit(job.id, {"kind": kind, "canonical": canonical})
        return job, created

    # ------------------------------------------------------------- lookups
    def get_job(self, job_id: str, principal: Principal) -> Any:
        """The job, if the principal may see it (its owner or an admin).

        Raises:
            NotFoundError: ``NOT_FOUND_JOB`` (also for other users' jobs).
        """
        job = self.jobs.get(job_id)
        if job.user_id != principal.user_id and not principal.is_admin:
            raise NotFoundError("NOT_FOUND_JOB", details={"job_id": job_id})
        return job

    def list_jobs(
        self, principal: Principal, *, limit: int = 50, offset: int = 0, status: str | None = None
    ) -> list[Any]:
        """The principal's jobs, newest first."""
        return list(
            self.jobs.list_for_user(principal.user_id, limit=limit, offset=offset, status=status)
        )

    def list_artefacts(self, job_id: str, principal: Principal) -> list[Any]:
        """Artefact records of a visible job (empty until it succeeds)."""
        self.get_job(job_id, principal)
        return list(self.artefacts.list_for_job(job_id))

    def get_artefact(self, artefact_id: str, principal: Principal) -> Any:
        """One artefact record of a visible job.

        Raises:
            NotFoundError: ``NOT_FOUND_ARTEFACT``.
        """
        record = self.artefacts.get(artefact_id)
        try:
            self.get_job(record.job_id, principal)
        except NotFoundError as exc:
            raise NotFoundError("NOT_FOUND_ARTEFACT", details={"artefact_id": artefact_id}) from exc
        return record

    # -------------------------------------------------------------- cancel
    def cancel(self, job_id: str, principal: Principal) -> Any:
        """Cancel a queued or running job.

        Raises:
            ConflictError: ``JOB_INVALID_TRANSITION`` when it has already finished.
        """
        job = self.get_job(job_id, principal)
        updated = self.jobs.transition(
            job.id, JobStatus.CANCELLED, reason=f"cancelled by {principal.username}"
        )
        self.queue.cancel(job.id)
        self._announce(
            job.id,
            "cancelled",
            float(job.progress_pct or 0.0),
            "cancelled",
            "cancelled by the user",
        )
        return updated

    # -------------------------------------------------- queue callbacks
    def on_progress(self, job_id: str, status: str, pct: float, step: str, message: str) -> None:
        """Forward a worker's progress (or terminal state) to subscribers."""
        self.events.on_progress(job_id, status, pct, step, message)

    def on_failure(self, job_id: str, error: Mapping[str, Any]) -> None:
        """A job died outside its handler: fail it unless it already finished."""
        self.events.on_failure(job_id, error)

    def recover(self) -> dict[str, int]:
        """At start-up: fail jobs left ``running`` by a previous process; re-queue ``queued``."""
        interrupted = requeued = 0
        if self.recover_queued:
            for job_id in self.jobs.ids_in_status(JobStatus.RUNNING):
                self.on_failure(job_id, {"code": "JOB_INTERRUPTED"})
                interrupted += 1
            for job_id in self.jobs.ids_in_status(JobStatus.QUEUED):
                job = self.jobs.get(job_id)
                self.queue.submit(job.id, {"kind": job.kind, "canonical": job.request})
                requeued += 1
        return {"interrupted": interrupted, "requeued": requeued}

    def _announce(self, job_id: str, status: str, pct: float, step: str, message: str) -> None:
        self.events.announce(job_id, status, pct, step, message)
