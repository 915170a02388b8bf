"""``/twin``: devices, telemetry ingest over HTTP, history, aggregates and current state.

Ingest (``POST /twin/{device_id}/telemetry``) takes one frame or a batch as MsgPack or
JSON (detected), authenticated by the device's own key or a user credential with the
``twin:write`` scope, and answers only after the store has committed the frames. A
payload with any bad frame is refused as a whole (422, every rejection listed), so
nothing is half-written. The live WebSocket is in :mod:`cadml.api.routes.twin_live`.
"""

from __future__ import annotations

import time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cadml.api.deps import AdminDep, RuntimeDep, enforce_rate_limit, scoped
from cadml.api.schemas import ErrorOut
from cadml.api.twin_schemas import (
    DeviceIn,
    DeviceOut,
    DevicePatch,
    decode_cursor,
    device_out,
    encode_cursor,
)
from cadml.errors import NotFoundError
from cadml.services.auth import Principal
from cadml.services.twin import StateView
from cadml.twin.query import parse_fields, parse_time, parse_window

__all__ = ["router"]

router = APIRouter(prefix="/twin", tags=["twin"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 404, 409, 413, 422, 429, 503)
}
_bearer = HTTPBearer(auto_error=False, description="A device key, a JWT or an API key")
TwinReader = Annotated[Principal, Depends(scoped("twin:read"))]
TwinWriter = Annotated[Principal, Depends(scoped("twin:write"))]
_FRAME_EXAMPLE = {
    "timestamp": 1764633600.0,
    "device_id": "press-7",
    "sensors": {"temperature": 61.2, "vibration_rms": 1.8},
    "metrics": {"cycle": 1042},
    "status": {"state": "running"},
}


# -- devices ------------------------------------------------------------------------------


@router.post(
    "/devices",
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
    summary="Register a device (returns its ingest key once)",
)
async def register_device(
    body: DeviceIn, principal: TwinWriter, runtime: RuntimeDep
) -> dict[str, Any]:
    """Register a device. The answer holds its ingest key (``api_key``) and, when an
    ``mqtt_username`` is given, its broker password (``mqtt_password``): store them, they
    are not shown again (``rotate-key`` / ``rotate-mqtt-password`` make new ones)."""
    done = await run_in_threadpool(
        lambda: runtime.twin_devices.register(
            body.id,
            type=body.type,
            name=body.name,
            tags=body.tags,
            owner_id=principal.user_id,
            mqtt_username=body.mqtt_username,
            retention_raw_days=body.retention_raw_days,
            retention_rollup_days=body.retention_rollup_days,
        )
    )
    out = {"device": device_out(done.device).model_dump(mode="json"), "api_key": done.api_key}
    if done.mqtt_password is not None:
        out["mqtt_password"] = done.mqtt_password
    return out


