"""The design-job handler that runs inside a geometry worker process.

It takes a queued job, marks it running, builds the part, stores every artefact in the
content-addressed store and then — in one database transaction — records the
artefacts and marks the job succeeded. If anything fails before that commit the job
ends ``failed`` with a coded error; the stored blobs are content-addressed, so an
orphan is harmless and never visible as an artefact of a "succeeded" job.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from typing import Any

from cadml.artefacts.port import ArtefactStore
from cadml.db.job_status import JobStatus
from cadml.db.jobs import JobRepository
from cadml.errors import CadmlError, ConflictError, NotFoundError
from cadml.jobs.port import ProgressCallback
from cadml.observability import job_id_var

__all__ = ["DesignJobHandler"]

log = logging.getLogger(__name__)

_DB_PROGRESS_EVERY_S = 0.25


class DesignJobHandler:
    """Runs ``design.*`` jobs. Implements :class:`cadml.jobs.port.JobHandler`.

    Args:
        jobs: job repository (the worker's own connection).
        store: artefact store.
        step_timestamp: the fixed timestamp written into STEP headers.
    """

    def __init__(self, jobs: JobRepository, store: ArtefactStore, step_timestamp: str) -> None:
        self.jobs = jobs
        self.store = store
        self.step_timestamp = step_timestamp

    def warm_up(self) -> None:
        """Import the kernel and build one small part."""
        from cadml.geometry.pipeline import warm_up

        warm_up()

    def handle(
        self, job_id: str, payload: Mapping[str, Any], progress: ProgressCallback
    ) -> dict[str, Any]:
        """Run one design job to a terminal state; see the module docstring."""
        token = job_id_var.set(job_id)  # every log line of this job carries its id
        try:
            return self._handle(job_id, payload, progress)
        finally:
            job_id_var.reset(token)

    def _handle(
        self, job_id: str, payload: Mapping[str, Any], progress: ProgressCallback
    ) -> dict[str, Any]:
        try:
            self.jobs.transition(
                job_id, JobStatus.RUNNING, reason="picked up", worker=f"pid:{os.getpid()}"
            )
        except (ConflictError, NotFoundError) as exc:
            # Cancelled (or deleted) while it waited: nothing to do.
            log.info("job %s not runnable: %s", job_id, exc.code)
            return {"status": self._status(job_id), "message": exc.message()}

        last_db_write = 0.0

        def report(pct: float, step: str, message: str) -> None:
            nonlocal last_db_write
            progress(pct, step, message)
            now = time.monotonic()
            if now - last_db_write >= _DB_PROGRESS_EVERY_S:
                last_db_write = now
                self.jobs.update_progress(job_id, pct, step, message)

        try:
            rows, metrics = self._run(payload, report)
            self.jobs.complete(job_id, rows, metrics)
            log.info(
                "job succeeded",
                extra={
                    "duration_ms": round(sum(metrics.get("durations_ms", {}).values()), 3),
                    "artefacts": ",".join(f"{r['kind']}:{r['sha256'][:16]}" for r in rows),
                },
            )
        except ConflictError as exc:
            # The job was cancelled while it ran; its completion was refused atomically.
            return {"status": self._status(job_id), "message": exc.message()}
        except CadmlError as exc:
            exc.job_id = job_id
            self._fail(job_id, exc)
            return {"status": "failed", "message": exc.message()}
        except Exception as exc:
            log.exception("job %s failed unexpectedly", job_id)
            err = CadmlError(
                "INTERNAL_ERROR", details={"exception": type(exc).__name__}, job_id=job_id
            )
            self._fail(job_id, err)
            return {"status": "failed", "message": err.message()}
        return {"status": "succeeded", "message": "artefacts ready"}

    def _run(
        self, payload: Mapping[str, Any], report: ProgressCallback
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Run the job's flow; returns the artefact rows to record and the metrics."""
        kind = payload.get("kind", "design.params")
        canonical = dict(payload["canonical"])
        if kind.startswith("physics."):
            from cadml.services.physics_flows import run_physics

            return [], run_physics(kind, canonical, self.store.get, report)
        if kind == "design.check":
            from cadml.geometry.check_flow import run_check

            return [], run_check(canonical, self.store.get(canonical["brep_key"]), report)
        if kind == "design.upload":
            from cadml.geometry.upload_flow import run_upload

            data = self.store.get(canonical["upload"]["key"])
            result = run_upload(canonical, data, report, step_timestamp=self.step_timestamp)
        else:
            from cadml.geometry.pipeline import run_design

            result = run_design(canonical, report, step_timestamp=self.step_timestamp)
        report(92.0, "store", "storing artefacts")
        rows: list[dict[str, Any]] = []
        t0 = time.perf_counter()
        for blob in result.artefacts:
            stored = self.store.put(blob.data, content_type=blob.content_type)
            rows.append(
                {
                    "kind": blob.kind,
                    "filename": blob.filename,
                    "sha256": stored.sha256,
                    "size": stored.size,
                    "content_type": blob.content_type,
                    "storage_key": stored.key,
                    "engine_fingerprint": result.fingerprint,
                    "meta": {"tolerances": result.tolerances},
                }
            )
        metrics = dict(result.metrics)
        durations = dict(metrics.get("durations_ms", {}))
        durations["store"] = round((time.perf_counter() - t0) * 1000.0, 3)
        metrics["durations_ms"] = durations
        return rows, metrics

    def _status(self, job_id: str) -> str:
        try:
            return str(self.jobs.get(job_id).status)
        except NotFoundError:
            return "cancelled"

    def _fail(self, job_id: str, err: CadmlError) -> None:
        try:
            self.jobs.fail(job_id, err.to_dict(), reason=err.code)
        except (ConflictError, NotFoundError):
            log.info("job %s already terminal; not failing it with %s", job_id, err.code)
