"""The retention schedule runs passes, survives a failing pass, and stops."""

from __future__ import annotations

import threading

from polling import wait_for

from cadml.services.twin_retention import RetentionScheduler


def test_passes_run_and_a_failure_does_not_end_the_schedule() -> None:
    calls: list[int] = []
    lock = threading.Lock()

    def apply() -> dict[str, int]:
        with lock:
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("store down")
        return {"d": 1}

    scheduler = RetentionScheduler(apply, interval_s=0.01)
    scheduler.start()
    wait_for(lambda: len(calls) >= 4, timeout_s=10)
    scheduler.stop()
    stopped_at = len(calls)
    assert scheduler.passes == stopped_at - 1  # one pass failed
    threading.Event().wait(0.1)  # ten intervals
    assert len(calls) == stopped_at  # nothing runs after stop
