"""edge.toml parsing: defaults, every validation error, environment keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from cad_ml_edge.config import load_config, parse_config
from cad_ml_edge.errors import ConfigError

BASE = {"device_id": "d1", "uplink": {"kind": "http", "url": "http://platform:8000"}}


def test_full_file(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("KEY_FOR_TEST", "cadml_secret")
    (tmp_path / "edge.toml").write_text(
        """
device_id = "press-1"
data_dir = "data"

[buffer]
max_bytes = 1048576
alert_thresholds = [0.5]
durability = "power"
batch_records = 10
batch_interval_s = 0.05
streams = [
  { name = "telemetry", priority = "low", on_full = "reject", ttl_s = 60 },
  { name = "alerts", priority = "critical" },
]

[uplink]
kind = "mqtt"
mqtt_host = "broker"
api_key_env = "KEY_FOR_TEST"

[source]
kind = "stdin"

[commands]
stop = ["/bin/true", "now"]

[[rules]]
id = "hot"
field = "sensors.t"
op = ">"
value = 1
""",
        encoding="utf-8",
    )
    cfg = load_config(tmp_path / "edge.toml")
    assert cfg.data_dir == tmp_path / "data"
    assert cfg.queue_path.parent == cfg.status_path.parent == cfg.rule_state_path.parent
    assert cfg.buffer.max_bytes == 1048576 and cfg.buffer.durability == "power"
    assert cfg.buffer.streams[0].ttl_s == 60.0 and cfg.buffer.streams[1].ttl_s is None
    assert cfg.uplink.kind == "mqtt" and cfg.uplink.api_key == "cadml_secret"
    assert cfg.source.kind == "stdin"
    assert cfg.commands == {"stop": ("/bin/true", "now")}
    assert cfg.rules[0]["id"] == "hot"


def test_absolute_data_dir_and_defaults(tmp_path: Path):
    cfg = parse_config({**BASE, "data_dir": str(tmp_path)}, base_dir=Path("/elsewhere"))
    assert cfg.data_dir == tmp_path
    assert parse_config(BASE).data_dir == Path("cad-ml-edge-data")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"device_id": ""}, "device_id"),
        ({"colour": 1}, "unknown key"),
        ({"buffer": 3}, "[buffer] must be a table"),
        ({"buffer": {"size": 1}}, "unknown key"),
        ({"buffer": {"max_bytes": 0}}, "positive"),
        ({"buffer": {"durability": "disk"}}, "durability"),
        ({"buffer": {"streams": []}}, "non-empty"),
        ({"buffer": {"streams": [{"priority": "low"}]}}, "needs a name"),
        ({"buffer": {"streams": [{"name": "telemetry", "x": 1}]}}, "unknown key"),
        ({"buffer": {"streams": [{"name": "telemetry", "priority": "urgent"}]}}, "priority"),
        ({"buffer": {"streams": [{"name": "telemetry", "on_full": "block"}]}}, "on_full"),
        ({"buffer": {"streams": [{"name": "telemetry"}]}}, "must include"),
        ({"uplink": {"kind": "carrier-pigeon"}}, "uplink.kind"),
        ({"uplink": {"kind": "http", "url": "ftp://x"}}, "uplink.url"),
        ({"uplink": {"kind": "http", "url": "http://x", "api_key_env": "NOPE_NOT_SET"}}, "not set"),
        ({"source": {"kind": "serial"}}, "source.kind"),
        ({"source": {"baud": 9600}}, "unknown key"),
        ({"commands": {"stop": "rm -rf /"}}, "argv"),
        ({"commands": {"stop": []}}, "argv"),
        ({"rules": {"id": "x"}}, "rules must be a list"),
        ({"rules": ["x"]}, "rules must be a list"),
    ],
)
def test_invalid_configuration(change, fragment):
    with pytest.raises(ConfigError) as info:
        parse_config({**BASE, **change})
    assert info.value.code == "EDGE_CONFIG_INVALID"
    assert fragment in info.value.message("en")


def test_missing_and_broken_files(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("device_id = ", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml"):
        load_config(bad)
