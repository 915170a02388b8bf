"""A TCP proxy on 127.0.0.1 in front of a real service (Mosquitto), with faults.

Modes, switchable at any time:

* ``pass``: forward both ways.
* ``swallow``: keep connections open but drop what the client sends (the broker never
  sees a PUBLISH, so no PUBACK comes back).
* ``blackhole``: accept new connections and never answer (no CONNACK).
* ``refuse``: answer any new connection with an MQTT 3.1.1 CONNACK "not authorized".

``kill()`` cuts every open connection; ``tls`` terminates TLS in front of the service.
Loaded by path from the conftests (tests are not a package).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading

CONNACK_NOT_AUTHORIZED = b"\x20\x02\x00\x05"


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target``; a context manager."""

    def __init__(
        self, target: tuple[str, int] = ("127.0.0.1", 1883), tls: ssl.SSLContext | None = None
    ) -> None:
        self.target = target
        self.tls = tls
        self.mode = "pass"
        self.accepted = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._socks: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()
        self.kill()

    def kill(self) -> None:
        """Cut every open connection (both sides see a reset/EOF)."""
        with self._lock:
            socks, self._socks = list(self._socks), set()
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._socks.add(sock)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        if self.tls is not None:
            try:
                client = self.tls.wrap_socket(client, server_side=True)
            except (OSError, ssl.SSLError):
                client.close()
                return
        self._track(client)
        mode = self.mode
        if mode == "blackhole":
            return
        if mode == "refuse":
            with contextlib.suppress(OSError):
                client.recv(4096)
                client.sendall(CONNACK_NOT_AUTHORIZED)
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        self._track(upstream)
        threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
        self._pump(upstream, client, False)

    def _pump(self, src: socket.socket, dst: socket.socket, from_client: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_client and self.mode == "swallow":
                    continue
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
