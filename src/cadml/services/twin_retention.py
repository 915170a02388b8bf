"""Applies the twin's retention on a schedule, on a daemon thread of the server process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["RetentionScheduler"]

log = logging.getLogger(__name__)


class RetentionScheduler:
    """Calls ``apply()`` every ``interval_s`` seconds until stopped; errors are logged.

    Args:
        apply: the retention pass (returns raw frames deleted per device).
        interval_s: seconds between passes; the first runs one interval after start.
    """

    def __init__(self, apply: Callable[[], dict[str, int]], interval_s: float) -> None:
        self._apply = apply
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0

    def start(self) -> None:
        """Start the schedule (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="twin-retention", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the schedule; a pass in progress finishes first."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60.0)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                deleted = self._apply()
            except Exception:  # a failed pass must not end the schedule
                log.exception("twin retention pass failed")
                continue
            self.passes += 1
            if any(deleted.values()):
                log.info(
                    "twin retention deleted %d raw frames of %d devices",
                    sum(deleted.values()),
                    len(deleted),
                )
