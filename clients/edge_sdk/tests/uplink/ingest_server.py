"""A real HTTP server on 127.0.0.1 standing in for the twin ingest API, with faults.

It records every batch it accepted (frames decoded with the SDK's wire module) and can
fail on purpose: an HTTP status with headers, a connection closed mid-request, a hang
past the client's timeout, every N-th connection dropped, or the whole server down
(listening socket closed: connection refused) and up again on the same port.

Loaded by path from the uplink and forwarder conftests (tests are not a package).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cad_ml_edge.wire import TelemetryFrame, decode_frames


@dataclass
class Received:
    """One accepted request."""

    path: str
    headers: dict[str, str]
    frames: list[TelemetryFrame]
    body: bytes
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Fault:
    """What to do with one request instead of accepting it.

    kind: "status" (answer ``status`` with ``headers`` and ``body``), "close" (read half
    the body, then close without an answer), "hang" (read the body, answer nothing for
    ``seconds``, then close).
    """

    kind: str
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 5.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: IngestServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet faults
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.owner._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drop(self) -> None:
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def do_POST(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length", "0"))
        fault = owner._next_fault()
        if fault is not None and fault.kind == "close":
            self.rfile.read(length // 2)
            self._drop()
            return
        body = self.rfile.read(length)
        if fault is not None and fault.kind == "hang":
            owner._stopping.wait(fault.seconds)
            self._drop()
            return
        if fault is not None:
            self._answer(fault.status, fault.body, fault.headers)
            return
        try:
            frames = decode_frames(body)
        except ValueError as exc:
            self._answer(400, f'{{"detail": "{exc}"}}'.encode())
            return
        if owner.reject_if is not None and any(owner.reject_if(f) for f in frames):
            self._answer(422, b'{"detail": "frame refused"}')
            return
        owner._accept(Received(self.path, dict(self.headers), frames, body))
        self._answer(200, b'{"accepted": %d}' % len(frames))


class IngestServer:
    """The fake platform. Use as a context manager; ``url`` is its base URL.

    Args:
        drop_every: close the connection mid-request on every N-th request (None: never).
        reject_if: frames for which the whole batch is answered 422 (content error).
        tls: an ``ssl.SSLContext`` to serve HTTPS.
    """

    def __init__(
        self, drop_every: int | None = None, reject_if: Any = None, tls: Any = None
    ) -> None:
        self.drop_every = drop_every
        self.tls = tls
        self.reject_if = reject_if
        self.received: list[Received] = []
        self.faults: deque[Fault] = deque()
        self.requests = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ------------------------------------------------------------- control
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> None:
        """Listen (again, on the same port)."""
        self._server = _Server(("127.0.0.1", self.port), self)
        self.port = self._server.server_address[1]
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def down(self) -> None:
        """Stop listening and cut every open connection (clients see refused/reset)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        with self._lock:
            for conn in list(self._open):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def __enter__(self) -> IngestServer:
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self.down()

    # ------------------------------------------------------------- results
    def frames(self) -> list[TelemetryFrame]:
        """Every accepted frame, in arrival order, duplicates included."""
        with self._lock:
            return [f for r in self.received for f in r.frames]

    def deduped(self) -> dict[tuple[str, float], TelemetryFrame]:
        """Accepted frames after the platform's dedup on (device_id, timestamp)."""
        out: dict[tuple[str, float], TelemetryFrame] = {}
        for frame in self.frames():
            out.setdefault((frame.device_id, frame.timestamp), frame)
        return out

    # ------------------------------------------------------------- handler side
    def _opened(self, conn: socket.socket) -> None:
        with self._lock:
            self._open.add(conn)
            self.connections += 1

    def _closed(self, conn: socket.socket) -> None:
        with self._lock:
            self._open.discard(conn)

    def _next_fault(self) -> Fault | None:
        with self._lock:
            self.requests += 1
            if self.faults:
                return self.faults.popleft()
            if self.drop_every and self.requests % self.drop_every == 0:
                return Fault("close")
            return None

    def _accept(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)
