"""Two processes writing the same database at once (API and worker processes do)."""

from __future__ import annotations

import secrets

from sqlalchemy import Engine, func, select

from cadml.db import ArtefactRepository, JobRepository, JobStatus, UserRepository
from cadml.db.models import Artefact, Job

JOBS_PER_RUN = 40


def test_two_processes_race_on_the_same_jobs(
    database_url: str,
    engine: Engine,
    users: UserRepository,
    jobs: JobRepository,
    artefacts: ArtefactRepository,
    run_together,
) -> None:
    owner = users.create_user(f"racer-{secrets.token_hex(4)}", None)
    argv = ["race", database_url, owner.id, str(JOBS_PER_RUN)]
    total = 3 * JOBS_PER_RUN  # the shared jobs plus each process's own

    reports = run_together([[*argv, "a"], [*argv, "b"]])

    assert [r["errors"] for r in reports] == [[], []]
    assert sum(r["created"] for r in reports) == total
    assert sum(r["started"] for r in reports) == total
    assert sum(r["lost_start"] for r in reports) == JOBS_PER_RUN  # each shared job once
    assert sum(r["completed"] for r in reports) == total
    assert all(r["completed"] >= JOBS_PER_RUN for r in reports)  # both wrote throughout
    assert jobs.count_for_user(owner.id) == total
    assert jobs.count_for_user(owner.id, JobStatus.SUCCEEDED) == total
    for job in jobs.list_for_user(owner.id, limit=total):
        trail = [(t.from_status, t.to_status) for t in jobs.transitions(job.id)]
        assert trail == [
            (None, JobStatus.QUEUED),
            (JobStatus.QUEUED, JobStatus.RUNNING),
            (JobStatus.RUNNING, JobStatus.SUCCEEDED),
        ]
        assert job.metrics == job.request
        [artefact] = artefacts.list_for_job(job.id)
        assert artefact.size == job.request["index"]
    with engine.connect() as connection:
        stored = connection.scalar(
            select(func.count())
            .select_from(Artefact)
            .join(Job, Job.id == Artefact.job_id)
            .where(Job.user_id == owner.id)
        )
    assert stored == total
