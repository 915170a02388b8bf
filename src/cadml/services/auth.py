"""Authentication use cases: passwords, JWT access/refresh tokens, API keys, scopes.

``Authorization: Bearer <credential>`` accepts either a JWT or an API key. API keys
start with ``cadml_`` and are stored only as their sha256; JWTs are HS256 and carry
``sub`` (user id), ``scopes``, ``typ`` (``access`` | ``refresh``), ``iat``, ``exp`` and
``jti``.

Examples:
    >>> key = generate_api_key()
    >>> key.plain.startswith("cadml_") and len(key.key_hash) == 64
    True
    >>> has_scope(("admin",), "models:write"), has_scope(("models:read",), "models:write")
    (True, False)
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import bcrypt
import jwt

from cadml.errors import AuthError, PermissionDeniedError, ValidationError

__all__ = [
    "API_KEY_PREFIX",
    "SCOPES",
    "GeneratedApiKey",
    "Principal",
    "TokenIssuer",
    "check_scopes",
    "generate_api_key",
    "has_scope",
    "hash_api_key",
    "hash_password",
    "require_scope",
    "verify_password",
]

SCOPES: tuple[str, ...] = ("admin", "models:read", "models:write", "twin:read", "twin:write")
"""Every RBAC scope. ``admin`` implies all the others."""

API_KEY_PREFIX = "cadml_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user, through a JWT or one of their API keys."""

    user_id: str
    username: str
    scopes: tuple[str, ...]
    via: str  # "jwt" | "api_key"
    api_key_id: str | None = None

    @property
    def is_admin(self) -> bool:
        """True when the principal carries the ``admin`` scope."""
        return "admin" in self.scopes


def has_scope(scopes: Iterable[str], scope: str) -> bool:
    """True when ``scopes`` grant ``scope`` (``admin`` grants everything)."""
    held = set(scopes)
    return "admin" in held or scope in held


def require_scope(principal: Principal, scope: str) -> None:
    """Raise ``AUTH_FORBIDDEN`` unless the principal holds ``scope``."""
    if not has_scope(principal.scopes, scope):
        raise PermissionDeniedError("AUTH_FORBIDDEN", details={"scope": scope})


def check_scopes(scopes: Sequence[str]) -> tuple[str, ...]:
    """Validate scope names; returns them sorted and de-duplicated.

    Raises:
        ValidationError: ``VALIDATION_INVALID_VALUE`` for an unknown scope.
    """
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": "scopes", "reason": f"unknown scope(s) {unknown}; known: {SCOPES}"},
        )
    return tuple(sorted(set(scopes)))


def hash_password(password: str) -> str:
    """bcrypt hash of a password (passwords over 72 bytes are rejected, not truncated)."""
    raw = password.encode()
    if len(raw) > 72 or not raw:
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": "password", "reason": "must be 1 to 72 bytes long"},
        )
    return bcrypt.hashpw(raw, bcrypt.gensalt(rounds=12)).decode()


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant-time check of a password against its bcrypt hash."""
    if not password_hash:
        return False
    raw = password.encode()
    if len(raw) > 72:
        return False
    return bcrypt.checkpw(raw, password_hash.encode())


@dataclass(frozen=True)
class GeneratedApiKey:
    """A new API key: ``plain`` is shown once; only ``key_hash`` is stored."""

    plain: str
    prefix: str
    key_hash: str


def hash_api_key(plain: str) -> str:
    """sha256 hex of an API key (keys are random, so no salt or slow hash is needed)."""
    return hashlib.sha256(plain.encode()).hexdigest()


def generate_api_key() -> GeneratedApiKey:
    """A fresh random API key."""
    plain = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return GeneratedApiKey(plain=plain, prefix=plain[:12], key_hash=hash_api_key(plain))


class TokenIssuer:
    """Issues and verifies the platform's JWTs.

    Args:
        secret: HS256 key.
        access_ttl_s: lifetime of access tokens.
        refresh_ttl_s: lifetime of refresh tokens.
    """

    algorithm = "HS256"

    def __init__(self, secret: str, access_ttl_s: int = 900, refresh_ttl_s: int = 604800) -> None:
        self._secret = secret
        self.access_ttl_s = access_ttl_s
        self.refresh_ttl_s = refresh_ttl_s

    def issue(self, user_id: str, scopes: Sequence[str], kind: str = "access") -> str:
        """A signed token of ``kind`` (``access`` or ``refresh``) for ``user_id``."""
        now = int(time.time())
        ttl = self.access_ttl_s if kind == "access" else self.refresh_ttl_s
        claims = {
            "sub": user_id,
            "scopes": list(scopes),
            "typ": kind,
            "iat": now,
            "exp": now + ttl,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self._secret, algorithm=self.algorithm)

    def decode(self, token: str, kind: str = "access") -> dict[str, Any]:
        """Verify a token and return its claims.

        Raises:
            AuthError: ``AUTH_TOKEN_EXPIRED`` or ``AUTH_TOKEN_INVALID``.
        """
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[self.algorithm],
                options={"require": ["exp", "iat", "sub", "typ"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("AUTH_TOKEN_EXPIRED") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthError("AUTH_TOKEN_INVALID", details={"reason": str(exc)}) from exc
        if claims.get("typ") != kind:
            raise AuthError("AUTH_TOKEN_INVALID", details={"reason": f"expected a {kind} token"})
        return claims
