"""Per-stream policies of the durable queue: priority class, behaviour when full, TTL.

Examples:
    >>> p = StreamPolicy("vibration", Priority.LOW, on_full="drop_oldest", ttl_s=3600)
    >>> p.priority.name, p.on_full
    ('LOW', 'drop_oldest')
    >>> Priority.CRITICAL < Priority.LOW  # lower value drains first
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

from cad_ml_edge.errors import ConfigError

__all__ = ["ON_FULL_POLICIES", "Priority", "StreamPolicy"]

ON_FULL_POLICIES = ("reject", "drop_oldest")


class Priority(IntEnum):
    """Priority class of a stream; the queue drains lower values first."""

    CRITICAL = 0
    HIGH = 1
    NORMAL = 2
    LOW = 3


@dataclass(frozen=True)
class StreamPolicy:
    """How the queue treats one stream.

    Args:
        name: the stream's name (``"*"`` for the default policy).
        priority: its priority class; an ``int`` is converted to :class:`Priority`.
        on_full: ``"reject"`` raises :class:`~cad_ml_edge.errors.QueueFullError` and
            writes nothing; ``"drop_oldest"`` evicts the stream's oldest whole segments.
        ttl_s: age in seconds after which its segments are dropped; None keeps them.

    Raises:
        ConfigError: an empty name, an unknown priority or policy, a TTL that is not > 0.
    """

    name: str
    priority: Priority = Priority.NORMAL
    on_full: str = "reject"
    ttl_s: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError("EDGE_CONFIG_INVALID", detail="a stream name must be non-empty")
        try:
            object.__setattr__(self, "priority", Priority(self.priority))
        except ValueError as exc:
            raise ConfigError(
                "EDGE_CONFIG_INVALID",
                detail=f"stream {self.name!r}: priority {self.priority!r} is not 0-3",
            ) from exc
        if self.on_full not in ON_FULL_POLICIES:
            raise ConfigError(
                "EDGE_CONFIG_INVALID",
                detail=f"stream {self.name!r}: on_full {self.on_full!r} not in {ON_FULL_POLICIES}",
            )
        if self.ttl_s is not None and not (math.isfinite(self.ttl_s) and self.ttl_s > 0):
            raise ConfigError(
                "EDGE_CONFIG_INVALID",
                detail=f"stream {self.name!r}: ttl_s must be > 0 or None, not {self.ttl_s!r}",
            )
