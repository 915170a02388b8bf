"""Live job progress over Server-Sent Events and WebSocket, resumable by event id.

SSE: ``GET /jobs/{id}/progress/stream`` with ``Last-Event-ID`` (header) or
``?last_event_id=`` to resume; each event is ``id: <event id>``, ``event: progress``,
``data: <json>``; the stream ends after the terminal event. Comment heartbeats keep
proxies from closing an idle stream.

WebSocket: ``/ws/jobs/{id}/progress?access_token=...&last_event_id=...`` sends the same
JSON objects and closes (code 1000) after the terminal event.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from cadml.api.deps import ReaderDep, RuntimeDep
from cadml.api.schemas import ErrorOut
from cadml.errors import CadmlError
from cadml.jobs.progress import ProgressEvent
from cadml.runtime import Runtime
from cadml.services.auth import Principal, require_scope

__all__ = ["router", "ws_router"]

router = APIRouter(prefix="/jobs", tags=["jobs"])
ws_router = APIRouter(prefix="/ws", tags=["jobs"])

_HEARTBEAT_S = 15.0


def _snapshot_event(job: Any) -> ProgressEvent:
    """A synthetic event for a job that finished before the bus saw it (e.g. a restart)."""
    return ProgressEvent(
        job_id=job.id,
        status=str(job.status),
        progress_pct=float(job.progress_pct or 0.0),
        step=job.step or str(job.status),
        message=job.message or "",
        timestamp=(job.finished_at or job.created_at).timestamp() if job.created_at else 0.0,
        id="",
    )


async def _events(runtime: Runtime, job: Any, after_id: str | None) -> AsyncIterator[ProgressEvent]:
    terminal = str(job.status) in ("succeeded", "failed", "cancelled")
    if terminal and not runtime.bus.history(job.id):
        yield _snapshot_event(job)
        return
    async for event in runtime.bus.subscribe(job.id, after_id):
        yield event


@router.get(
    "/{job_id}/progress/stream",
    responses={200: {"content": {"text/event-stream": {}}}, 404: {"model": ErrorOut}},
    summary="Follow a job's progress (Server-Sent Events)",
)
async def progress_stream(
    job_id: str,
    principal: ReaderDep,
    runtime: RuntimeDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    resume_from: Annotated[str | None, Query(alias="last_event_id")] = None,
) -> StreamingResponse:
    """Stream progress events until the job reaches a terminal state."""
    job = await run_in_threadpool(runtime.designs.get_job, job_id, principal)
    after = last_event_id or resume_from

    async def body() -> AsyncIterator[bytes]:
        yield b"retry: 2000\n\n"
        # Read the subscription in its own task: cancelling a pending read (for a
        # heartbeat) would end the subscription itself.
        queue: asyncio.Queue[ProgressEvent | None] = asyncio.Queue()

        async def pump() -> None:
            try:
                async for event in _events(runtime, job, after):
                    await queue.put(event)
            finally:
                await queue.put(None)

        task = asyncio.create_task(pump())
        try:
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=_HEARTBEAT_S)
                except TimeoutError:
                    yield b": heartbeat\n\n"
                    continue
                if event is None:
                    return
                data = json.dumps(event.to_dict(), separators=(",", ":"))
                head = f"id: {event.id}\n" if event.id else ""
                yield f"{head}event: progress\ndata: {data}\n\n".encode()
        finally:
            task.cancel()

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@ws_router.websocket("/jobs/{job_id}/progress")
async def progress_ws(websocket: WebSocket, job_id: str) -> None:
    """Send progress events as JSON text frames; close after the terminal event."""
    runtime: Runtime = websocket.app.state.runtime
    token = websocket.query_params.get("access_token") or websocket.query_params.get("token")
    auth = websocket.headers.get("authorization", "")
    if not token and auth.lower().startswith("bearer "):
        token = auth[7:].strip()
    try:
        if not token:
            raise CadmlError("AUTH_REQUIRED")
        principal: Principal = await run_in_threadpool(runtime.accounts.authenticate, token)
        require_scope(principal, "models:read")
        job = await run_in_threadpool(runtime.designs.get_job, job_id, principal)
    except CadmlError as exc:
        await websocket.accept()
        await websocket.send_json({"error": exc.to_dict()})
        await websocket.close(code=4401 if exc.code.startswith("AUTH_") else 4404)
        return
    await websocket.accept()
    try:
        async for event in _events(runtime, job, websocket.query_params.get("last_event_id")):
            await websocket.send_json(event.to_dict())
        await websocket.close(code=1000)
    except WebSocketDisconnect:
        return
