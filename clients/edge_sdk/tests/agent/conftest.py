"""A recording stand-in for the platform's twin ingest, on a real socket."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cad_ml_edge.config import EdgeConfig, parse_config
from cad_ml_edge.wire import decode_frames


class Platform:
    """Frames received by ``POST /api/v1/twin/<device>/telemetry``."""

    def __init__(self) -> None:
        self.frames: list[Any] = []
        self.auth: list[str | None] = []
        self.lock = threading.Lock()
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with platform.lock:
                    platform.frames.extend(decode_frames(body))
                    platform.auth.append(self.headers.get("Authorization"))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def platform() -> Iterator[Platform]:
    p = Platform()
    yield p
    p.close()


def make_config(tmp_path: Path, url: str, **extra: Any) -> EdgeConfig:
    data: dict[str, Any] = {
        "device_id": "press-1",
        "data_dir": str(tmp_path / "data"),
        "uplink": {"kind": "http", "url": url, "api_key": "cadml_devicekey"},
        "buffer": {"batch_records": 5, "batch_interval_s": 0.5},
        "commands": {"stop_spindle": ["/bin/true"]},
        "rules": [
            {
                "id": "hot",
                "field": "sensors.t",
                "op": ">",
                "value": 50.0,
                "hysteresis": 1.0,
                "severity": "critical",
                "actions": [{"type": "alert"}, {"type": "command", "name": "stop_spindle"}],
            },
            {
                "id": "ghost",
                "field": "sensors.g",
                "op": ">",
                "value": 1.0,
                "actions": [{"type": "command", "name": "not_configured"}],
            },
        ],
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return parse_config(data)


@pytest.fixture
def config_factory(tmp_path: Path):
    return lambda url, **extra: make_config(tmp_path, url, **extra)
