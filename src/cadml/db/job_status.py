"""The job life cycle: statuses and the transitions allowed between them.

::

    queued ──► running ──► succeeded
      │          ├──────► failed
      │          └──────► cancelled
      ├──────────────────► failed
      └──────────────────► cancelled

Terminal statuses (succeeded, failed, cancelled) are final.

Examples:
    >>> can_transition(JobStatus.QUEUED, JobStatus.RUNNING)
    True
    >>> can_transition("succeeded", "failed")
    False
    >>> sorted(s.value for s in TERMINAL_STATUSES)
    ['cancelled', 'failed', 'succeeded']
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ALLOWED_TRANSITIONS", "TERMINAL_STATUSES", "JobStatus", "can_transition"]


class JobStatus(StrEnum):
    """Where a job is in its life cycle; the value is what the database stores."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ALLOWED_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.FAILED, JobStatus.CANCELLED}),
    JobStatus.RUNNING: frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}),
    JobStatus.SUCCEEDED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}
"""For each status, the statuses a job may move to next."""

TERMINAL_STATUSES: frozenset[JobStatus] = frozenset(
    status for status, targets in ALLOWED_TRANSITIONS.items() if not targets
)
"""Statuses a job never leaves."""


def can_transition(from_status: str, to_status: str) -> bool:
    """Whether a job may move from ``from_status`` to ``to_status``.

    Args:
        from_status: the current status (a :class:`JobStatus` or its value).
        to_status: the requested status.

    Returns:
        True when the transition is in :data:`ALLOWED_TRANSITIONS`.

    Raises:
        ValueError: if either argument is not a job status.
    """
    return JobStatus(to_status) in ALLOWED_TRANSITIONS[JobStatus(from_status)]