@router.get("/devices", responses=_ERRORS, summary="List devices")
async def list_devices(
    principal: TwinReader,
    runtime: RuntimeDep,
    type: Annotated[str | None, Query(description="Only devices of this type")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Registered devices ordered by id."""
    rows, total = await run_in_threadpool(
        runtime.twin_devices.devices.list, type=type, limit=limit, offset=offset
    )
    return {
        "items": [device_out(r).model_dump(mode="json") for r in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@router.get("/devices/{device_id}", response_model=DeviceOut, responses=_ERRORS)
async def get_device(device_id: str, principal: TwinReader, runtime: RuntimeDep) -> DeviceOut:
    """One registered device."""
    record = await run_in_threadpool(runtime.twin_devices.devices.require, device_id)
    return device_out(record)


@router.patch("/devices/{device_id}", response_model=DeviceOut, responses=_ERRORS)
async def update_device(
    device_id: str, body: DevicePatch, principal: TwinWriter, runtime: RuntimeDep
) -> DeviceOut:
    """Change a device's type, name, tags, MQTT user name or retention (only the fields
    sent; send ``null`` retention to inherit the type's or the platform's)."""
    changes = body.model_dump(exclude_unset=True)
    record = await run_in_threadpool(runtime.twin_devices.update, device_id, changes)
    return device_out(record)


@router.post("/devices/{device_id}/rotate-key", responses=_ERRORS)
async def rotate_device_key(
    device_id: str, principal: TwinWriter, runtime: RuntimeDep
) -> dict[str, Any]:
    """Give the device a new ingest key; the old key stops working at once."""
    done = await run_in_threadpool(runtime.twin_devices.rotate_key, device_id)
    return {"device": device_out(done.device).model_dump(mode="json"), "api_key": done.api_key}


@router.post("/devices/{device_id}/rotate-mqtt-password", responses=_ERRORS)
async def rotate_mqtt_password(
    device_id: str, principal: TwinWriter, runtime: RuntimeDep
) -> dict[str, Any]:
    """A new broker password for the device's MQTT user name (shown once). Mosquitto sees
    it after `cadml twin mosquitto-auth` rewrites the password file and the broker
    reloads (SIGHUP)."""
    password = await run_in_threadpool(runtime.twin_devices.rotate_mqtt_password, device_id)
    return {"device_id": device_id, "mqtt_password": password}


@router.delete("/devices/{device_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS)
async def delete_device(device_id: str, principal: TwinWriter, runtime: RuntimeDep) -> Response:
    """Remove a device from the registry. Its telemetry stays until retention removes it."""
    if not await run_in_threadpool(runtime.twin_devices.delete, device_id):
        raise NotFoundError("NOT_FOUND_DEVICE", details={"device_id": device_id})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- ingest -------------------------------------------------------------------------------


@router.post(
    "/{device_id}/telemetry",
    responses=_ERRORS,
    summary="Ingest one frame or a batch (MsgPack or JSON), answered after commit",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/msgpack": {"schema": {"type": "string", "format": "binary"}},
                "application/json": {"example": [_FRAME_EXAMPLE]},
            },
            "required": True,
        }
    },
)
async def ingest(
    device_id: str,
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> dict[str, Any]:
    """Store frames of one device. 200 means committed: ``written`` new frames and
    ``duplicates`` already stored (writes are idempotent on device and timestamp)."""
    token = credentials.credentials if credentials else None
    rate_key = await run_in_threadpool(runtime.twin_devices.authorize_ingest, device_id, token)
    # ingest has its own, larger budget per device (or per user posting for devices)
    enforce_rate_limit(
        request, runtime, f"twin:{rate_key}", runtime.settings.twin_ingest_rate_per_minute
    )
    payload = await request.body()
    receipt = await run_in_threadpool(runtime.twin.ingest, device_id, payload)
    return {
        "device_id": device_id,
        "accepted": receipt.accepted,
        "written": receipt.written,
        "duplicates": receipt.duplicates,
    }


@router.get("/ingest/stats", responses=_ERRORS, summary="Ingest counters of this process")
async def ingest_stats(principal: TwinReader, runtime: RuntimeDep) -> dict[str, Any]:
    """Received, written, duplicates, dropped and rejected (by reason) frames, queue depth
    and batches of this API process's pipeline (a ``cadml ingest`` process prints its own)."""
    return runtime.twin.pipeline.counters().as_dict()


# -- queries ------------------------------------------------------------------------------


@router.get("/history", responses=_ERRORS, summary="A device's frames, newest first")
async def history(
    principal: TwinReader,
    runtime: RuntimeDep,
    device_id: Annotated[str, Query(description="The device")],
    start: Annotated[str | None, Query(description="Unix s or ISO 8601, inclusive")] = None,
    stop: Annotated[str | None, Query(description="Unix s or ISO 8601, exclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    fields: Annotated[
        str | None, Query(description="Comma-separated, e.g. temperature,metrics.cycle")
    ] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    """Frames newest first. When there are more, ``next_cursor`` (and ``links.next``)
    gives the next, older page."""
    t0, t1 = parse_time(start, "start"), parse_time(stop, "stop")
    names = parse_fields(fields)
    page = await run_in_threadpool(
        lambda: runtime.twin.history(
            device_id,
            start=t0,
            stop=t1,
            limit=limit,
            fields=names,
            cursor=decode_cursor(cursor),
        )
    )
    next_cursor = None if page.next_cursor is None else encode_cursor(page.next_cursor)
    links: dict[str, Any] = {}
    if next_cursor is not None:
        params = {"device_id": device_id, "limit": str(limit), "cursor": next_cursor}
        for name, value in (("start", start), ("stop", stop), ("fields", fields)):
            if value:
                params[name] = value
        links["next"] = f"/api/v1{router.prefix}/history?{urlencode(params)}"
    return {
        "device_id": device_id,
        "frames": [f.to_dict() for f in page.frames],
        "count": len(page.frames),
        "next_cursor": next_cursor,
        "links": links,
    }


@router.get("/history/aggregate", responses=_ERRORS, summary="Windowed aggregates of a field")
async def aggregate(
    principal: TwinReader,
    runtime: RuntimeDep,
    field: Annotated[str, Query(description="temperature, sensors.temperature, metrics.cycle")],
    device_id: Annotated[str | None, Query(description="Omit for all devices")] = None,
    window: Annotated[str, Query(description="30s, 5m, 1h, 1d")] = "5m",
    fn: Annotated[str, Query(description="mean|min|max|sum|count|stddev")] = "mean",
    start: Annotated[str | None, Query(description="Default: stop - 1 day")] = None,
    stop: Annotated[str | None, Query(description="Default: now")] = None,
) -> dict[str, Any]:
    """One point per window (aligned to the unix epoch; empty windows are left out).
    Windows that are whole minutes or hours over aligned ranges are read from rollups."""
    window_s = parse_window(window)
    t1 = parse_time(stop, "stop")
    t1 = time.time() if t1 is None else t1
    t0 = parse_time(start, "start")
    t0 = t1 - 86400.0 if t0 is None else t0
    points = await run_in_threadpool(
        lambda: runtime.twin.aggregate(
            field, window_s=window_s, fn=fn, start=t0, stop=t1, device_id=device_id
        )
    )
    return {
        "device_id": device_id,
        "field": field,
        "fn": fn,
        "window_s": window_s,
        "start": t0,
        "stop": t1,
        "points": [{"start": p.start, "value": p.value, "count": p.count} for p in points],
    }


@router.get("/{device_id}/state", responses=_ERRORS, summary="Last values and presence")
async def device_state(device_id: str, principal: TwinReader, runtime: RuntimeDep) -> Any:
    """The last value of every field, the last status, last-seen time and whether the
    device is online (a frame within the heartbeat timeout)."""
    view: StateView = await run_in_threadpool(runtime.twin.state, device_id)
    state = view.state
    return {
        "device_id": device_id,
        "registered": view.registered,
        "presence": view.presence,
        "heartbeat_timeout_s": view.heartbeat_timeout_s,
        "last_seen": None if state is None else state.last_seen,
        "fields": {}
        if state is None
        else {k: {"value": v.value, "timestamp": v.timestamp} for k, v in state.fields.items()},
        "status": {} if state is None else state.status,
    }


@router.post("/retention/apply", responses=_ERRORS, summary="Apply retention now (admin)")
async def apply_retention(principal: AdminDep, runtime: RuntimeDep) -> dict[str, Any]:
    """Delete raw frames and rollups older than each device's retention."""
    deleted = await run_in_threadpool(runtime.twin.apply_retention)
    return {"deleted_raw_frames": deleted, "devices": len(deleted)}
