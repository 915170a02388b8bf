"""The shape of a catalogue entry: an error code with English and Turkish text."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ErrorSpec", "Suggestion", "suggestion"]


@dataclass(frozen=True)
class Suggestion:
    """One remediation hint, in English and Turkish."""

    en: str
    tr: str


@dataclass(frozen=True)
class ErrorSpec:
    """The stable text of one error code.

    Args:
        code: the stable identifier, e.g. ``VALIDATION_RANGE_VIOLATION``.
        message_en: English message template (``str.format`` fields from details).
        message_tr: Turkish message template.
        suggestions: remediation hints shown to the user.
    """

    code: str
    message_en: str
    message_tr: str
    suggestions: tuple[Suggestion, ...] = field(default_factory=tuple)


def suggestion(en: str, tr: str) -> Suggestion:
    """A remediation hint from its English and Turkish text."""
    return Suggestion(en, tr)
