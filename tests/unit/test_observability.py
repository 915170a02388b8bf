"""JSON logs carry request and job ids and never leak credentials or client addresses."""

from __future__ import annotations

import json
import logging

from cadml.observability import JsonFormatter, job_id_var, mask_pii, request_id_var


def _format(record: logging.LogRecord) -> dict:
    return json.loads(JsonFormatter().format(record))


def test_ids_from_context_and_extras_are_fields():
    t1, t2 = request_id_var.set("req-1"), job_id_var.set("job-9")
    try:
        record = logging.makeLogRecord(
            {
                "name": "cadml.x",
                "levelname": "INFO",
                "msg": "done in %d ms",
                "args": (12,),
                "duration_ms": 12.5,
                "color_message": "\x1b[1mnoise",
            }
        )
        entry = _format(record)
    finally:
        request_id_var.reset(t1)
        job_id_var.reset(t2)
    assert entry["message"] == "done in 12 ms"
    assert (entry["request_id"], entry["job_id"], entry["duration_ms"]) == ("req-1", "job-9", 12.5)
    assert "color_message" not in entry
    assert entry["ts"].endswith("Z")


def test_secrets_are_masked_in_messages_extras_and_tracebacks():
    try:
        raise ValueError("bad key cadml_supersecretvalue123 for ali@example.com")
    except ValueError:
        import sys

        exc_info = sys.exc_info()
    record = logging.makeLogRecord(
        {
            "msg": "Authorization: Bearer eyJhbGciOi.eyJzdWIiOi.sig from 192.168.4.20",
            "exc_info": exc_info,
            "peer": "10.0.0.7",
        }
    )
    text = JsonFormatter().format(record)
    for secret in ("eyJhbGciOi", "supersecretvalue", "ali@example.com", "192.168.4.20", "10.0.0.7"):
        assert secret not in text


def test_phone_numbers_and_loopback():
    assert mask_pii("ara +90 532 123 45 67") == "ara [phone redacted]"
    assert mask_pii("took 1234567890 ns on 127.0.0.1") == "took 1234567890 ns on 127.0.0.1"
