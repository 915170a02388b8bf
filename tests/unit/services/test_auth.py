"""Passwords, JWTs, API keys and scopes."""

from __future__ import annotations

import time

import jwt
import pytest

from cadml.errors import AuthError, PermissionDeniedError, ValidationError
from cadml.services.auth import (
    Principal,
    TokenIssuer,
    check_scopes,
    generate_api_key,
    hash_api_key,
    hash_password,
    require_scope,
    verify_password,
)


def test_password_round_trip_and_rejections():
    h = hash_password("correct horse")
    assert h.startswith("$2") and "correct" not in h
    assert verify_password("correct horse", h)
    assert not verify_password("wrong horse", h)
    assert not verify_password("x", None)
    with pytest.raises(ValidationError):
        hash_password("x" * 73)
    with pytest.raises(ValidationError):
        hash_password("")


def test_tokens_round_trip_and_kinds_are_not_interchangeable():
    issuer = TokenIssuer("s" * 32, access_ttl_s=60, refresh_ttl_s=120)
    access = issuer.issue("u1", ["models:read"], "access")
    claims = issuer.decode(access)
    assert claims["sub"] == "u1" and claims["scopes"] == ["models:read"]
    assert claims["exp"] - claims["iat"] == 60
    refresh = issuer.issue("u1", ["models:read"], "refresh")
    with pytest.raises(AuthError) as info:
        issuer.decode(refresh, kind="access")
    assert info.value.code == "AUTH_TOKEN_INVALID"
    assert issuer.decode(refresh, kind="refresh")["typ"] == "refresh"


def test_expired_tampered_and_foreign_tokens():
    issuer = TokenIssuer("k" * 32, access_ttl_s=-1)
    with pytest.raises(AuthError) as info:
        issuer.decode(issuer.issue("u", [], "access"))
    assert info.value.code == "AUTH_TOKEN_EXPIRED"
    good = TokenIssuer("k" * 32).issue("u", ["admin"])
    head, body, sig = good.split(".")
    with pytest.raises(AuthError) as info:
        # Change the signature's first character: every bit of it is significant (the
        # last one's low bits are not, so "...AA" could decode to the same signature).
        tampered = ("B" if sig[0] == "A" else "A") + sig[1:]
        TokenIssuer("k" * 32).decode(f"{head}.{body}.{tampered}")
    assert info.value.code == "AUTH_TOKEN_INVALID"
    foreign = jwt.encode(
        {"sub": "u", "typ": "access", "iat": int(time.time()), "exp": int(time.time()) + 60},
        "other" * 8,
        algorithm="HS256",
    )
    with pytest.raises(AuthError):
        TokenIssuer("k" * 32).decode(foreign)


def test_api_keys_are_random_and_stored_as_hashes():
    a, b = generate_api_key(), generate_api_key()
    assert a.plain != b.plain and a.plain.startswith("cadml_")
    assert a.key_hash == hash_api_key(a.plain) and len(a.key_hash) == 64
    assert a.prefix == a.plain[:12]


def test_scopes():
    assert check_scopes(["models:write", "models:read", "models:read"]) == (
        "models:read",
        "models:write",
    )
    with pytest.raises(ValidationError):
        check_scopes(["models:delete"])
    reader = Principal("u", "ali", ("models:read",), "jwt")
    require_scope(reader, "models:read")
    with pytest.raises(PermissionDeniedError) as info:
        require_scope(reader, "models:write")
    assert info.value.details == {"scope": "models:write"}
    require_scope(Principal("a", "root", ("admin",), "api_key"), "twin:write")
