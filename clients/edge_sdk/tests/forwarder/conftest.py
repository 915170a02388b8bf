"""Fixtures for the forwarder tests: a real DurableQueue in a temporary directory, the
fault-injecting ingest server of the uplink tests, a fake clock and a scripted uplink."""

from __future__ import annotations

import importlib.util
import sys
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cad_ml_edge.errors import UplinkError
from cad_ml_edge.queue import DurableQueue, Priority, StreamPolicy
from cad_ml_edge.uplink.base import SendResult
from cad_ml_edge.wire import TelemetryFrame, decode_frames, encode_frames

UPLINK_TESTS = Path(__file__).parent.parent / "uplink"


def load_helper(name: str) -> ModuleType:
    """Import ``tests/uplink/<name>.py`` once (tests are not a package)."""
    key = f"edge_test_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, UPLINK_TESTS / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


ingest_server = load_helper("ingest_server")
tcp_proxy = load_helper("tcp_proxy")

STREAMS = (
    StreamPolicy("alerts", Priority.CRITICAL, "reject"),
    StreamPolicy("telemetry", Priority.NORMAL, "drop_oldest"),
    StreamPolicy("vibration", Priority.NORMAL, "drop_oldest"),
    StreamPolicy("debug", Priority.LOW, "drop_oldest"),
)


def frame(ts: float, stream: str = "telemetry", seq: int = 0, device: str = "press-1") -> bytes:
    """One encoded record: a frame that says which stream and sequence number it is."""
    return encode_frames(
        [TelemetryFrame(ts, device, {"value": float(seq)}, status={"stream": stream, "seq": seq})]
    )


def seqs(frames: list[TelemetryFrame], stream: str) -> list[int]:
    return [f.status["seq"] for f in frames if f.status["stream"] == stream]


class Clock:
    """A manual monotonic clock; ``sleep`` advances it."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class ScriptedUplink:
    """An in-process uplink: answers from a script (a SendResult or an exception per call,
    then accepts), records what it was sent."""

    def __init__(self, *script: Any) -> None:
        self.script: deque[Any] = deque(script)
        self.sent: list[list[TelemetryFrame]] = []
        self.accepted: list[list[TelemetryFrame]] = []
        self.closed = 0
        self.reject_if: Any = None

    def send(self, batch: bytes) -> SendResult:
        frames = decode_frames(batch)
        self.sent.append(frames)
        if self.script:
            outcome = self.script.popleft()
            if isinstance(outcome, BaseException):
                raise outcome
            if not outcome.accepted:
                return outcome
        if self.reject_if is not None and any(self.reject_if(f) for f in frames):
            return SendResult(False, 422, "frame refused")
        self.accepted.append(frames)
        return SendResult(True, 200)

    def close(self) -> None:
        self.closed += 1


def down(retry_after: float | None = None) -> UplinkError:
    return UplinkError("EDGE_UPLINK_FAILED", detail="down", status=503, retry_after=retry_after)


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[DurableQueue]:
    with DurableQueue(tmp_path / "queue.db", max_bytes=512 * 1024 * 1024, streams=STREAMS) as q:
        yield q


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ingest() -> Iterator[Any]:
    with ingest_server.IngestServer() as server:
        yield server


# The test modules reach these helpers as sys.modules["edge_test_forwarder"].
sys.modules["edge_test_forwarder"] = sys.modules[__name__]
