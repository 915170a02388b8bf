"""The upload design flow: check an uploaded CAD file's request and make it canonical.

An upload names a file (its bytes are stored content-addressed before the job exists)
and the import options::

    {"upload": {"filename": "bracket.stl", "format": "stl", "sha256": "...",
                "size": 68484, "key": "..."},
     "options": {"units": "in", "dxf_thickness_mm": None, "z_up": True,
                 "center": False, "heal": True},
     "material": "aluminum_6061", "process": "cnc_milling"}

The format comes from the file name's extension here (pure Python, in the API process);
the worker confirms it from the content. Equal files with equal options give equal
canonical forms and so equal cache keys (:func:`cadml.designs.design_cache_key`).

Examples:
    >>> c = canonicalize_upload_request(
    ...     filename="Bracket.STL", size=684, sha256="ab" * 32, key="ab" * 32,
    ...     fields={"units": "IN", "z_up": "true"})
    >>> c["upload"]["format"], c["options"]["units"], c["options"]["z_up"]
    ('stl', 'in', True)
    >>> try:
    ...     canonicalize_upload_request(filename="part.dxf", size=10, sha256="ab" * 32,
    ...                                 key="ab" * 32, fields={})
    ... except ValidationError as err:
    ...     print(err.code)
    UPLOAD_DXF_THICKNESS_REQUIRED
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from cadml.designs.params import DEFAULT_MATERIAL, DEFAULT_PROCESS, PARAM_DECIMALS
from cadml.errors import ValidationError
from cadml.geometry.importers.detect import EXTENSIONS
from cadml.physics.materials import check_process, get_material

__all__ = [
    "EXTENSIONS",
    "MAX_UPLOAD_BYTES",
    "UNITS",
    "canonicalize_upload_request",
    "check_upload_size",
    "part_name",
]


UNITS = ("mm", "cm", "m", "in", "ft")
"""Length units an upload may declare."""

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
"""The largest file accepted (100 MiB)."""

_OPTION_FIELDS = ("units", "dxf_thickness_mm", "z_up", "center", "heal")
_ALL_FIELDS = (*_OPTION_FIELDS, "material", "process")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


def _invalid(field: str, reason: str, value: Any = None) -> ValidationError:
    return ValidationError(
        "VALIDATION_INVALID_VALUE", details={"field": field, "reason": reason, "value": value}
    )


def _flag(field: str, value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _invalid(field, "expected true or false", value)


def _thickness(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _invalid("dxf_thickness_mm", "expected a number of millimetres", value) from None
    if not math.isfinite(number) or not 0.0 < number <= 10_000.0:
        raise ValidationError(
            "VALIDATION_RANGE_VIOLATION",
            details={
                "field": "dxf_thickness_mm",
                "value": number,
                "min": 0.0,
                "max": 10_000.0,
                "unit": "mm",
            },
        )
    return round(number, PARAM_DECIMALS)


def check_upload_size(size: int) -> None:
    """Refuse an empty file or one over :data:`MAX_UPLOAD_BYTES`.

    Raises:
        ValidationError: ``UPLOAD_EMPTY_FILE`` or ``UPLOAD_TOO_LARGE``.
    """
    if size <= 0:
        raise ValidationError("UPLOAD_EMPTY_FILE", details={"field": "file", "size": size})
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            "UPLOAD_TOO_LARGE",
            details={"field": "file", "size": size, "max_bytes": MAX_UPLOAD_BYTES},
        )


def part_name(filename: str) -> str:
    """A safe artefact base name from an uploaded file's name.

    Examples:
        >>> part_name("../My Bracket (rev 2).STEP")
        'My_Bracket_rev_2'
    """
    stem = PurePath(filename.replace("\\", "/")).stem
    cleaned = _NAME_CHARS.sub("_", stem).strip("._")
    cleaned = re.sub(r"_+", "_", cleaned)
    return cleaned[:80] or "part"


def canonicalize_upload_request(
    *, filename: str, size: int, sha256: str, key: str, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Validate an upload's name, size and options; return the canonical request.

    Args:
        filename: the client's file name (its extension picks the format).
        size: the file's size in bytes.
        sha256: the file's sha256 (hex).
        key: where the bytes are stored in the artefact store.
        fields: the form fields: ``units``, ``dxf_thickness_mm``, ``z_up``,
            ``center``, ``heal``, ``material``, ``process`` (all optional, strings or
            typed values).

    Raises:
        ValidationError: ``UPLOAD_EMPTY_FILE``, ``UPLOAD_TOO_LARGE``,
            ``UPLOAD_UNSUPPORTED_FORMAT``, ``UPLOAD_DXF_THICKNESS_REQUIRED``,
            ``VALIDATION_UNKNOWN_PARAMETER``, ``VALIDATION_INVALID_VALUE``,
            ``VALIDATION_RANGE_VIOLATION``, or a material/process code.
    """
    check_upload_size(size)
    for name in sorted(fields):
        if name not in _ALL_FIELDS:
            raise ValidationError(
                "VALIDATION_UNKNOWN_PARAMETER",
                details={"field": name, "family": "upload", "allowed": ", ".join(_ALL_FIELDS)},
            )
    suffix = PurePath(filename.replace("\\", "/")).suffix.lower()
    if suffix not in EXTENSIONS:
        raise ValidationError(
            "UPLOAD_UNSUPPORTED_FORMAT",
            details={
                "field": "file",
                "filename": filename,
                "allowed": ", ".join(sorted(EXTENSIONS)),
            },
        )
    fmt = EXTENSIONS[suffix]
    units = fields.get("units")
    if units in (None, ""):
        units = None
    else:
        units = str(units).strip().lower()
        if units not in UNITS:
            raise _invalid("units", "expected one of: " + ", ".join(UNITS), fields.get("units"))
    thickness = _thickness(fields.get("dxf_thickness_mm"))
    if fmt == "dxf" and thickness is None:
        raise ValidationError(
            "UPLOAD_DXF_THICKNESS_REQUIRED", details={"field": "dxf_thickness_mm"}
        )
    material_id = str(fields.get("material") or DEFAULT_MATERIAL).strip().lower()
    process = str(fields.get("process") or DEFAULT_PROCESS).strip().lower()
    check_process(get_material(material_id), process)
    return {
        "upload": {
            "filename": filename,
            "format": fmt,
            "sha256": sha256,
            "size": int(size),
            "key": key,
        },
        "options": {
            "units": units,
            "dxf_thickness_mm": thickness if fmt == "dxf" else None,
            "z_up": _flag("z_up", fields.get("z_up"), False),
            "center": _flag("center", fields.get("center"), False),
            "heal": _flag("heal", fields.get("heal"), True),
        },
        "material": material_id,
        "process": process,
    }
