"""What every uplink promises the forwarder: :class:`Uplink` and :class:`SendResult`.

An uplink sends one batch (bytes, a MsgPack list of telemetry frames) to the platform.
Its :meth:`Uplink.send` has exactly three outcomes:

* it returns ``SendResult(accepted=True)``: the platform confirmed the batch (HTTP 2xx,
  MQTT PUBACK), so the forwarder may acknowledge it in the queue;
* it returns ``SendResult(accepted=False)``: the platform answered and refused this batch
  for good (a content error such as HTTP 400 or 422); resending it would never succeed,
  so the forwarder isolates and drops the offending segment and counts it;
* it raises :class:`~cad_ml_edge.errors.UplinkError` (``EDGE_UPLINK_FAILED``): the outcome
  is unknown or temporary (no connection, timeout, 5xx, 429); the batch stays buffered
  and is sent again after a backoff. ``error.details["retry_after"]``, when present, is
  the platform's minimum wait in seconds.

Examples:
    >>> ok = SendResult(accepted=True, status=200)
    >>> ok.error is None
    True
    >>> bad = SendResult(accepted=False, status=422, detail="timestamp missing")
    >>> bad.error.code
    'EDGE_UPLINK_REJECTED'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from cad_ml_edge.errors import EdgeError

__all__ = ["SendResult", "Uplink"]


@dataclass(frozen=True)
class SendResult:
    """The platform's definitive answer to one batch.

    Attributes:
        accepted: True when the platform confirmed the batch.
        status: the HTTP status, or 0 for MQTT.
        detail: the platform's explanation (truncated), mostly for rejections.
    """

    accepted: bool
    status: int = 0
    detail: str = ""

    @property
    def error(self) -> EdgeError | None:
        """``EDGE_UPLINK_REJECTED`` for a refused batch, None for an accepted one."""
        if self.accepted:
            return None
        return EdgeError("EDGE_UPLINK_REJECTED", status=self.status, detail=self.detail)


@runtime_checkable
class Uplink(Protocol):
    """A connection to the platform for one device (HTTP, MQTT or a test double)."""

    def send(self, batch: bytes) -> SendResult:
        """Send one MsgPack batch and wait for the platform's confirmation.

        Returns:
            The platform's definitive answer (accepted or rejected for good).

        Raises:
            UplinkError: the outcome is unknown or temporary; send the batch again later.
        """
        ...

    def close(self) -> None:
        """Release connections and threads; :meth:`send` may reconnect afterwards."""
        ...
