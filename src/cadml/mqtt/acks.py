"""In-order acknowledgements for QoS 1 messages that are committed out of band.

MQTT requires a client to send PUBACKs in the order the PUBLISHes arrived. A message is
*ready* once its frames are committed (or it was rejected, which it will always be); the
tracker releases message ids only from the head of the arrival order, so a slow message
holds back the acks of later ones (they are committed, just not yet acknowledged).

A reconnect starts a new generation: the broker redelivers every unacknowledged message
of the old connection (persistent session), so readiness reported for an old
generation's slot is ignored; an ack must never reach a new connection with an old
packet id.

Examples:
    >>> t = AckTracker()
    >>> gen = t.reset()
    >>> a, b = t.track(1), t.track(2)
    >>> t.ready(b); t.take()
    []
    >>> t.ready(a); t.take()
    [1, 2]
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

__all__ = ["AckSlot", "AckTracker"]


@dataclass(slots=True)
class AckSlot:
    """Received QoS 1 messages (one, or a whole read) waiting for their acknowledgement."""

    mids: list[int]
    generation: int
    ready: bool = False
    failed: bool = False


class AckTracker:
    """Releases packet ids for PUBACK in arrival order, per connection generation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: deque[AckSlot] = deque()
        self._out: list[int] = []
        self._generation = 0
        self._unresolved = 0

    @property
    def generation(self) -> int:
        """The current connection generation."""
        return self._generation

    def reset(self) -> int:
        """Start a new connection generation, forgetting every pending slot."""
        with self._lock:
            self._generation += 1
            self._pending.clear()
            self._out.clear()
            self._unresolved = 0
            return self._generation

    def track(self, mid: int) -> AckSlot:
        """Register a received message, in arrival order."""
        return self.track_many([mid])

    def track_many(self, mids: list[int]) -> AckSlot:
        """Register received messages that are committed together, in arrival order."""
        with self._lock:
            slot = AckSlot(mids, self._generation)
            self._pending.append(slot)
            self._unresolved += len(mids)
            return slot

    def ready(self, slot: AckSlot) -> None:
        """The slot's message is committed (or rejected for good): it may be acknowledged."""
        with self._lock:
            if slot.generation != self._generation or slot.ready or slot.failed:
                return
            slot.ready = True
            self._unresolved -= len(slot.mids)
            pending = self._pending
            while pending and pending[0].ready:
                self._out.extend(pending.popleft().mids)

    def fail(self, slot: AckSlot) -> None:
        """The slot's message will not be acknowledged on this connection (redelivered later)."""
        with self._lock:
            if slot.generation != self._generation or slot.ready or slot.failed:
                return
            slot.failed = True
            self._unresolved -= len(slot.mids)

    def take(self) -> list[int]:
        """The packet ids to acknowledge now, in order (and forget them)."""
        if not self._out:
            return []
        with self._lock:
            out, self._out = self._out, []
            return out

    @property
    def unresolved(self) -> int:
        """Messages of this generation neither ready nor failed."""
        return self._unresolved

    @property
    def pending_acks(self) -> int:
        """Packet ids released but not yet taken."""
        return len(self._out)
