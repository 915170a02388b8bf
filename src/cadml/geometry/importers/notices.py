"""Warnings of a successful import, rendered in both languages from the catalogue."""

from __future__ import annotations

from typing import Any

from cadml.error_catalog import CATALOG
from cadml.error_catalog.upload import WARNING_CODES

__all__ = ["Notices"]


class _Defaulting(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


class Notices:
    """Collects the warnings of one import, in the order they arose.

    Examples:
        >>> n = Notices()
        >>> n.add("UPLOAD_UNITS_INFERRED", units="mm", reason="a guess")
        >>> n.as_tuple()[0]["message_en"]
        'The file states no length unit; mm was assumed: a guess'
    """

    def __init__(self) -> None:
        self._items: list[dict[str, Any]] = []

    def add(self, code: str, **details: Any) -> None:
        """Record warning ``code`` with its ``details``.

        Raises:
            KeyError: if ``code`` is not a warning code (a programming error).
        """
        if code not in WARNING_CODES:
            raise KeyError(code)
        spec = CATALOG[code]
        fields = _Defaulting(details)
        self._items.append(
            {
                "code": code,
                "message_en": spec.message_en.format_map(fields),
                "message_tr": spec.message_tr.format_map(fields),
                "details": dict(details),
            }
        )

    def as_tuple(self) -> tuple[dict[str, Any], ...]:
        """The warnings so far."""
        return tuple(self._items)
