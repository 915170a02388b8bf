"""Error codes of drawing generation (views, sheets, SVG/PDF).

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
        "DRAWING_EMPTY_SHAPE",
        "The shape to draw is empty: {reason}",
        "Çizilecek şekil boş: {reason}",
        (
            _s(
                "Pass a solid part with at least one face; check that the design built.",
                "En az bir yüzü olan katı bir parça verin; tasarımın oluştuğunu kontrol edin.",
            ),
        ),
    ),
    ErrorSpec(
        "DRAWING_HLR_FAILED",
        "Hidden-line removal failed for the {view} view: {reason}",
        "{view} görünüşü için gizli çizgi hesabı başarısız oldu: {reason}",
        (
            _s(
                "Check the part with the validation report; repair or simplify the geometry.",
                "Parçayı doğrulama raporuyla kontrol edin; geometriyi onarın veya sadeleştirin.",
            ),
            _s(
                "Try again with hidden_lines=False.",
                "hidden_lines=False ile yeniden deneyin.",
            ),
        ),
    ),
    ErrorSpec(
        "DRAWING_TOO_LARGE_FOR_SHEET",
        "The views ({width} x {height} mm) do not fit on sheet {sheet} at scale {scale}.",
        "Görünüşler ({width} x {height} mm) {sheet} kağıdına {scale} ölçeğinde sığmıyor.",
        (
            _s(
                "Leave the scale empty so a fitting standard scale is chosen, or use sheet 'auto'.",
                "Uygun standart ölçeğin seçilmesi için ölçeği boş bırakın veya 'auto' kağıt seçin.",
            ),
        ),
    ),
    ErrorSpec(
        "DRAWING_INVALID_OPTION",
        "Drawing option '{field}' has an invalid value '{value}'. Allowed: {allowed}.",
        "Çizim seçeneği '{field}' için '{value}' değeri geçersiz. İzin verilenler: {allowed}.",
        (
            _s(
                "Use one of the allowed values.",
                "İzin verilen değerlerden birini kullanın.",
            ),
        ),
    ),
)

STATUS: dict[str, int] = {
    "DRAWING_EMPTY_SHAPE": 422,
    "DRAWING_HLR_FAILED": 422,
    "DRAWING_TOO_LARGE_FOR_SHEET": 422,
    "DRAWING_INVALID_OPTION": 422,
}
