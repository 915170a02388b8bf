"""Auth over HTTP: passwords, JWT refresh, API keys, scopes, rate limits, unknown routes."""

from __future__ import annotations


def test_password_login_refresh_and_bearer_jwt(platform):
    access = platform.user("carol", ["models:read"])
    headers = {"Authorization": f"Bearer {access}"}
    assert platform.client.get("/api/v1/jobs", headers=headers).status_code == 200
    r = platform.client.post(
        "/api/v1/auth/token", json={"username": "carol", "password": "s3cret-pass"}
    )
    refresh = r.json()["refresh_token"]
    r2 = platform.client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    assert r2.status_code == 200 and r2.json()["access_token"]
    # A refresh token is not an access token, and vice versa.
    r3 = platform.client.get("/api/v1/jobs", headers={"Authorization": f"Bearer {refresh}"})
    assert r3.status_code == 401 and r3.json()["error"]["code"] == "AUTH_TOKEN_INVALID"
    r4 = platform.client.post("/api/v1/auth/refresh", json={"refresh_token": access})
    assert r4.status_code == 401


def test_oauth2_form_login_and_wrong_password(platform):
    platform.user("dave", ["models:read"])
    r = platform.client.post(
        "/api/v1/auth/token", data={"username": "dave", "password": "s3cret-pass"}
    )
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    bad = platform.client.post("/api/v1/auth/token", json={"username": "dave", "password": "nope"})
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "AUTH_INVALID_CREDENTIALS"
    assert bad.headers["WWW-Authenticate"] == "Bearer"
    ghost = platform.client.post(
        "/api/v1/auth/token", json={"username": "nobody", "password": "nope"}
    )
    assert ghost.json()["error"]["code"] == "AUTH_INVALID_CREDENTIALS"
    missing = platform.client.post("/api/v1/auth/token", json={"username": "dave"})
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "VALIDATION_MISSING_FIELD"


def test_scopes_are_enforced(platform):
    reader = {"Authorization": f"Bearer {platform.key(['models:read'])}"}
    r = platform.client.post(
        "/api/v1/designs/params", json={"family": "x", "params": {}}, headers=reader
    )
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "AUTH_FORBIDDEN"
    assert r.json()["error"]["details"]["scope"] == "models:write"
    assert platform.client.get("/api/v1/jobs").json()["error"]["code"] == "AUTH_REQUIRED"
    bogus = {"Authorization": "Bearer cadml_not-a-real-key"}
    assert platform.client.get("/api/v1/jobs", headers=bogus).json()["error"]["code"] == (
        "AUTH_API_KEY_INVALID"
    )


def test_api_keys_via_api_cannot_exceed_the_granter(platform):
    token = platform.user("erin", ["models:read", "models:write"])
    headers = {"Authorization": f"Bearer {token}"}
    r = platform.client.post(
        "/api/v1/auth/api-keys", json={"name": "robot", "scopes": ["models:read"]}, headers=headers
    )
    assert r.status_code == 201
    key = r.json()["key"]
    assert key.startswith("cadml_") and r.json()["prefix"] == key[:12]
    assert (
        platform.client.get("/api/v1/jobs", headers={"Authorization": f"Bearer {key}"}).status_code
        == 200
    )
    r = platform.client.post(
        "/api/v1/auth/api-keys", json={"name": "root", "scopes": ["admin"]}, headers=headers
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "AUTH_FORBIDDEN"
    r = platform.client.post(
        "/api/v1/auth/api-keys", json={"name": "x", "scopes": ["models:fly"]}, headers=headers
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "VALIDATION_INVALID_VALUE"


def test_unknown_route_is_a_coded_404(platform):
    r = platform.client.get("/api/v1/nothing-here", headers={"Accept-Language": "tr"})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "NOT_FOUND_ROUTE"
    assert "uç nokta" in r.json()["error"]["message"]


def test_rate_limit_429_with_headers(make_platform):
    p = make_platform(rate_limit_per_minute=3)
    headers = {"Authorization": f"Bearer {p.key(['models:read'])}"}
    seen = []
    for _ in range(3):
        r = p.client.get("/api/v1/jobs", headers=headers)
        assert r.status_code == 200
        seen.append(int(r.headers["X-RateLimit-Remaining"]))
        assert r.headers["X-RateLimit-Limit"] == "3"
    assert seen == [2, 1, 0]
    r = p.client.get("/api/v1/jobs", headers=headers)
    assert r.status_code == 429
    body = r.json()["error"]
    assert body["code"] == "RATE_LIMITED"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.headers["X-RateLimit-Remaining"] == "0"
    # Another user has a window of their own.
    other = {"Authorization": f"Bearer {p.key(['models:read'], user='admin')}"}
    assert p.client.get("/api/v1/jobs", headers=other).status_code == 429  # same user: admin
    third = {"Authorization": f"Bearer {p.user('frank', ['models:read'])}"}
    assert p.client.get("/api/v1/jobs", headers=third).status_code == 200
