"""A separate process that uses the metadata database, for the multi-process tests.

Not a test module. Run as ``python db_process.py MODE URL [ARGS...]``; it prints
``ready``, waits for one line on stdin (so the parent can start several processes at
the same instant), does its work and prints one JSON line with what happened.

Modes:
    upgrade URL
        Migrate to head; report the revision.
    race URL USER_ID COUNT
        For i in 0..COUNT-1: create the job with idempotency key ``key-i`` (all
        processes use the same keys), try to start it, and if this process won the
        start, report progress and complete it with one artefact.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def _upgrade(url: str) -> dict[str, Any]:
    from cadml.db import current_revision, upgrade

    upgrade(url)
    return {"revision": current_revision(url)}


def _race(url: str, user_id: str, count: int) -> dict[str, Any]:
    from cadml.db import JobRepository, JobStatus, make_engine, make_session_factory
    from cadml.errors import ConflictError

    engine = make_engine(url)
    jobs = JobRepository(make_session_factory(engine))
    summary = {"created": 0, "started": 0, "lost_start": 0, "completed": 0, "errors": []}
    try:
        for i in range(count):
            body = {"index": i}
            job, created = jobs.create(
                "test.race", body, f"hash-{i}", user_id, f"key-{i}", f"req-{os.getpid()}"
            )
            summary["created"] += int(created)
            try:
                jobs.transition(job.id, JobStatus.RUNNING, reason="picked", worker=str(os.getpid()))
            except ConflictError as error:
                if error.code != "JOB_INVALID_TRANSITION":
                    raise
                summary["lost_start"] += 1
                continue
            summary["started"] += 1
            jobs.update_progress(job.id, 50.0, "export", f"pid {os.getpid()}")
            artefact = {
                "kind": "step",
                "filename": f"{i}.step",
                "sha256": f"{i:064x}",
                "size": i,
                "content_type": "model/step",
                "storage_key": f"k/{i}",
            }
            jobs.complete(job.id, [artefact], {"index": i})
            summary["completed"] += 1
    except Exception as error:  # reported to the parent, which fails the test
        summary["errors"].append(f"{type(error).__name__}: {error}")
    finally:
        engine.dispose()
    return summary


def main(argv: list[str]) -> None:
    """Run one mode (see the module docstring)."""
    mode, url, *rest = argv
    print("ready", flush=True)
    sys.stdin.readline()
    if mode == "upgrade":
        result = _upgrade(url)
    elif mode == "race":
        result = _race(url, rest[0], int(rest[1]))
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
