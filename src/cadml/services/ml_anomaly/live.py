"""The live monitor: replaying or following the store, and hooks on the ingest pipeline."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from cadml.errors import CadmlError
from cadml.ml.anomaly.fields import numeric_query
from cadml.ml.anomaly.monitor import AnomalyMonitor
from cadml.services.ml_anomaly.training import MAX_TRAINING_FRAMES, read_history
from cadml.timeseries.port import TimeSeriesStore
from cadml.twin.frame import TelemetryFrame, event_key

log = logging.getLogger(__name__)

# -- the live monitor ---------------------------------------------------------------------


def replay(
    store: TimeSeriesStore,
    monitor: AnomalyMonitor,
    *,
    device: str | None = None,
    since: float | None = None,
    until: float | None = None,
    write: bool = False,
    max_frames: int = MAX_TRAINING_FRAMES,
) -> list[TelemetryFrame]:
    """Run a device's stored frames through a monitor, oldest first; returns the alerts
    (and writes them to the store when ``write``; writes are idempotent)."""
    device = device or monitor.trained.metadata.device
    frames = read_history(
        store,
        device,
        since=since,
        until=until,
        fields=numeric_query(monitor.trained.metadata.fields),
        max_frames=max_frames,
    )
    alerts = monitor.observe_many(frames)
    alerts += monitor.flush()
    if write and alerts:
        store.write(alerts)
    return alerts


def follow(
    store: TimeSeriesStore,
    monitor: AnomalyMonitor,
    *,
    device: str | None = None,
    since: float | None = None,
    interval_s: float = 2.0,
    duration_s: float | None = None,
    write: bool = True,
    on_alert: Callable[[TelemetryFrame], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Poll a device's new frames from the store and run them through a monitor.

    For a process that is not the ingestor (e.g. ``cadml ml anomaly monitor --follow``);
    inside the server, :func:`attach_monitors` sees every commit without polling.

    Args:
        since: start here (unix s); None starts after the device's newest frame, so
            only frames stored from now on are scored.
        interval_s: pause between two polls.
        duration_s: stop after this long (None: until interrupted).
        write: write each alert to the store as it is raised.
        on_alert: called with each alert.

    Returns:
        The number of alerts raised.
    """
    device = device or monitor.trained.metadata.device
    # `last`: the newest timestamp already seen (frames after it are new); before the
    # first frame, `since` itself is included.
    last: float | None = None
    if since is None:
        state = store.state(device)
        last = None if state is None else state.last_seen
    fields = numeric_query(monitor.trained.metadata.fields)
    deadline = None if duration_s is None else clock() + duration_s
    raised = 0
    while True:
        start = since if last is None else last
        frames = read_history(store, device, since=start, fields=fields)
        fresh = [f for f in frames if last is None or f.timestamp > last]
        alerts = monitor.observe_many(fresh)
        if fresh:
            last = max(f.timestamp for f in fresh)
        if alerts:
            raised += len(alerts)
            if write:
                store.write(alerts)
            for alert in alerts:
                if on_alert is not None:
                    on_alert(alert)
        if deadline is not None and clock() >= deadline:
            return raised
        sleep(interval_s)


class MonitorHook:
    """An ingest-pipeline listener: runs monitors on committed frames and submits their
    alerts.

    It runs on the pipeline's writer thread after each commit (keep monitors few: each
    costs a score per row). Alerts go through ``submit`` (normally the pipeline's own,
    non-blocking), so they are stored and fanned out like any frame; the monitors skip
    them when they come back. A refused submission (the queue is full) is logged and
    counted in ``dropped``, never retried on the writer thread.

    Args:
        monitors: the monitors to run.
        submit: takes a list of alert frames.
    """

    def __init__(
        self,
        monitors: Sequence[AnomalyMonitor],
        submit: Callable[[list[TelemetryFrame]], Any],
    ) -> None:
        self.monitors = list(monitors)
        self.submit = submit
        self.raised = 0
        self.dropped = 0

    def __call__(self, frames: list[TelemetryFrame]) -> None:
        """The listener: observe the committed frames, submit the alerts."""
        alerts = [
            alert
            for frame in frames
            if not event_key(frame)
            for monitor in self.monitors
            if (alert := monitor.observe(frame)) is not None
        ]
        if not alerts:
            return
        self.raised += len(alerts)
        try:
            self.submit(alerts)
        except CadmlError as exc:
            self.dropped += len(alerts)
            log.warning("dropped %d anomaly alert(s): %s", len(alerts), exc.code)


def attach_monitors(pipeline: Any, monitors: Sequence[AnomalyMonitor]) -> MonitorHook:
    """Listen to an :class:`~cadml.twin.pipeline.IngestPipeline` with ``monitors``; their
    alerts are submitted back into it. Returns the hook (for its counters)."""
    hook = MonitorHook(monitors, pipeline.submit)
    pipeline.add_listener(hook)
    return hook
