"""FastAPI dependencies: the runtime, the calling principal, scopes and rate limits.

Use the ``Annotated`` aliases in route signatures::

    def create(principal: WriterDep, runtime: RuntimeDep): ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cadml.api.metrics import ApiMetrics
from cadml.errors import AuthError, RateLimitedError
from cadml.runtime import Runtime
from cadml.services.auth import Principal, require_scope

__all__ = [
    "AdminDep",
    "MetricsDep",
    "PrincipalDep",
    "ReaderDep",
    "RuntimeDep",
    "WriterDep",
    "enforce_rate_limit",
    "get_principal",
    "get_runtime",
    "scoped",
]

_bearer = HTTPBearer(auto_error=False, description="A JWT access token or an API key")


def get_runtime(request: Request) -> Runtime:
    """The runtime built in the app's lifespan."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_metrics(request: Request) -> ApiMetrics:
    """The app's Prometheus instruments."""
    metrics: ApiMetrics = request.app.state.metrics
    return metrics


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]


def enforce_rate_limit(
    request: Request, runtime: Runtime, key: str, limit: int | None = None
) -> None:
    """Count one request against ``key``'s sliding window; 429 past the limit.

    ``limit`` is per minute (default: ``CADML_RATE_LIMIT_PER_MINUTE``).
    """
    limit = runtime.settings.rate_limit_per_minute if limit is None else limit
    decision = runtime.limiter.hit(key, limit, 60.0)
    request.state.rate = decision
    if not decision.allowed:
        raise RateLimitedError(
            "RATE_LIMITED",
            details={
                "limit": limit,
                "window_s": 60,
                "retry_after": max(1, int(decision.retry_after_s + 0.999)),
            },
        )


def get_principal(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Authenticate ``Authorization: Bearer <JWT or API key>`` and apply the user's rate limit.

    ``?access_token=`` is accepted too, for clients that cannot set headers (EventSource).
    """
    token = credentials.credentials if credentials else request.query_params.get("access_token")
    if not token:
        raise AuthError("AUTH_REQUIRED")
    principal = runtime.accounts.authenticate(token)
    request.state.principal = principal
    enforce_rate_limit(request, runtime, f"user:{principal.user_id}")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def scoped(scope: str) -> Callable[[Principal], Principal]:
    """A dependency that requires ``scope`` of the authenticated principal."""

    def dependency(principal: PrincipalDep) -> Principal:
        require_scope(principal, scope)
        return principal

    dependency.__name__ = f"require_{scope.replace(':', '_')}"
    return dependency


ReaderDep = Annotated[Principal, Depends(scoped("models:read"))]
WriterDep = Annotated[Principal, Depends(scoped("models:write"))]
AdminDep = Annotated[Principal, Depends(scoped("admin"))]
