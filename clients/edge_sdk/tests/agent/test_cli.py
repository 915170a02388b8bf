"""``cad-ml-edge run`` and ``status`` as a user runs them."""

from __future__ import annotations

import http.client
import io
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cad_ml_edge import __version__
from cad_ml_edge.cli import main, run, show_status
from cad_ml_edge.config import load_config
from cad_ml_edge.wire import TelemetryFrame, encode_frames


def write_config(tmp_path: Path, url: str, source: str = "http") -> Path:
    path = tmp_path / "edge.toml"
    path.write_text(
        f"""
device_id = "press-1"
data_dir = "data"

[uplink]
kind = "http"
url = "{url}"

[source]
kind = "{source}"
port = 0

[[rules]]
id = "hot"
field = "sensors.t"
op = ">"
value = 50.0
""",
        encoding="utf-8",
    )
    return path


def test_status_before_and_after_a_run(tmp_path, platform, capsys):
    path = write_config(tmp_path, platform.url)
    assert main(["status", "--config", str(path)]) == 0
    assert "buffered    0 records" in capsys.readouterr().out
    config = load_config(path)
    stop = threading.Event()
    result: dict = {}
    runner = threading.Thread(target=lambda: result.update(run(config, stop)))
    runner.start()
    # The run writes its port nowhere, so find the server through its status file.
    deadline = time.monotonic() + 10
    while not config.status_path.exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    stop.set()
    runner.join(timeout=20)
    assert result["device_id"] == "press-1"
    assert main(["status", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    # Nothing was sent, so the forwarder never made an attempt: not online, 0 delivered.
    assert "uplink      offline, delivered 0, last error: -" in out
    assert "rules       0 frames in" in out
    assert main(["status", "--config", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["device_id"] == "press-1"


def test_run_with_stdin_source_forwards_everything(tmp_path, platform, monkeypatch):
    path = write_config(tmp_path, platform.url, source="stdin")
    lines = "".join(
        json.dumps(TelemetryFrame(float(i), "press-1", {"t": 60.0 if i == 2 else 1.0}).to_dict())
        + "\n"
        for i in range(20)
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO(lines))
    # stdin ends -> the run stops by itself; main() installs signal handlers and returns 0.
    assert main(["run", "--config", str(path), "--log-level", "WARNING"]) == 0
    config = load_config(path)
    status = show_status(config)
    assert status["frames_in"] == 20 and status["alerts_raised"] == 1
    # Whatever was not forwarded before the stop is still buffered: nothing lost.
    delivered = {f.timestamp for f in platform.frames if "alert" not in f.status}
    assert len(delivered) + status["buffer"]["depth"] >= 20


def test_http_source_end_to_end(tmp_path, platform):
    config = load_config(write_config(tmp_path, platform.url))
    from cad_ml_edge.agent import EdgeAgent
    from cad_ml_edge.sources import FrameServer

    agent = EdgeAgent(config)
    server = FrameServer("127.0.0.1", 0, agent.ingest, agent.status)
    server.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        body = encode_frames([TelemetryFrame(1.0, "press-1", {"t": 99.0})], codec="json")
        conn.request("POST", "/frames", body=body)
        assert json.loads(conn.getresponse().read()) == {"accepted": 1, "alerts": 1}
    finally:
        server.stop()
        agent.close()


def test_errors_and_version(tmp_path, capsys):
    bad = tmp_path / "edge.toml"
    bad.write_text('device_id = "x"\n[uplink]\nkind = "fax"\n', encoding="utf-8")
    assert main(["status", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "EDGE_CONFIG_INVALID" in err and "tr:" in err and "hint:" in err
    with pytest.raises(SystemExit):
        main(["--version"])
    assert __version__ in capsys.readouterr().out


def test_console_script_help():
    out = subprocess.run(
        [sys.executable, "-m", "cad_ml_edge", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "run" in out and "status" in out


def test_status_reads_the_buffer_when_no_agent_wrote_status(tmp_path, platform):
    from cad_ml_edge.queue import DurableQueue

    config = load_config(write_config(tmp_path, platform.url))
    config.data_dir.mkdir(parents=True)
    with DurableQueue(config.queue_path) as queue:
        queue.put_many("telemetry", [b"a", b"b", b"c"])
    assert show_status(config)["buffer"]["depth"] == 3


def test_python_dash_m(monkeypatch, capsys):
    import runpy

    monkeypatch.setattr(sys, "argv", ["cad-ml-edge", "--version"])
    with pytest.raises(SystemExit):
        runpy.run_module("cad_ml_edge", run_name="__main__")
    assert __version__ in capsys.readouterr().out
