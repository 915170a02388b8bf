"""A separate process that uses the metadata database, for the multi-process tests.

Not a test module. Run as ``python db_process.py MODE URL [ARGS...]``; it prints
``ready``, waits for one line on stdin (so the parent can start several processes at
the same instant), does its work and prints one JSON line with what happened.

Modes:
    upgrade URL
        Migrate to head; report the revision.
    race URL USER_ID COUNT TAG
        For i in 0..COUNT-1, run two jobs: the one with idempotency key ``key-i``
        (all processes share these keys, so they race to create and to start it)
        and a job of this process's own (key ``own-TAG-i``). Running a job means:
        create it, try to start it and, if this process won the start, report
        progress and complete it with one artefact, its request as metrics.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _upgrade(url: str) -> dict[str, Any]:
    from cadml.db import current_revision, upgrade

    upgrade(url)
    return {"revision": current_revision(url)}


def _race(url: str, user_id: str, count: int, tag: str) -> dict[str, Any]:
    from cadml.db import JobRepository, JobStatus, make_engine, make_session_factory
    from cadml.errors import ConflictError

    engine = make_engine(url)
    jobs = JobRepository(make_session_factory(engine))
    summary: dict[str, Any] = {
        "created": 0,
        "started": 0,
        "lost_start": 0,
        "completed": 0,
        "errors": [],
    }

    def run(body: dict[str, Any], key: str) -> None:
        job, created = jobs.create("test.race", body, json.dumps(body), user_id, key, tag)
        summary["created"] += int(created)
        try:
            jobs.transition(job.id, JobStatus.RUNNING, reason="picked", worker=tag)
        except ConflictError as error:
            if error.code != "JOB_INVALID_TRANSITION":
                raise
            summary["lost_start"] += 1
            return
        summary["started"] += 1
        jobs.update_progress(job.id, 50.0, "export", f"process {tag}")
        index = body["index"]
        artefact = {
            "kind": "step",
            "filename": f"{index}.step",
            "sha256": f"{index:064x}",
            "size": index,
            "content_type": "model/step",
            "storage_key": f"k/{tag}/{index}",
        }
        jobs.complete(job.id, [artefact], body)
        summary["completed"] += 1

    try:
        for i in range(count):
            run({"index": i}, f"key-{i}")
            run({"index": i, "owner": tag}, f"own-{tag}-{i}")
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
        result = _race(url, rest[0], int(rest[1]), rest[2])
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
