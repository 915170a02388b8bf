"""Job handlers for pool tests: each payload ``action`` misbehaves in one way.

Spawned worker processes import this module by name, so tests put ``tests/support`` on
``sys.path`` (spawn hands the parent's path to the child).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Mapping
from typing import Any


class FakeHandler:
    """A handler whose behaviour is chosen per job by ``payload['action']``."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.jobs_run = 0

    def warm_up(self) -> None:
        if self.config.get("fail_warm_up"):
            raise RuntimeError("warm-up failed on purpose")

    def handle(self, job_id: str, payload: Mapping[str, Any], progress: Any) -> dict[str, Any]:
        self.jobs_run += 1
        action = payload.get("action", "ok")
        progress(10.0, "start", f"{action} in pid {os.getpid()}")
        if action == "ok":
            print("kernel noise on stdout")  # must not break the pipe protocol
            progress(50.0, "work", f"job number {self.jobs_run}")
            return {"status": "succeeded", "message": str(os.getpid())}
        if action == "handled_failure":
            return {"status": "failed", "message": "geometry said no"}
        if action == "sleep":
            time.sleep(float(payload.get("seconds", 60)))
            return {"status": "succeeded", "message": "slept"}
        if action == "segfault":
            os.kill(os.getpid(), signal.SIGSEGV)
        if action == "exit":
            os._exit(3)
        if action == "raise":
            raise ValueError("escaped the handler")
        if action == "busy":
            end = time.monotonic() + float(payload.get("seconds", 60))
            x = 0
            while time.monotonic() < end:
                x += 1
            return {"status": "succeeded", "message": str(x)}
        if action == "allocate":
            chunks = []
            for _ in range(int(payload.get("mb", 4096)) // 16):
                chunks.append(bytearray(16 << 20))
                time.sleep(0.001)
            return {"status": "succeeded", "message": str(len(chunks))}
        print(f"unknown action {action}", file=sys.stderr)
        return {"status": "failed", "message": "unknown action"}


def create(config: dict[str, Any]) -> FakeHandler:
    """Factory named as ``fake_handlers:create``."""
    return FakeHandler(config)
