"""Announcing job progress and failing jobs that died outside their handler.

Shared by the API-side :class:`~cadml.services.design_jobs.DesignJobService` and by
Celery worker processes, which report straight to the bus and the database.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from cadml.db.jobs import JobRepository
from cadml.errors import ConflictError, NotFoundError, error_from_dict
from cadml.jobs.progress import ProgressBus, ProgressEvent

__all__ = ["JobEvents"]

log = logging.getLogger(__name__)


class JobEvents:
    """Progress announcements and out-of-band failures of jobs.

    Args:
        jobs: job repository.
        bus: progress bus.
    """

    def __init__(self, jobs: JobRepository, bus: ProgressBus) -> None:
        self.jobs = jobs
        self.bus = bus

    def announce(self, job_id: str, status: str, pct: float, step: str, message: str) -> None:
        """Publish one progress event."""
        self.bus.publish(
            ProgressEvent(
                job_id=job_id,
                status=status,
                progress_pct=float(pct),
                step=step,
                message=message,
                timestamp=time.time(),
            )
        )

    def on_progress(self, job_id: str, status: str, pct: float, step: str, message: str) -> None:
        """Queue callback: a worker's progress or terminal state."""
        self.announce(job_id, status, pct, step, message)

    def on_failure(self, job_id: str, error: Mapping[str, Any]) -> None:
        """Queue callback: a job died outside its handler; fail it unless already terminal.

        A worker that crashed while an upload job was reading its file was killed by the
        CAD kernel's reader (OCCT's STEP and IGES translators segfault on some corrupt
        files): that job fails with ``UPLOAD_CORRUPT_FILE``, which tells the user what
        to do, rather than ``WORKER_CRASHED``. The worker itself is replaced either way.
        """
        err = error_from_dict({**self._explain(job_id, error), "job_id": job_id})
        try:
            self.jobs.fail(job_id, err.to_dict(), reason=err.code)
        except (ConflictError, NotFoundError):
            log.info("job %s already terminal when its worker failed (%s)", job_id, err.code)
            return
        self.announce(job_id, "failed", 0.0, "failed", err.message())

    def _explain(self, job_id: str, error: Mapping[str, Any]) -> Mapping[str, Any]:
        if error.get("code") != "WORKER_CRASHED":
            return error
        try:
            job = self.jobs.get(job_id)
        except NotFoundError:
            return error
        if job.kind != "design.upload" or job.step != "import":
            return error
        upload = (job.request or {}).get("upload", {})
        return {
            "code": "UPLOAD_CORRUPT_FILE",
            "details": {
                "format": upload.get("format"),
                "reason": "the CAD kernel crashed while reading the file",
            },
        }
