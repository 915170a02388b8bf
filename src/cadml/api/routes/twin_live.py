"""Live telemetry over WebSocket: ``/twin/ws/{device_id}``, throttled per client, resumable.

Connect with ``?access_token=<JWT or API key with twin:read>`` (or an ``Authorization``
header). Optional query parameters:

* ``since``: unix seconds; frames newer than this are replayed first (resume after a
  disconnect by passing the last ``cursor.timestamp`` received). Without it the stream
  starts with the newest stored frame.
* ``max_hz``: at most this many messages per second to this client (default 10, 0.1-50).
* ``fields``: comma-separated numeric fields to keep (e.g. ``temperature,metrics.cycle``).

Each message is ``{"type": "frames", "frames": [...oldest first], "cursor": {...}}``. A
client that falls more than :data:`MAX_FRAMES_PER_TICK` frames behind gets a ``{"type":
"gap", "skipped_before": t}`` message and continues from the newest frames; the skipped
ones are in ``GET /twin/history``. Frames are read from the store, so they come from any
ingestor process; this process's own pipeline also wakes the sockets at once.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Sequence

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool

from cadml.errors import CadmlError
from cadml.runtime import Runtime
from cadml.services.auth import require_scope
from cadml.timeseries.port import Cursor
from cadml.twin.frame import TelemetryFrame, event_key
from cadml.twin.query import parse_fields, parse_time

__all__ = ["MAX_FRAMES_PER_TICK", "LiveHub", "ws_router"]

ws_router = APIRouter(prefix="/twin", tags=["twin"])

MAX_FRAMES_PER_TICK = 2_000
"""Most frames one message carries; a client further behind gets a gap message."""

_POLL_S = 0.5  # the store is polled this often even without a local wake-up
_PAGE = 500


class LiveHub:
    """Wakes the WebSockets of a device when this process commits frames for it.

    ``on_commit`` is a pipeline listener (called on the writer thread).
    """

    def __init__(self) -> None:
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = (
            defaultdict(set)
        )

    def subscribe(self, device_id: str) -> tuple[asyncio.AbstractEventLoop, asyncio.Event]:
        """A wake-up event for the device (call from the socket's event loop)."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        self._waiters[device_id].add(entry)
        return entry

    def unsubscribe(
        self, device_id: str, entry: tuple[asyncio.AbstractEventLoop, asyncio.Event]
    ) -> None:
        """Forget a wake-up event."""
        waiters = self._waiters.get(device_id)
        if waiters is not None:
            waiters.discard(entry)
            if not waiters:
                self._waiters.pop(device_id, None)

    def on_commit(self, frames: Sequence[TelemetryFrame]) -> None:
        """Wake every socket watching a device that has new frames."""
        for device_id in {f.device_id for f in frames}:
            for loop, event in list(self._waiters.get(device_id, ())):
                loop.call_soon_threadsafe(event.set)


def _newer(frame: TelemetryFrame, cursor: Cursor) -> bool:
    if frame.timestamp != cursor.timestamp:
        return frame.timestamp > cursor.timestamp
    return event_key(frame) > cursor.event_key


def _collect(
    runtime: Runtime, device_id: str, cursor: Cursor, fields: list[str] | None
) -> tuple[list[TelemetryFrame], bool]:
    """Frames newer than the cursor, oldest first, at most MAX_FRAMES_PER_TICK; and whether
    older ones had to be skipped."""
    found: list[TelemetryFrame] = []
    before: Cursor | None = None
    while True:
        page = runtime.twin.store.history(
            device_id, start=cursor.timestamp, limit=_PAGE, fields=fields, before=before
        )
        fresh = [f for f in page if _newer(f, cursor)]
        found.extend(fresh)
        if len(page) < _PAGE or len(fresh) < len(page):
            found.reverse()
            return found, False
        if len(found) >= MAX_FRAMES_PER_TICK:
            found = found[:MAX_FRAMES_PER_TICK]
            found.reverse()
            return found, True
        last = page[-1]
        before = Cursor(last.timestamp, event_key(last))


def _message(frames: Sequence[TelemetryFrame], cursor: Cursor) -> dict[str, object]:
    return {
        "type": "frames",
        "frames": [f.to_dict() for f in frames],
        "cursor": {"timestamp": cursor.timestamp, "event_key": cursor.event_key},
    }


def _token(websocket: WebSocket) -> str | None:
    token = websocket.query_params.get("access_token") or websocket.query_params.get("token")
    auth = websocket.headers.get("authorization", "")
    if not token and auth.lower().startswith("bearer "):
        token = auth[7:].strip()
    return token


@ws_router.websocket("/ws/{device_id}")
async def live(websocket: WebSocket, device_id: str) -> None:
    """Stream a device's new frames (see the module docstring)."""
    runtime: Runtime = websocket.app.state.runtime
    try:
        token = _token(websocket)
        if not token:
            raise CadmlError("AUTH_REQUIRED")
        principal = await run_in_threadpool(runtime.accounts.authenticate, token)
        require_scope(principal, "twin:read")
        since = parse_time(websocket.query_params.get("since"), "since")
        max_hz = float(websocket.query_params.get("max_hz", "10"))
        if not 0.1 <= max_hz <= 50:
            raise CadmlError(
                "TWIN_QUERY_INVALID", details={"field": "max_hz", "reason": "must be 0.1-50"}
            )
        fields = parse_fields(websocket.query_params.get("fields"))
    except ValueError:
        await websocket.accept()
        error = CadmlError(
            "TWIN_QUERY_INVALID", details={"field": "max_hz", "reason": "not a number"}
        )
        await websocket.send_json({"type": "error", "error": error.to_dict()})
        await websocket.close(code=4422)
        return
    except CadmlError as exc:
        await websocket.accept()
        await websocket.send_json({"type": "error", "error": exc.to_dict()})
        await websocket.close(code=4401 if exc.code.startswith("AUTH_") else 4422)
        return
    await websocket.accept()
    hub: LiveHub = websocket.app.state.twin_hub
    entry = hub.subscribe(device_id)
    if since is None:  # start at the newest stored frame: device clocks, not ours, order frames
        newest = await run_in_threadpool(
            lambda: runtime.twin.store.history(device_id, limit=1, fields=fields)
        )
        cursor = Cursor(0.0, "")
        if newest:
            cursor = Cursor(newest[0].timestamp, event_key(newest[0]))
            await websocket.send_json(_message(newest, cursor))
    else:
        cursor = Cursor(since, "\uffff")
    interval = 1.0 / max_hz
    closed = asyncio.Event()

    async def watch_close() -> None:
        try:
            while True:
                await websocket.receive_text()
        except (WebSocketDisconnect, RuntimeError):
            closed.set()

    watcher = asyncio.create_task(watch_close())
    try:
        while not closed.is_set():
            started = time.monotonic()
            frames, skipped = await run_in_threadpool(_collect, runtime, device_id, cursor, fields)
            if skipped:
                await websocket.send_json({"type": "gap", "skipped_before": frames[0].timestamp})
            if frames:
                last = frames[-1]
                cursor = Cursor(last.timestamp, event_key(last))
                await websocket.send_json(_message(frames, cursor))
            entry[1].clear()
            rest = interval - (time.monotonic() - started)
            if rest > 0:
                await asyncio.sleep(rest)
            wake = asyncio.ensure_future(entry[1].wait())
            stop = asyncio.ensure_future(closed.wait())
            await asyncio.wait({wake, stop}, timeout=_POLL_S, return_when=asyncio.FIRST_COMPLETED)
            wake.cancel()
            stop.cancel()
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        watcher.cancel()
        hub.unsubscribe(device_id, entry)
