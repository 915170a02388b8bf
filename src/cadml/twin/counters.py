"""What the ingest pipeline has done: a snapshot of its counters and its Prometheus metrics.

:class:`IngestCounters` is the plain snapshot (``cadml ingest --stats-every``, the HTTP
status route, the benchmark); :class:`IngestMetrics` are the same numbers as Prometheus
instruments named ``cadml_twin_ingest_*``, registered in a registry the caller chooses
(the API passes its own; by default each pipeline gets a fresh one, so tests stay
isolated).

Examples:
    >>> c = IngestCounters(received=3, written=2, duplicates=1)
    >>> c.accounted
    3
    >>> c.as_dict()["dropped"]
    {}
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["IngestCounters", "IngestMetrics"]


@dataclass(frozen=True)
class IngestCounters:
    """A snapshot of the pipeline's counters since it was built.

    Args:
        received: frames accepted into the queue.
        written: frames the store stored for the first time.
        duplicates: frames the store already had (idempotent resends, redeliveries).
        dropped: frames refused or abandoned by the pipeline, by reason (``overloaded``:
            the queue was full and the sender was told to resend; ``shutdown``: the
            pipeline stopped before committing them, and they were not acknowledged).
        rejected: bad frames by ``TWIN_FRAME_*`` reason code (never queued).
        queue_depth: frames waiting in the queue now.
        in_flight: frames taken by the writer and not yet committed.
        batches: store commits.
        store_errors: failed store writes (each is retried).
        last_commit_s: duration of the last successful ``store.write``.
        last_batch_frames: size of the last committed batch.
    """

    received: int = 0
    written: int = 0
    duplicates: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    queue_depth: int = 0
    in_flight: int = 0
    batches: int = 0
    store_errors: int = 0
    last_commit_s: float = 0.0
    last_batch_frames: int = 0

    @property
    def accounted(self) -> int:
        """Frames that reached a final state in the store (written + duplicates)."""
        return self.written + self.duplicates

    def as_dict(self) -> dict[str, Any]:
        """The snapshot as plain data (JSON-ready)."""
        return asdict(self)

    def summary(self) -> str:
        """One log line: the counts an operator watches."""
        dropped = sum(self.dropped.values())
        rejected = sum(self.rejected.values())
        return (
            f"received={self.received} written={self.written} duplicates={self.duplicates} "
            f"dropped={dropped} rejected={rejected} queue={self.queue_depth} "
            f"in_flight={self.in_flight} batches={self.batches} "
            f"store_errors={self.store_errors} last_commit_ms={self.last_commit_s * 1e3:.1f}"
        )


@dataclass
class IngestMetrics:
    """The pipeline's Prometheus instruments (``cadml_twin_ingest_*``)."""

    registry: CollectorRegistry
    received: Counter
    written: Counter
    duplicates: Counter
    dropped: Counter
    rejected: Counter
    batches: Counter
    store_errors: Counter
    queue_depth: Gauge
    commit_seconds: Histogram
    batch_frames: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None) -> IngestMetrics:
        """Every instrument, registered in ``registry`` (a fresh one when None).

        Raises:
            ValueError: the registry already holds ``cadml_twin_ingest_*`` metrics.
        """
        reg = registry if registry is not None else CollectorRegistry()
        return cls(
            registry=reg,
            received=Counter(
                "cadml_twin_ingest_frames_received_total",
                "Telemetry frames accepted into the ingest queue",
                registry=reg,
            ),
            written=Counter(
                "cadml_twin_ingest_frames_written_total",
                "Telemetry frames stored for the first time",
                registry=reg,
            ),
            duplicates=Counter(
                "cadml_twin_ingest_frames_duplicate_total",
                "Telemetry frames already stored (resends, redeliveries)",
                registry=reg,
            ),
            dropped=Counter(
                "cadml_twin_ingest_frames_dropped_total",
                "Telemetry frames refused or abandoned by the pipeline",
                ["reason"],
                registry=reg,
            ),
            rejected=Counter(
                "cadml_twin_ingest_frames_rejected_total",
                "Bad telemetry frames by reason code",
                ["reason"],
                registry=reg,
            ),
            batches=Counter(
                "cadml_twin_ingest_batches_total", "Store commits of the pipeline", registry=reg
            ),
            store_errors=Counter(
                "cadml_twin_ingest_store_errors_total",
                "Failed store writes (retried)",
                registry=reg,
            ),
            queue_depth=Gauge(
                "cadml_twin_ingest_queue_depth", "Frames waiting in the ingest queue", registry=reg
            ),
            commit_seconds=Histogram(
                "cadml_twin_ingest_commit_seconds",
                "Duration of one store commit",
                registry=reg,
                buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            ),
            batch_frames=Histogram(
                "cadml_twin_ingest_batch_frames",
                "Frames per store commit",
                registry=reg,
                buckets=(1, 10, 100, 500, 1000, 2500, 5000, 10000, 50000),
            ),
        )
