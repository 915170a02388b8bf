"""``/auth``: password login, token refresh and API keys."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, status
from starlette.concurrency import run_in_threadpool

from cadml.api.deps import PrincipalDep, RuntimeDep, enforce_rate_limit
from cadml.api.schemas import ApiKeyIn, ApiKeyOut, ErrorOut, RefreshIn, TokenIn, TokenOut
from cadml.errors import ValidationError
from cadml.runtime import Runtime
from cadml.services.accounts import TokenPair

__all__ = ["router"]

router = APIRouter(prefix="/auth", tags=["auth"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut},
    422: {"model": ErrorOut},
    429: {"model": ErrorOut},
}

_TOKEN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": TokenIn.model_json_schema()},
            "application/x-www-form-urlencoded": {"schema": TokenIn.model_json_schema()},
        },
    }
}


async def _credentials(request: Request) -> TokenIn:
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("application/x-www-form-urlencoded"):
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            return TokenIn(**form)
        return TokenIn(**json.loads(raw or b"{}"))
    except (ValueError, TypeError) as exc:
        missing = "username" if b"username" not in raw else "password"
        raise ValidationError("VALIDATION_MISSING_FIELD", details={"field": missing}) from exc


def _limit_by_address(request: Request, runtime: Runtime) -> None:
    # No user is known yet: brute-force protection is per client address.
    client = request.client.host if request.client else "unknown"
    enforce_rate_limit(request, runtime, f"login:{client}")


def _token_out(pair: TokenPair) -> TokenOut:
    return TokenOut(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        scopes=list(pair.scopes),
    )


@router.post(
    "/token",
    response_model=TokenOut,
    responses=_ERRORS,
    openapi_extra=_TOKEN_BODY,
    summary="Exchange username and password for access and refresh JWTs",
)
async def issue_token(request: Request, runtime: RuntimeDep) -> TokenOut:
    """Password login (JSON or OAuth2 form). Rate-limited per client address."""
    _limit_by_address(request, runtime)
    creds = await _credentials(request)
    pair = await run_in_threadpool(runtime.accounts.login, creds.username, creds.password)
    return _token_out(pair)


@router.post(
    "/refresh",
    response_model=TokenOut,
    responses=_ERRORS,
    summary="Exchange a refresh token for a new token pair",
)
def refresh_token(body: RefreshIn, request: Request, runtime: RuntimeDep) -> TokenOut:
    """Refresh: the new pair carries the user's current scopes."""
    _limit_by_address(request, runtime)
    pair = runtime.accounts.refresh(body.refresh_token)
    return _token_out(pair)


@router.post(
    "/api-keys",
    response_model=ApiKeyOut,
    status_code=status.HTTP_201_CREATED,
    responses={**_ERRORS, 403: {"model": ErrorOut}},
    summary="Create an API key for the caller (shown once)",
)
def create_api_key(body: ApiKeyIn, principal: PrincipalDep, runtime: RuntimeDep) -> ApiKeyOut:
    """A new API key with a subset of the caller's scopes."""
    record, plain = runtime.accounts.create_api_key(
        principal.user_id, body.name, body.scopes, granter=principal
    )
    return ApiKeyOut(
        id=record.id,
        name=record.name,
        prefix=record.prefix,
        scopes=list(record.scopes),
        key=plain,
        created_at=record.created_at,
    )
