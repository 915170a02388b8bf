"""The gateway's configuration, read from ``edge.toml``.

Example::

    device_id = "press-1"
    data_dir = "/var/lib/cad-ml-edge"

    [buffer]
    max_bytes = 268435456          # 256 MiB on disk
    streams = [
      { name = "telemetry", priority = "normal", on_full = "drop_oldest", ttl_s = 604800 },
      { name = "alerts", priority = "critical", on_full = "reject" },
    ]

    [uplink]
    kind = "http"                  # or "mqtt"
    url = "http://platform.local:8000"
    api_key_env = "CADML_DEVICE_KEY"

    [source]                       # where machine frames come in
    kind = "http"                  # POST JSON or MsgPack frames to http://127.0.0.1:8765/frames
    port = 8765

    [commands]                     # local command hook: rule action name -> argv
    stop_spindle = ["/usr/local/bin/plc-write", "spindle", "0"]

    [[rules]]
    id = "spindle-hot"
    field = "sensors.temperature"
    op = ">"
    value = 80.0
    hysteresis = 2.0
    severity = "critical"
    actions = [{ type = "alert" }, { type = "command", name = "stop_spindle" }]

Examples:
    >>> cfg = parse_config({"device_id": "d1", "uplink": {"kind": "http", "url": "http://x"}})
    >>> cfg.buffer.max_bytes, cfg.source.kind, [s.name for s in cfg.buffer.streams]
    (268435456, 'http', ['telemetry', 'alerts'])
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cad_ml_edge.errors import ConfigError

__all__ = [
    "ALERT_STREAM",
    "TELEMETRY_STREAM",
    "BufferConfig",
    "EdgeConfig",
    "SourceConfig",
    "StreamConfig",
    "UplinkConfig",
    "load_config",
    "parse_config",
]

TELEMETRY_STREAM = "telemetry"
ALERT_STREAM = "alerts"
_PRIORITIES = ("critical", "high", "normal", "low")


@dataclass(frozen=True)
class StreamConfig:
    """One buffered stream and what happens when the buffer is full."""

    name: str
    priority: str = "normal"
    on_full: str = "drop_oldest"
    ttl_s: float | None = None


@dataclass(frozen=True)
class BufferConfig:
    """The durable queue."""

    max_bytes: int = 256 * 1024 * 1024
    alert_thresholds: tuple[float, ...] = (0.8, 0.95)
    durability: str = "process"
    batch_records: int = 100
    batch_interval_s: float = 0.02
    streams: tuple[StreamConfig, ...] = (
        StreamConfig(TELEMETRY_STREAM, "normal", "drop_oldest", 7 * 24 * 3600.0),
        StreamConfig(ALERT_STREAM, "critical", "reject", None),
    )


@dataclass(frozen=True)
class UplinkConfig:
    """Where buffered data goes."""

    kind: str = "http"
    url: str = ""
    api_key: str | None = None
    timeout_s: float = 10.0
    bandwidth_bytes_per_s: int | None = None
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    mqtt_topic: str | None = None
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    mqtt_ca: str | None = None
    mqtt_cert: str | None = None
    mqtt_key: str | None = None


@dataclass(frozen=True)
class SourceConfig:
    """Where frames from machines come in."""

    kind: str = "http"
    host: str = "127.0.0.1"
    port: int = 8765


@dataclass(frozen=True)
class EdgeConfig:
    """Everything ``cad-ml-edge run`` needs."""

    device_id: str
    data_dir: Path
    buffer: BufferConfig = field(default_factory=BufferConfig)
    uplink: UplinkConfig = field(default_factory=UplinkConfig)
    source: SourceConfig = field(default_factory=SourceConfig)
    commands: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rules: tuple[dict[str, Any], ...] = ()

    @property
    def queue_path(self) -> Path:
        """The SQLite file of the durable queue."""
        return self.data_dir / "queue.sqlite3"

    @property
    def status_path(self) -> Path:
        """Where ``run`` writes its live status for ``status`` to read."""
        return self.data_dir / "status.json"

    @property
    def rule_state_path(self) -> Path:
        """Where rule windows and hysteresis state are saved across restarts."""
        return self.data_dir / "rules-state.json"


def _bad(detail: str) -> ConfigError:
    return ConfigError("EDGE_CONFIG_INVALID", detail=detail)


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise _bad(f"[{key}] must be a table")
    return value


def _known(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _bad(f"unknown key(s) {unknown} in {where}; allowed: {sorted(allowed)}")


def _streams(raw: Any) -> tuple[StreamConfig, ...]:
    if not isinstance(raw, list) or not raw:
        raise _bad("buffer.streams must be a non-empty list of tables")
    streams = []
    for item in raw:
        if not isinstance(item, Mapping) or "name" not in item:
            raise _bad("each buffer stream needs a name")
        _known(item, {"name", "priority", "on_full", "ttl_s"}, f"stream {item['name']!r}")
        stream = StreamConfig(
            name=str(item["name"]),
            priority=str(item.get("priority", "normal")),
            on_full=str(item.get("on_full", "drop_oldest")),
            ttl_s=None if item.get("ttl_s") is None else float(item["ttl_s"]),
        )
        if stream.priority not in _PRIORITIES:
            raise _bad(f"stream {stream.name!r}: priority must be one of {_PRIORITIES}")
        if stream.on_full not in ("reject", "drop_oldest"):
            raise _bad(f"stream {stream.name!r}: on_full must be 'reject' or 'drop_oldest'")
        streams.append(stream)
    names = {s.name for s in streams}
    missing = {TELEMETRY_STREAM, ALERT_STREAM} - names
    if missing:
        raise _bad(f"buffer.streams must include {sorted(missing)}")
    return tuple(streams)


def _buffer(data: Mapping[str, Any]) -> BufferConfig:
    raw = _table(data, "buffer")
    _known(
        raw,
        {
            "max_bytes",
            "alert_thresholds",
            "durability",
            "batch_records",
            "batch_interval_s",
            "streams",
        },
        "[buffer]",
    )
    default = BufferConfig()
    buffer = BufferConfig(
        max_bytes=int(raw.get("max_bytes", default.max_bytes)),
        alert_thresholds=tuple(
            float(t) for t in raw.get("alert_thresholds", default.alert_thresholds)
        ),
        durability=str(raw.get("durability", default.durability)),
        batch_records=int(raw.get("batch_records", default.batch_records)),
        batch_interval_s=float(raw.get("batch_interval_s", default.batch_interval_s)),
        streams=_streams(raw["streams"]) if "streams" in raw else default.streams,
    )
    if buffer.max_bytes <= 0 or buffer.batch_records <= 0 or buffer.batch_interval_s <= 0:
        raise _bad("buffer sizes and intervals must be positive")
    if buffer.durability not in ("process", "power"):
        raise _bad("buffer.durability must be 'process' or 'power'")
    return buffer


def _uplink(data: Mapping[str, Any]) -> UplinkConfig:
    raw = _table(data, "uplink")
    fields = set(UplinkConfig.__dataclass_fields__) | {"api_key_env"}
    _known(raw, fields, "[uplink]")
    values = {k: v for k, v in raw.items() if k != "api_key_env"}
    if "api_key_env" in raw:
        env = str(raw["api_key_env"])
        if env not in os.environ:
            raise _bad(f"uplink.api_key_env names {env}, which is not set")
        values["api_key"] = os.environ[env]
    uplink = UplinkConfig(**values)
    if uplink.kind not in ("http", "mqtt"):
        raise _bad("uplink.kind must be 'http' or 'mqtt'")
    if uplink.kind == "http" and not uplink.url.startswith(("http://", "https://")):
        raise _bad("uplink.url must be an http:// or https:// URL")
    return uplink


def _source(data: Mapping[str, Any]) -> SourceConfig:
    raw = _table(data, "source")
    _known(raw, {"kind", "host", "port"}, "[source]")
    source = SourceConfig(**raw)
    if source.kind not in ("http", "stdin"):
        raise _bad("source.kind must be 'http' or 'stdin'")
    return source


def _commands(data: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    commands = {}
    for name, argv in _table(data, "commands").items():
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise _bad(f"commands.{name} must be a non-empty list of strings (argv)")
        commands[str(name)] = tuple(argv)
    return commands


def parse_config(data: Mapping[str, Any], base_dir: Path | None = None) -> EdgeConfig:
    """Validate a configuration mapping (as read from TOML).

    Raises:
        ConfigError: ``EDGE_CONFIG_INVALID`` naming the offending key.
    """
    _known(
        data,
        {"device_id", "data_dir", "buffer", "uplink", "source", "commands", "rules"},
        "the top level",
    )
    device_id = data.get("device_id")
    if not isinstance(device_id, str) or not device_id:
        raise _bad("device_id is required")
    data_dir = Path(str(data.get("data_dir", "cad-ml-edge-data")))
    if not data_dir.is_absolute() and base_dir is not None:
        data_dir = base_dir / data_dir
    rules = data.get("rules", [])
    if not isinstance(rules, list) or not all(isinstance(r, Mapping) for r in rules):
        raise _bad("rules must be a list of tables ([[rules]])")
    return EdgeConfig(
        device_id=device_id,
        data_dir=data_dir,
        buffer=_buffer(data),
        uplink=_uplink(data),
        source=_source(data),
        commands=_commands(data),
        rules=tuple(dict(r) for r in rules),
    )


def load_config(path: str | Path) -> EdgeConfig:
    """Read and validate ``edge.toml``; relative ``data_dir`` is relative to the file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise _bad(f"{path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise _bad(f"{path}: {exc}") from exc
    return parse_config(data, base_dir=path.parent)
