"""Structured JSON logs that carry request and job ids, with PII masked.

Examples:
    >>> mask_pii("mail ali@example.com from 10.1.2.3 key cadml_abcdefghijklmnop")
    'mail [email redacted] from [ip redacted] key [token redacted]'
    >>> mask_pii("listening on 127.0.0.1:8000")
    'listening on 127.0.0.1:8000'
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
from typing import Any

__all__ = ["JsonFormatter", "configure_logging", "job_id_var", "mask_pii", "request_id_var"]

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "cadml_request_id", default=None
)
job_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "cadml_job_id", default=None
)

_PII = (
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email redacted]"),
    (re.compile(r"\bcadml_[A-Za-z0-9_-]{8,}"), "[token redacted]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[token redacted]"),
    (re.compile(r"(?i)bearer\s+\S+"), "Bearer [token redacted]"),
    # Client addresses are personal data; loopback and wildcard binds are not.
    (re.compile(r"\b(?!127\.)(?!0\.0\.0\.0\b)(?:\d{1,3}\.){3}\d{1,3}\b"), "[ip redacted]"),
    (
        re.compile(r"(?<![\w.])(?:\+\d{1,3}[ -]?|0)\d{3}[ -]?\d{3}[ -]?\d{2}[ -]?\d{2}(?!\w)"),
        "[phone redacted]",
    ),
)


def mask_pii(text: str) -> str:
    """Replace e-mails, tokens, API keys, IP addresses and phone numbers."""
    for pattern, replacement in _PII:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, job_id, extras."""

    _RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {
        "message",
        "asctime",
        "color_message",  # uvicorn's ANSI-coloured duplicate of the message
    }

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as masked JSON."""
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": mask_pii(record.getMessage()),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        job_id = job_id_var.get()
        if job_id:
            entry["job_id"] = job_id
        for key, value in record.__dict__.items():
            if key not in self._RESERVED and not key.startswith("_"):
                entry[key] = (
                    value if isinstance(value, (int, float, bool)) else mask_pii(str(value))
                )
        if record.exc_info:
            entry["exception"] = mask_pii(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", json_logs: bool = True) -> None:
    """Send logs to stderr, as JSON unless ``json_logs`` is false."""
    handler = logging.StreamHandler(sys.stderr)
    if json_logs:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
