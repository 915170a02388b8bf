"""The FastAPI application: ``create_app()`` wires routes, errors, middleware and the runtime.

Run it with ``cadml serve`` (or ``uvicorn --factory cadml.api.app:create_app``).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

import cadml
from cadml.api import routes
from cadml.api.errors import install_error_handlers
from cadml.api.metrics import ApiMetrics
from cadml.api.routes.twin_live import LiveHub
from cadml.observability import request_id_var
from cadml.runtime import Runtime, build_runtime
from cadml.settings import Settings, get_settings

__all__ = ["API_PREFIX", "create_app"]

log = logging.getLogger("cadml.api")

API_PREFIX = "/api/v1"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

_DESCRIPTION = """
CAD-ML Platform API. Authenticate with `Authorization: Bearer <JWT or API key>`
(`POST /api/v1/auth/token` for a JWT; `cadml admin create-api-key` for a key).

Errors always have the body `{"error": {code, message, message_en, message_tr,
suggestions, details, request_id}}`; send `Accept-Language: tr` for Turkish messages.
"""


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """Build the app.

    Args:
        settings: settings to use (default: :func:`cadml.settings.get_settings`).
        runtime: an already-built runtime (tests); otherwise built in the lifespan and
            stopped on shutdown.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = runtime is None
        rt = runtime or build_runtime(settings or get_settings())
        app.state.runtime = rt
        if own:
            rt.twin.pipeline.add_listener(app.state.twin_hub.on_commit)
        if not rt.started:
            rt.start()
        log.info("cadml %s ready (jobs: %s)", cadml.__version__, rt.queue.status()["backend"])
        try:
            yield
        finally:
            if own:
                rt.stop()

    app = FastAPI(
        title="CAD-ML Platform",
        version=cadml.__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.metrics = ApiMetrics.create()
    app.state.twin_hub = LiveHub()
    if runtime is not None:
        app.state.runtime = runtime
        runtime.twin.pipeline.add_listener(app.state.twin_hub.on_commit)
    install_error_handlers(app)

    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        incoming = request.headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.state.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            request_id_var.reset(token)
        elapsed = time.perf_counter() - started
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        metrics: ApiMetrics = request.app.state.metrics
        metrics.requests.labels(request.method, path, str(response.status_code)).inc()
        metrics.latency.labels(request.method, path).observe(elapsed)
        response.headers["X-Request-ID"] = request_id
        response.headers["API-Version"] = "1"
        decision = getattr(request.state, "rate", None)
        if decision is not None:
            response.headers["X-RateLimit-Limit"] = str(decision.limit)
            response.headers["X-RateLimit-Remaining"] = str(max(0, decision.remaining))
            response.headers["X-RateLimit-Reset"] = str(int(decision.reset_s + 0.999))
        log.info(
            "%s %s -> %d",
            request.method,
            request.url.path,
            response.status_code,
            extra={"duration_ms": round(elapsed * 1000, 2), "status": response.status_code},
        )
        return response

    for router in (
        routes.auth.router,
        routes.designs.router,
        routes.physics.router,
        routes.jobs.router,
        routes.progress.router,
        routes.progress.ws_router,
        routes.twin.router,
        routes.twin_live.ws_router,
        routes.artefacts.router,
        routes.models.router,
        routes.inference.router,
        routes.health.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    # Prometheus scrapes /metrics by convention; the same handler also lives under /api/v1.
    app.add_api_route("/metrics", routes.health.metrics, include_in_schema=False)
    app.add_api_route("/health", routes.health.health, include_in_schema=False)
    return app
