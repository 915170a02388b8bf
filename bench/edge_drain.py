"""Drain rate of the edge SDK: a DurableQueue backlog forwarded over HTTP to a local server.

Fills a fresh queue (temporary directory) with ``--records`` telemetry frames in segments
of ``--segment`` records, starts a minimal ingest server on 127.0.0.1 (stdlib
``http.server``; it unpacks each MsgPack batch and counts the frames), then runs
:meth:`Forwarder.run_once` until the queue is empty and prints records/s and batches/s.

Usage::

    /work/main/.venv-edge/bin/python bench/edge_drain.py [--records 100000] [--segment 100]
        [--batch-segments 32]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import msgpack

from cad_ml_edge.forwarder import Forwarder
from cad_ml_edge.queue import DurableQueue, Priority, StreamPolicy
from cad_ml_edge.uplink.http import HttpUplink
from cad_ml_edge.wire import TelemetryFrame, encode_frames


class _Ingest(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    frames = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).frames += len(msgpack.unpackb(body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _fill(queue: DurableQueue, records: int, segment: int) -> float:
    started = time.perf_counter()
    for first in range(0, records, segment):
        batch = [
            encode_frames(
                [
                    TelemetryFrame(
                        1.7e9 + n * 0.001,
                        "press-1",
                        {"temperature": 71.5, "pressure": 2.1, "vibration": 0.02},
                        status={"mode": "auto"},
                    )
                ]
            )
            for n in range(first, min(first + segment, records))
        ]
        queue.put_many("telemetry", batch)
    return time.perf_counter() - started


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--segment", type=int, default=100)
    parser.add_argument("--batch-segments", type=int, default=32)
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ingest)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        queue = DurableQueue(
            Path(tmp) / "queue.db",
            max_bytes=2 * 1024**3,
            streams=[StreamPolicy("telemetry", Priority.NORMAL, "drop_oldest")],
        )
        fill_s = _fill(queue, args.records, args.segment)
        uplink = HttpUplink(url, device_id="press-1", api_key="bench", timeout_s=10)
        forwarder = Forwarder(
            queue,
            uplink,
            device_id="press-1",
            max_batch_segments=args.batch_segments,
            max_batch_bytes=64 * 1024 * 1024,
        )
        started = time.perf_counter()
        delivered = 0
        while True:
            n = forwarder.run_once()
            if n == 0:
                break
            delivered += n
        drain_s = time.perf_counter() - started
        batches = forwarder.status()["batches"]
        uplink.close()
        queue.close()
    server.shutdown()
    server.server_close()
    assert _Ingest.frames == delivered == args.records, (_Ingest.frames, delivered)
    print(f"enqueue  {args.records / fill_s:>10,.0f} records/s  ({args.segment} per segment)")
    print(
        f"drain    {delivered / drain_s:>10,.0f} records/s  "
        f"({batches / drain_s:,.0f} batches/s of {args.batch_segments} segments, "
        f"HTTP to 127.0.0.1)"
    )


if __name__ == "__main__":
    main()
