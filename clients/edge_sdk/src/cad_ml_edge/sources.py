"""Where machine frames come in: a local HTTP endpoint or JSON lines on stdin.

HTTP: ``POST /frames`` with one frame or a batch, as JSON or MsgPack (detected), answers
``202 {"accepted": n, "alerts": m}``; bad frames get ``400`` with the ``EDGE_*`` code and
messages, and nothing of that request is buffered. ``GET /status`` returns the agent's
status. The server binds to 127.0.0.1 by default: PLC adapters run on the gateway.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cad_ml_edge.errors import EdgeError
from cad_ml_edge.wire import TelemetryFrame, decode_frames

__all__ = ["FrameServer", "read_jsonl"]

_MAX_BODY = 8 * 1024 * 1024


class FrameServer:
    """A local HTTP endpoint feeding frames to ``ingest``.

    Args:
        host: bind address.
        port: port (0 picks a free one; see :attr:`port`).
        ingest: called with each decoded frame; returns the alerts it raised.
        status: returns the agent's status for ``GET /status``.
    """

    def __init__(
        self,
        host: str,
        port: int,
        ingest: Callable[[TelemetryFrame], list[Any]],
        status: Callable[[], dict[str, Any]],
    ) -> None:
        handler = _handler(ingest, status)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        """The port actually bound."""
        return int(self._server.server_address[1])

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler(
    ingest: Callable[[TelemetryFrame], list[Any]], status: Callable[[], dict[str, Any]]
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Silence the default stderr access log."""

        def _reply(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/status":
                self._reply(200, status())
            else:
                self._reply(404, {"error": "GET /status or POST /frames"})

        def do_POST(self) -> None:
            if self.path != "/frames":
                self._reply(404, {"error": "POST /frames"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= _MAX_BODY:
                self._reply(413 if length else 400, {"error": "body must be 1 B to 8 MiB"})
                return
            try:
                frames = decode_frames(self.rfile.read(length))
            except EdgeError as exc:
                self._reply(
                    400,
                    {
                        "error": {
                            "code": exc.code,
                            "message_en": exc.message("en"),
                            "message_tr": exc.message("tr"),
                        }
                    },
                )
                return
            alerts = sum(len(ingest(frame)) for frame in frames)
            self._reply(202, {"accepted": len(frames), "alerts": alerts})

    return Handler


def read_jsonl(
    lines: Iterable[str], ingest: Callable[[TelemetryFrame], list[Any]]
) -> tuple[int, int]:
    """Feed JSON lines (one frame or batch per line) to ``ingest``.

    Returns:
        ``(frames accepted, lines rejected)``; a bad line is skipped and counted.
    """
    accepted = rejected = 0
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            frames = decode_frames(line.encode())
        except EdgeError:
            rejected += 1
            continue
        for frame in frames:
            ingest(frame)
            accepted += 1
    return accepted, rejected
