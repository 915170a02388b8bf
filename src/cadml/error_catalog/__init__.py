"""The catalogue of error codes: English and Turkish messages and suggestions.

Data only; the error classes live in :mod:`cadml.errors`. Messages are ``str.format``
templates filled from an error's ``details``; both languages use the same fields (a
unit test checks it). The catalogue is split by domain, one module each; a domain
module exports ``SPECS`` and, for codes outside the foundation, ``STATUS`` (code →
HTTP status), which :mod:`cadml.api.errors` merges into its table.
"""

from __future__ import annotations

from cadml.error_catalog import (
    core,
    dfm,
    drawing,
    families,
    families_rotary,
    families_standard,
    ml,
    ml_anomaly,
    ml_models,
    physics_collision,
    physics_mass,
    timeseries,
    twin,
    twin_devices,
    twin_ingest,
    upload,
)
from cadml.error_catalog.spec import ErrorSpec, Suggestion, suggestion

__all__ = ["CATALOG", "DOMAIN_STATUS", "ErrorSpec", "Suggestion", "suggestion"]

_DOMAINS = (
    core,
    families,
    families_rotary,
    families_standard,
    upload,
    dfm,
    drawing,
    physics_mass,
    physics_collision,
    twin,
    timeseries,
    twin_ingest,
    twin_devices,
    ml,
    ml_models,
    ml_anomaly,
)


def _merge() -> dict[str, ErrorSpec]:
    catalog: dict[str, ErrorSpec] = {}
    for module in _DOMAINS:
        for spec in module.SPECS:
            if spec.code in catalog:
                raise RuntimeError(f"error code {spec.code} is defined twice")
            catalog[spec.code] = spec
    return catalog


CATALOG: dict[str, ErrorSpec] = _merge()
"""Every error code the platform emits, by code."""

DOMAIN_STATUS: dict[str, int] = {
    code: status for module in _DOMAINS for code, status in getattr(module, "STATUS", {}).items()
}
"""HTTP statuses declared by the domain modules (codes added after the foundation)."""
