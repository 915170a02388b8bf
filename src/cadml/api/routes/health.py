"""``/health`` and ``/metrics``."""

from __future__ import annotations

import importlib.metadata
import platform
from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

import cadml
from cadml.api.deps import MetricsDep, RuntimeDep
from cadml.api.schemas import HealthOut

__all__ = ["engine_versions", "router"]

router = APIRouter(tags=["health"])


def engine_versions() -> dict[str, str]:
    """cadml, build123d, OCP and OCCT versions, read without importing the kernel."""

    def dist(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "missing"

    ocp = dist("cadquery-ocp-novtk")
    return {
        "cadml": cadml.__version__,
        "build123d": dist("build123d"),
        "ocp": ocp,
        # OCP wheels are versioned <OCCT major.minor.patch>.<build>.
        "occt": ".".join(ocp.split(".")[:3]) if ocp != "missing" else "missing",
        "python": platform.python_version(),
    }


@router.get(
    "/health",
    response_model=HealthOut,
    summary="Versions and dependency status",
    responses={503: {"model": HealthOut}},
)
def health(runtime: RuntimeDep, response: Response) -> HealthOut:
    """``ok`` when the database, the artefact store and at least one worker answer."""
    database: dict[str, Any] = {"url": runtime.engine.url.render_as_string(hide_password=True)}
    try:
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        database["ok"] = True
    except Exception as exc:
        database.update(ok=False, error=str(exc))
    store: dict[str, Any] = dict(runtime.store.describe())
    try:
        runtime.store.check()
        store["ok"] = True
    except Exception as exc:
        store.update(ok=False, error=str(exc))
    workers = runtime.queue.status()
    workers_ok = workers.get("backend") != "pool" or workers.get("ready", 0) > 0
    if not (database["ok"] and store["ok"]):
        status = "down"
        response.status_code = 503
    else:
        status = "ok" if workers_ok else "degraded"
    return HealthOut(
        status=status,
        versions=engine_versions(),
        database=database,
        artefact_store=store,
        workers=workers,
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
def metrics(runtime: RuntimeDep, instruments: MetricsDep) -> Response:
    """Request counts and latencies, jobs, worker readiness, queue depth, twin ingest,
    inference requests and latencies, and each served model's drift and open alerts."""
    status = runtime.queue.status()
    instruments.workers_ready.set(float(status.get("ready", 0)))
    instruments.queue_depth.set(float(status.get("queued", 0)))
    for snapshot in runtime.inference.all_monitoring():
        labels = (snapshot["model"], str(snapshot["version"]))
        drift = snapshot["drift"]
        instruments.model_drift_psi.labels(*labels).set(drift["psi_max"] if drift else 0.0)
        instruments.model_open_alerts.labels(*labels).set(float(len(snapshot["open_alerts"])))
    body = generate_latest(instruments.registry)
    body += generate_latest(runtime.twin.pipeline.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
