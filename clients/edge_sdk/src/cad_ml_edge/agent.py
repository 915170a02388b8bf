"""The gateway agent: frames in, rules evaluated, everything buffered, the buffer drained.

:class:`EdgeAgent` is the composition ``cad-ml-edge run`` starts. Every frame is evaluated
by the rule engine at once (alerts never wait for a batch) and appended to the telemetry
stream in batches of ``buffer.batch_records`` or every ``buffer.batch_interval_s``.
Alerts go to the critical ``alerts`` stream immediately, so the forwarder sends them
before any telemetry backlog. Rule state is saved on every flush and on stop, so windows
and hysteresis survive a restart.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cad_ml_edge.config import ALERT_STREAM, TELEMETRY_STREAM, EdgeConfig
from cad_ml_edge.errors import EdgeError
from cad_ml_edge.forwarder import Forwarder
from cad_ml_edge.queue import DurableQueue, Priority, StreamPolicy
from cad_ml_edge.rules import AlertEvent, RuleEngine
from cad_ml_edge.uplink.base import Uplink
from cad_ml_edge.wire import TelemetryFrame, encode_frames

__all__ = ["EdgeAgent", "build_uplink"]

log = logging.getLogger("cad_ml_edge")

_PRIORITY = {
    "critical": Priority.CRITICAL,
    "high": Priority.HIGH,
    "normal": Priority.NORMAL,
    "low": Priority.LOW,
}


def build_uplink(config: EdgeConfig) -> Uplink:
    """The uplink named by ``config.uplink`` (MQTT needs the ``[mqtt]`` extra)."""
    up = config.uplink
    if up.kind == "mqtt":
        from cad_ml_edge.uplink.mqtt import MqttUplink

        return MqttUplink(
            host=up.mqtt_host,
            port=up.mqtt_port,
            device_id=config.device_id,
            topic=up.mqtt_topic,
            username=up.mqtt_username,
            password=up.mqtt_password,
            ca_file=up.mqtt_ca,
            cert_file=up.mqtt_cert,
            key_file=up.mqtt_key,
            timeout_s=up.timeout_s,
        )
    from cad_ml_edge.uplink.http import HttpUplink

    return HttpUplink(
        up.url, device_id=config.device_id, api_key=up.api_key, timeout_s=up.timeout_s
    )


def _write_json_atomically(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


class EdgeAgent:
    """Buffer, rules and forwarder for one device.

    Args:
        config: the validated configuration.
        uplink: the uplink to drain into (default: built from the configuration).
        callbacks: Python callables that rules may name in ``{"type": "callback"}`` actions.
        clock: wall clock (seconds), injectable for tests.
        run_command: how command actions are executed (default: ``subprocess.run`` of the
            configured argv, with a timeout).
    """

    def __init__(
        self,
        config: EdgeConfig,
        *,
        uplink: Uplink | None = None,
        callbacks: dict[str, Callable[[AlertEvent], None]] | None = None,
        clock: Callable[[], float] = time.time,
        run_command: Callable[[tuple[str, ...]], None] | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.queue = DurableQueue(
            config.queue_path,
            max_bytes=config.buffer.max_bytes,
            streams=[
                StreamPolicy(s.name, _PRIORITY[s.priority], s.on_full, s.ttl_s)
                for s in config.buffer.streams
            ],
            alert_thresholds=config.buffer.alert_thresholds,
            on_alert=self._on_capacity,
            durability=config.buffer.durability,
        )
        self.engine = RuleEngine(
            config.rules,
            callbacks=callbacks or {},
            command_hook=self._on_command,
            alert_sink=self._on_alert,
        )
        self._restore_rule_state()
        self.forwarder = Forwarder(
            self.queue,
            uplink or build_uplink(config),
            device_id=config.device_id,
            bandwidth_bytes_per_s=config.uplink.bandwidth_bytes_per_s,
        )
        self._run_command = run_command or self._default_run_command
        self._lock = threading.RLock()
        self._pending: list[bytes] = []
        self._first_pending_at = 0.0
        self._state_saved_at = float("-inf")
        self.frames_in = 0
        self.alerts_raised = 0
        self.commands_run = 0

    def _restore_rule_state(self) -> None:
        path = self.config.rule_state_path
        if not path.exists():
            return
        try:
            self.engine.load_state(json.loads(path.read_text("utf-8")))
        except (ValueError, EdgeError) as exc:
            # A damaged state file must not keep the gateway from buffering data: keep it
            # for inspection and start the windows afresh.
            aside = path.with_suffix(".corrupt")
            os.replace(path, aside)
            log.error(
                "rule state %s unreadable (%s); moved to %s, starting fresh", path, exc, aside
            )

    # ------------------------------------------------------------- frames in
    def ingest(self, frame: TelemetryFrame) -> list[AlertEvent]:
        """Evaluate the rules on ``frame`` and buffer it; returns the alerts it raised."""
        with self._lock:
            self.frames_in += 1
            events = self.engine.process(frame)
            if not self._pending:
                self._first_pending_at = self.clock()
            self._pending.append(encode_frames([frame]))
            if len(self._pending) >= self.config.buffer.batch_records:
                self.flush()
            return events

    def tick(self) -> None:
        """Flush a partial batch whose interval has passed (call it periodically)."""
        with self._lock:
            waited = self.clock() - self._first_pending_at
            if self._pending and waited >= self.config.buffer.batch_interval_s:
                self.flush()

    state_every_s = 5.0
    """How often (at most) rule state is saved while running; always saved on close."""

    def flush(self, *, save_state: bool = False) -> None:
        """Write buffered frames as one durable segment; save rule state when it is due."""
        with self._lock:
            if self._pending:
                batch, self._pending = self._pending, []
                self.queue.put_many(TELEMETRY_STREAM, batch)
            now = self.clock()
            if save_state or now - self._state_saved_at >= self.state_every_s:
                self._state_saved_at = now
                _write_json_atomically(self.config.rule_state_path, self.engine.snapshot())

    # ----------------------------------------------------------- rule hooks
    def _on_alert(self, event: AlertEvent) -> None:
        self.alerts_raised += 1
        self.queue.put(ALERT_STREAM, encode_frames([_alert_frame(event)]))

    def _on_command(self, name: str, context: dict[str, Any]) -> None:
        argv = self.config.commands.get(name)
        if argv is None:
            log.error("rule asked for command %r, which edge.toml does not define", name)
            return
        self.commands_run += 1
        self._run_command(argv)

    command_timeout_s = 10.0
    """Seconds a command action may run before it is killed."""

    def _default_run_command(self, argv: tuple[str, ...]) -> None:
        try:
            subprocess.run(
                argv, check=False, timeout=self.command_timeout_s, stdin=subprocess.DEVNULL
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.error("command %s failed: %s", argv[0], exc)

    def _on_capacity(self, level: str, usage: float) -> None:
        frame = TelemetryFrame(
            timestamp=self.clock(),
            device_id=self.config.device_id,
            status={"alert": "buffer_capacity", "level": level, "usage": round(usage, 4)},
        )
        log.warning("buffer at %.0f %% (%s)", usage * 100, level)
        # Capacity alerts are sent ahead of the backlog; a full critical stream rejects
        # them rather than evicting alerts, which is the right trade.
        try:
            self.queue.put(ALERT_STREAM, encode_frames([frame]))
        except Exception as exc:
            log.error("could not buffer the capacity alert: %s", exc)

    # --------------------------------------------------------------- status
    def status(self) -> dict[str, Any]:
        """Buffer, uplink and rule counters as plain data."""
        with self._lock:
            queue = self.queue.status()
            return {
                "device_id": self.config.device_id,
                "time": self.clock(),
                "frames_in": self.frames_in,
                "alerts_raised": self.alerts_raised,
                "commands_run": self.commands_run,
                "pending": len(self._pending),
                "buffer": {
                    "depth": queue.depth,
                    "bytes": queue.bytes,
                    "segments": queue.segments,
                    "oldest_age_s": queue.oldest_age_s,
                    "capacity_pct": queue.capacity_pct,
                    "dropped": dict(queue.dropped),
                    "rejected": dict(queue.rejected),
                },
                "uplink": self.forwarder.status(),
            }

    def write_status(self) -> None:
        """Save :meth:`status` where ``cad-ml-edge status`` reads it."""
        _write_json_atomically(self.config.status_path, self.status())

    def close(self) -> None:
        """Flush, save state and close the buffer."""
        self.flush(save_state=True)
        self.write_status()
        self.queue.close()


def _alert_frame(event: AlertEvent) -> TelemetryFrame:
    return TelemetryFrame(**event.to_frame())
