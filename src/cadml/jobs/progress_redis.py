"""The production progress bus: one Redis stream per job.

Every API process and worker that points at the same Redis shares progress. A publish
is ``XADD <prefix><job_id> MAXLEN ~ n * e <json>`` plus ``EXPIRE`` in one transaction,
so a job's stream keeps roughly its last ``n`` events and disappears ``ttl_s`` after
its last publish. Stream ids are the event ids. Subscribers read with
``XREAD BLOCK`` on their own ``redis.asyncio`` connection, which wakes them as soon as
an event is added. ``redis`` (optional extra ``redis``) is imported when a bus is built.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from cadml.errors import ConfigurationError, ServiceUnavailableError
from cadml.jobs.progress import ProgressEvent, format_event_id, parse_event_id

__all__ = ["RedisProgressBus"]

_FIELD = "e"


class RedisProgressBus:
    """Job progress in Redis Streams, shared across processes.

    Args:
        url: a Redis URL, e.g. ``"redis://127.0.0.1:6379/0"``.
        prefix: prepended to the job id to name its stream.
        max_events_per_job: approximate history kept per job (``MAXLEN ~``).
        ttl_s: seconds after its last publish that a job's stream expires.
        block_ms: longest single ``XREAD BLOCK``; :meth:`close` ends subscriptions
            within this time.
        socket_timeout_s: seconds to wait for Redis on ordinary commands.

    Raises:
        ConfigurationError: ``CONFIG_INVALID`` when the ``redis`` package is missing.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "cadml:progress:",
        max_events_per_job: int = 1000,
        ttl_s: int = 86_400,
        block_ms: int = 1000,
        socket_timeout_s: float = 5.0,
    ) -> None:
        try:
            import redis
            import redis.asyncio
        except ImportError as exc:
            raise ConfigurationError(
                "CONFIG_INVALID",
                details={
                    "reason": "the Redis progress bus needs redis: pip install 'cadml[redis]'"
                },
            ) from exc
        self.url = url
        self.prefix = prefix
        self._max_events = max_events_per_job
        self._ttl_s = ttl_s
        self._block_ms = block_ms
        self._socket_timeout_s = socket_timeout_s
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self._async_redis: Any = redis.asyncio.Redis
        self._client: Any = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=socket_timeout_s,
            socket_connect_timeout=socket_timeout_s,
        )
        self._closed = False

    def stream_key(self, job_id: str) -> str:
        """The Redis key of a job's stream."""
        return f"{self.prefix}{job_id}"

    def publish(self, event: ProgressEvent) -> ProgressEvent:
        """Add ``event`` to its job's stream (see :class:`ProgressBus`).

        Raises:
            ServiceUnavailableError: ``REDIS_UNAVAILABLE`` when Redis fails.
        """
        body = event.to_dict()
        del body["id"]
        key = self.stream_key(event.job_id)
        try:
            with self._client.pipeline(transaction=True) as pipe:
                pipe.xadd(
                    key, {_FIELD: json.dumps(body)}, maxlen=self._max_events, approximate=True
                )
                pipe.expire(key, self._ttl_s)
                event_id, _ = pipe.execute()
        except self._errors as exc:
            raise _unavailable(exc) from exc
        return replace(event, id=str(event_id))

    def history(self, job_id: str, after_id: str | None = None) -> list[ProgressEvent]:
        """The stored events of ``job_id`` after ``after_id`` (see :class:`ProgressBus`).

        Raises:
            ValidationError: for a malformed ``after_id``.
            ServiceUnavailableError: ``REDIS_UNAVAILABLE`` when Redis fails.
        """
        low = "-" if after_id is None else "(" + format_event_id(parse_event_id(after_id))
        try:
            entries = self._client.xrange(self.stream_key(job_id), min=low, max="+")
        except self._errors as exc:
            raise _unavailable(exc) from exc
        return [_decode(entry_id, fields) for entry_id, fields in entries]

    async def subscribe(
        self, job_id: str, after_id: str | None = None
    ) -> AsyncIterator[ProgressEvent]:
        """Replay, then stream live events until a terminal one (see :class:`ProgressBus`).

        Raises:
            ValidationError: for a malformed ``after_id``.
            ServiceUnavailableError: ``REDIS_UNAVAILABLE`` when Redis fails.
        """
        cursor = "0-0" if after_id is None else format_event_id(parse_event_id(after_id))
        key = self.stream_key(job_id)
        client = self._async_redis.from_url(
            self.url,
            decode_responses=True,
            socket_timeout=self._socket_timeout_s + self._block_ms / 1000,
            socket_connect_timeout=self._socket_timeout_s,
        )
        try:
            if after_id is not None and await self._ended_by(client, key, cursor):
                return
            while not self._closed:
                try:
                    reply = await client.xread({key: cursor}, count=100, block=self._block_ms)
                except self._errors as exc:
                    raise _unavailable(exc) from exc
                for _stream, entries in reply or []:
                    for entry_id, fields in entries:
                        event = _decode(entry_id, fields)
                        cursor = event.id
                        yield event
                        if event.is_terminal:
                            return
        finally:
            await client.aclose()

    async def _ended_by(self, client: Any, key: str, cursor: str) -> bool:
        # A client that resumes after the terminal event must not wait forever.
        try:
            last = await client.xrevrange(key, max="+", min="-", count=1)
        except self._errors as exc:
            raise _unavailable(exc) from exc
        if not last:
            return False
        event = _decode(*last[0])
        return event.is_terminal and parse_event_id(event.id) <= parse_event_id(cursor)

    def close(self) -> None:
        """Release the publishing connections; subscriptions end within ``block_ms``."""
        self._closed = True
        self._client.close()


def _decode(entry_id: str, fields: dict[str, str]) -> ProgressEvent:
    data = json.loads(fields[_FIELD])
    data["id"] = entry_id
    return ProgressEvent.from_dict(data)


def _unavailable(exc: Exception) -> ServiceUnavailableError:
    return ServiceUnavailableError(
        "REDIS_UNAVAILABLE", details={"reason": f"{type(exc).__name__}: {exc}"}
    )
