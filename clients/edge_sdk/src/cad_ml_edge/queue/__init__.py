"""The durable store-and-forward queue (SQLite WAL, priorities, TTL, size cap, CRCs).

- :mod:`~cad_ml_edge.queue.policy`: :class:`Priority`, :class:`StreamPolicy`.
- :mod:`~cad_ml_edge.queue.segment`: :class:`Segment` and its on-disk codec.
- :mod:`~cad_ml_edge.queue.alerts`: capacity threshold crossings.
- :mod:`~cad_ml_edge.queue.store`: :class:`DurableQueue`, :class:`QueueStatus`.
"""

from __future__ import annotations

from cad_ml_edge.queue.policy import Priority, StreamPolicy
from cad_ml_edge.queue.segment import Segment
from cad_ml_edge.queue.store import DurableQueue, QueueStatus

__all__ = ["DurableQueue", "Priority", "QueueStatus", "Segment", "StreamPolicy"]
