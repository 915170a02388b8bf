"""HTTP uplink to the twin ingest API, on the standard library's :mod:`http.client`.

Each batch is one ``POST {url}/api/v1/twin/{device_id}/telemetry`` with the MsgPack
body, ``Content-Type: application/msgpack`` and ``Authorization: Bearer <device key>``,
over one kept-alive connection. How answers map to :class:`~.base.SendResult`:

* 2xx: accepted.
* 4xx: rejected for good (``EDGE_UPLINK_REJECTED``), except the statuses in
  ``retry_statuses`` (default 401, 403, 404, 408, 425, 429): those say nothing is wrong
  with the batch (an expired key, a device not yet registered, a timeout, a rate limit),
  so dropping buffered data for them would lose it; they raise ``UplinkError`` instead.
* 1xx, 3xx, 5xx, connection errors and timeouts: ``UplinkError`` (retryable), carrying
  ``status`` and, when the platform sent ``Retry-After`` (seconds or an HTTP date), the
  wait in seconds as ``retry_after``.

A kept-alive connection the server has closed while idle is retried once on a fresh
connection before the failure counts.
"""

from __future__ import annotations

import http.client
import ssl
import threading
import time
from collections.abc import Callable, Collection, Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlsplit

from cad_ml_edge import __version__
from cad_ml_edge.errors import ConfigError, UplinkError
from cad_ml_edge.uplink.base import SendResult

__all__ = ["DEFAULT_RETRY_STATUSES", "HttpUplink", "parse_retry_after"]

DEFAULT_RETRY_STATUSES = frozenset({401, 403, 404, 408, 425, 429})
_MAX_DETAIL = 300
_MAX_BODY = 64 * 1024
# A reused connection failing with one of these was closed by the server while idle.
_STALE = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date).

    Examples:
        >>> parse_retry_after("7"), parse_retry_after(None), parse_retry_after("soon")
        (7.0, None, None)
        >>> parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", now=lambda: 40.0)
        60.0
    """
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": UTC with no zone information
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now())


class HttpUplink:
    """Sends MsgPack batches to ``POST {url}/api/v1/twin/{device_id}/telemetry``.

    Args:
        url: the platform's base URL, ``http://`` or ``https://`` (a path prefix is kept).
        device_id: the device whose telemetry this is.
        api_key: the device key sent as ``Authorization: Bearer``; None sends none.
        timeout_s: connect and per-read timeout (seconds).
        ssl_context: for ``https://`` (default: the system's trust store).
        retry_statuses: 4xx statuses that are retried instead of rejected.

    Raises:
        ConfigError: the URL is not http(s).
    """

    def __init__(
        self,
        url: str,
        *,
        device_id: str,
        api_key: str | None = None,
        timeout_s: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        retry_statuses: Collection[int] = DEFAULT_RETRY_STATUSES,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError("EDGE_CONFIG_INVALID", detail=f"uplink URL {url!r} is not http(s)")
        self.url = url
        self.device_id = device_id
        self.timeout_s = timeout_s
        self.retry_statuses = frozenset(retry_statuses)
        self.path = f"{parts.path.rstrip('/')}/api/v1/twin/{quote(device_id, safe='')}/telemetry"
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._ssl_context = ssl_context
        self._headers = {
            "Content-Type": "application/msgpack",
            "Accept": "application/json",
            "User-Agent": f"cad-ml-edge/{__version__}",
        }
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()

    def _connection(self) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(
                self._host,
                self._port,
                timeout=self.timeout_s,
                context=self._ssl_context or ssl.create_default_context(),
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self.timeout_s)

    def _post(self, batch: bytes) -> tuple[int, Mapping[str, str], bytes]:
        if self._conn is None:
            self._conn = self._connection()
        self._conn.request("POST", self.path, body=batch, headers=self._headers)
        response = self._conn.getresponse()
        body = response.read(_MAX_BODY)
        if not response.isclosed():  # an oversized answer: do not reuse the connection
            self.close()
        return response.status, response.headers, body

    def send(self, batch: bytes) -> SendResult:
        """POST one batch; see the module docstring for how answers map to outcomes.

        Raises:
            UplinkError: ``EDGE_UPLINK_FAILED`` with ``status`` (0 for no answer) and
                ``retry_after`` (seconds or None) in ``details``.
        """
        with self._lock:
            reused = self._conn is not None and self._conn.sock is not None
            try:
                try:
                    status, headers, body = self._post(batch)
                except _STALE:
                    self.close()
                    if not reused:
                        raise
                    status, headers, body = self._post(batch)
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise UplinkError(
                    "EDGE_UPLINK_FAILED",
                    detail=f"{self.url}: {type(exc).__name__}: {exc}",
                    status=0,
                    retry_after=None,
                ) from exc
        detail = body[:_MAX_DETAIL].decode("utf-8", "replace")
        if 200 <= status < 300:
            return SendResult(accepted=True, status=status, detail=detail)
        if 400 <= status < 500 and status not in self.retry_statuses:
            return SendResult(accepted=False, status=status, detail=detail)
        raise UplinkError(
            "EDGE_UPLINK_FAILED",
            detail=f"{self.url}: HTTP {status} {detail}".rstrip(),
            status=status,
            retry_after=parse_retry_after(headers.get("Retry-After")),
        )

    def close(self) -> None:
        """Close the kept-alive connection (the next :meth:`send` opens a new one)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
