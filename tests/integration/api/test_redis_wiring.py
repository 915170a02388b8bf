"""With CADML_REDIS_URL set, rate limits and job progress go through the real Redis."""

from __future__ import annotations

import json

import pytest
import redis

pytestmark = pytest.mark.redis

PRISM = {
    "family": "prism_with_hole",
    "params": {"length": 30, "width": 30, "height": 8, "hole_diameter": 6},
}


def test_rate_limit_and_progress_use_redis(make_platform, redis_url):
    p = make_platform(redis_url=redis_url, rate_limit_per_minute=4)
    assert type(p.runtime.limiter).__name__ == "RedisRateLimiter"
    assert type(p.runtime.bus).__name__ == "RedisProgressBus"
    key = p.key(["models:read", "models:write"])
    headers = {"Authorization": f"Bearer {key}"}
    job_id = p.client.post("/api/v1/designs/params", json=PRISM, headers=headers).json()["job_id"]
    with p.client.stream("GET", f"/api/v1/jobs/{job_id}/progress/stream", headers=headers) as r:
        text = "".join(r.iter_text())
    events = [json.loads(x[5:]) for x in text.splitlines() if x.startswith("data:")]
    assert events[-1]["status"] == "succeeded"
    # The events really are in a Redis stream.
    client = redis.Redis.from_url(redis_url)
    try:
        streams = [k for k in client.scan_iter(match=f"*{job_id}*")]
        assert streams, "no Redis stream holds the job's progress"
        assert client.xlen(streams[0]) == len(events)
    finally:
        client.close()
    statuses = [p.client.get("/api/v1/jobs", headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
