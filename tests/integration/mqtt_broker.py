"""Helpers for the MQTT integration tests: a private Mosquitto process and test certificates.

The tests never touch the shared broker on 1883: each starts its own ``mosquitto`` on a
free port with a temporary configuration (persistence on, so QoS 1 sessions survive a
broker restart; ``max_queued_messages 0`` so nothing queued for an offline session is
dropped).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

__all__ = ["MosquittoProcess", "make_certificates", "mosquitto_binary", "wait_for"]


def mosquitto_binary() -> str | None:
    """The mosquitto executable, or None when it is not installed."""
    return shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )


def wait_for(predicate, timeout_s: float = 60.0, every_s: float = 0.05) -> bool:  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it is true or the timeout passes; returns its last value."""
    deadline = time.monotonic() + timeout_s
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(every_s)


class MosquittoProcess:
    """A private broker on ``127.0.0.1:port`` that can be stopped and started again.

    Args:
        workdir: where the configuration, log and persistence file live.
        port: the listener port.
        tls: ``(cafile, certfile, keyfile)`` to listen with TLS and require client
            certificates.
    """

    def __init__(
        self, workdir: Path, port: int, tls: tuple[Path, Path, Path] | None = None
    ) -> None:
        self.workdir = workdir
        self.port = port
        self.conf = workdir / "mosquitto.conf"
        self.log = workdir / "mosquitto.log"
        lines = [
            f"listener {port} 127.0.0.1",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {workdir}/",
            "persistence_file mosquitto.db",
            "max_queued_messages 0",
            "log_dest stderr",
        ]
        if os.geteuid() == 0:
            # As root, mosquitto switches to the user "mosquitto", which cannot read the
            # test's private files (keys, persistence directory).
            lines.append("user root")
        if tls is not None:
            ca, cert, key = tls
            lines += [
                f"cafile {ca}",
                f"certfile {cert}",
                f"keyfile {key}",
                "require_certificate true",
            ]
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The broker URL."""
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 15.0) -> None:
        """Start the broker and wait until it accepts connections."""
        binary = mosquitto_binary()
        assert binary is not None
        log = self.log.open("ab")
        self.proc = subprocess.Popen([binary, "-c", str(self.conf)], stdout=log, stderr=log)
        log.close()

        def listening() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                return False

        if not wait_for(listening, timeout_s):
            raise RuntimeError(f"mosquitto did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        """Stop the broker (SIGTERM: it saves its persistence file)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def restart(self) -> None:
        """Stop and start again on the same port."""
        self.stop()
        self.start()


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certificates(directory: Path) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1 and a client certificate (EC P-256).

    Returns:
        Paths by name: ``ca``, ``server_cert``, ``server_key``, ``client_cert``,
        ``client_key``.
    """
    d = directory
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=cadml test CA", cwd=d)  # fmt: skip
    (d / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, cn in (("server", "127.0.0.1"), ("client", "cadml-ingest")):
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={cn}", cwd=d)  # fmt: skip
        extra = ["-extfile", "server.ext"] if name == "server" else []
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", *extra, cwd=d)  # fmt: skip
    return {
        "ca": d / "ca.pem",
        "server_cert": d / "server.pem",
        "server_key": d / "server.key",
        "client_cert": d / "client.pem",
        "client_key": d / "client.key",
    }
