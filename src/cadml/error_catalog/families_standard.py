"""Error codes of the part families: standard parts.

Each entry: code, English and Turkish message templates (``str.format`` fields from the
error's details, the same fields in both languages) and suggestions. ``STATUS`` gives
every code here its HTTP status.
"""

from __future__ import annotations

from cadml.error_catalog.spec import ErrorSpec
from cadml.error_catalog.spec import suggestion as _s

__all__ = ["SPECS", "STATUS"]

SPECS: tuple[ErrorSpec, ...] = (
    ErrorSpec(
        "VALIDATION_STANDARD_LENGTH_RANGE",
        "A {standard} {size} is made {min} to {max} mm long; {field} = {value} mm is "
        "outside that range.",
        "{standard} {size} {min} ile {max} mm arasındaki boylarda üretilir; {field} = "
        "{value} mm bu aralığın dışında.",
        (
            _s(
                "Pick a length inside the standard range, or a larger thread size for a "
                "longer bolt.",
                "Standart aralıkta bir boy seçin; daha uzun bir cıvata için daha büyük bir "
                "diş ölçüsü seçin.",
            ),
        ),
    ),
)

STATUS: dict[str, int] = {"VALIDATION_STANDARD_LENGTH_RANGE": 422}
