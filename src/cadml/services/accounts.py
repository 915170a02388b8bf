"""Account use cases: users, logins, token refresh, API keys and bearer authentication."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cadml.db.api_keys import ApiKeyRepository
from cadml.db.users import UserRepository
from cadml.errors import AuthError, ConflictError, NotFoundError, ValidationError
from cadml.services.auth import (
    API_KEY_PREFIX,
    Principal,
    TokenIssuer,
    check_scopes,
    generate_api_key,
    hash_api_key,
    hash_password,
    require_scope,
    verify_password,
)

__all__ = ["AccountService", "TokenPair"]

_TOUCH_EVERY_S = 60.0


@dataclass(frozen=True)
class TokenPair:
    """An access token and the refresh token that renews it."""

    access_token: str
    refresh_token: str
    expires_in: int
    scopes: tuple[str, ...]
    token_type: str = "bearer"


class AccountService:
    """Users, credentials and who-is-calling.

    Args:
        users: user repository.
        api_keys: API key repository.
        tokens: JWT issuer.
    """

    def __init__(
        self, users: UserRepository, api_keys: ApiKeyRepository, tokens: TokenIssuer
    ) -> None:
        self.users = users
        self.api_keys = api_keys
        self.tokens = tokens
        self._last_touch: dict[str, float] = {}

    # ---------------------------------------------------------------- users
    def create_user(
        self, username: str, password: str | None, scopes: Sequence[str], *, update: bool = False
    ) -> Any:
        """Create a user (or, with ``update``, reset an existing user's password and scopes).

        Raises:
            ConflictError: ``USER_EXISTS`` when the user exists and ``update`` is false.
            ValidationError: bad username, password or scope.
        """
        username = username.strip()
        if (
            not username
            or len(username) > 64
            or not username.replace("-", "")
            .replace("_", "")
            .replace(".", "")
            .replace("@", "")
            .isalnum()
        ):
            raise ValidationError(
                "VALIDATION_INVALID_VALUE",
                details={
                    "field": "username",
                    "reason": "1-64 letters, digits, '.', '-', '_' or '@'",
                },
            )
        clean_scopes = check_scopes(scopes)
        password_hash = hash_password(password) if password else None
        existing = self.users.get_by_username(username)
        if existing is not None:
            if not update:
                raise ConflictError("USER_EXISTS", details={"username": username})
            if password_hash:
                self.users.set_password_hash(existing.id, password_hash)
            self.users.set_scopes(existing.id, list(clean_scopes))
            return self.users.get(existing.id)
        return self.users.create_user(username, password_hash, list(clean_scopes))

    def get_or_create_service_user(self, username: str, scopes: Sequence[str]) -> Any:
        """The named user, created without a password (API keys only) if missing."""
        user = self.users.get_by_username(username)
        if user is not None:
            return user
        try:
            return self.users.create_user(username, None, list(check_scopes(scopes)))
        except ConflictError:
            return self.users.get_by_username(username)

    # --------------------------------------------------------------- tokens
    def login(self, username: str, password: str) -> TokenPair:
        """Exchange a username and password for tokens.

        Raises:
            AuthError: ``AUTH_INVALID_CREDENTIALS``.
        """
        user = self.users.get_by_username(username)
        if user is None or not user.is_active or not verify_password(password, user.password_hash):
            raise AuthError("AUTH_INVALID_CREDENTIALS")
        return self._pair(user.id, tuple(user.scopes))

    def refresh(self, refresh_token: str) -> TokenPair:
        """Exchange a refresh token for a new pair (scopes re-read from the user)."""
        claims = self.tokens.decode(refresh_token, kind="refresh")
        user = self._user(str(claims["sub"]))
        if user is None or not user.is_active:
            raise AuthError("AUTH_TOKEN_INVALID", details={"reason": "user no longer exists"})
        return self._pair(user.id, tuple(user.scopes))

    def _pair(self, user_id: str, scopes: tuple[str, ...]) -> TokenPair:
        return TokenPair(
            access_token=self.tokens.issue(user_id, scopes, "access"),
            refresh_token=self.tokens.issue(user_id, scopes, "refresh"),
            expires_in=self.tokens.access_ttl_s,
            scopes=scopes,
        )

    # ------------------------------------------------------------- API keys
    def create_api_key(
        self, user_id: str, name: str, scopes: Sequence[str], *, granter: Principal | None = None
    ) -> tuple[Any, str]:
        """Create an API key for ``user_id``; returns ``(record, plain_key)``.

        A key never carries more than its granter holds: each requested scope is checked
        against ``granter`` when one is given (the CLI, run by an operator, passes none).
        """
        name = name.strip()
        if not name or len(name) > 100:
            raise ValidationError(
                "VALIDATION_INVALID_VALUE", details={"field": "name", "reason": "1-100 chars"}
            )
        clean = check_scopes(scopes)
        if not clean:
            raise ValidationError("VALIDATION_MISSING_FIELD", details={"field": "scopes"})
        if granter is not None:
            for scope in clean:
                require_scope(granter, scope)
        generated = generate_api_key()
        record = self.api_keys.create(
            user_id, name, generated.prefix, generated.key_hash, list(clean)
        )
        return record, generated.plain

    # ------------------------------------------------------- authentication
    def authenticate(self, credential: str) -> Principal:
        """Resolve a bearer credential (JWT or API key) to a principal.

        Raises:
            AuthError: the credential is unknown, revoked, expired or malformed.
        """
        if credential.startswith(API_KEY_PREFIX):
            key = self.api_keys.get_by_hash(hash_api_key(credential))
            if key is None:
                raise AuthError("AUTH_API_KEY_INVALID")
            user = self._user(key.user_id)
            if user is None or not user.is_active:
                raise AuthError("AUTH_API_KEY_INVALID")
            now = time.monotonic()
            if now - self._last_touch.get(key.id, 0.0) > _TOUCH_EVERY_S:
                self._last_touch[key.id] = now
                self.api_keys.touch_last_used(key.id)
            return Principal(user.id, user.username, tuple(key.scopes), "api_key", key.id)
        claims = self.tokens.decode(credential, kind="access")
        user = self._user(str(claims["sub"]))
        if user is None or not user.is_active:
            raise AuthError("AUTH_TOKEN_INVALID", details={"reason": "user no longer exists"})
        # The token's scopes, narrowed to what the user still holds.
        current = set(user.scopes)
        scopes = tuple(s for s in claims.get("scopes", []) if s in current)
        return Principal(user.id, user.username, scopes, "jwt")

    def _user(self, user_id: str) -> Any:
        try:
            return self.users.get(user_id)
        except NotFoundError:
            return None

    def user_by_name(self, username: str) -> Any:
        """The user named ``username``.

        Raises:
            NotFoundError: ``NOT_FOUND_USER``.
        """
        user = self.users.get_by_username(username)
        if user is None:
            raise NotFoundError("NOT_FOUND_USER", details={"username": username})
        return user
