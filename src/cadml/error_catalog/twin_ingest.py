"""Error codes of the ingest pipeline and the MQTT transport (TWIN_INGEST_*, TWIN_MQTT_*).

Each entry: code, English and Turkish message templates (``str.format`` fields from the
error's details, the same fields in both languages) and suggestions. ``STATUS`` gives
every code here its HTTP status.
"""

from __future__ import annotations

from cadml.error_catalog.spec import ErrorSpec

__all__ = ["SPECS", "STATUS"]

SPECS: tuple[ErrorSpec, ...] = ()

STATUS: dict[str, int] = {}
