"""The one font of a drawing: Helvetica, its advance widths and its PDF encoding.

Drawings use Helvetica, one of the PDF standard fonts that every viewer has, so
nothing is embedded. Text is measured with Helvetica's published advance widths
(Adobe Core 14 metrics, in 1/1000 em) to centre and truncate it; SVG viewers that
substitute Arial or Liberation Sans get the same widths (they are metric-compatible).

The PDF encoding is WinAnsi (Latin-1 letters such as ç ö ü °, ± and x) with six codes
of its 0x80 block redefined to the Turkish letters Ğ ğ İ ı Ş ş. Any other character is
drawn as ``?`` in both SVG and PDF, so the two outputs always say the same.

Examples:
    >>> text_width("100", 3.5)
    5.838
    >>> encode_pdf_text("Ölçek (1:2)")
    b'\\\\326l\\\\347ek \\\\(1:2\\\\)'
    >>> supported_text("Çizim İŞ 5€")
    'Çizim İŞ 5?'
"""

from __future__ import annotations

__all__ = [
    "FONT_NAME",
    "PDF_ENCODING_DIFFERENCES",
    "encode_pdf_text",
    "supported_text",
    "text_width",
]

FONT_NAME = "Helvetica"
"""The PDF base font name (and the first SVG font family)."""

# Advance widths of ASCII 32..126, 1/1000 em (Adobe Core 14 Helvetica metrics).
_ASCII_WIDTHS = (
    278, 278, 355, 556, 556, 889, 667, 222, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    222, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
)  # fmt: skip

# Character -> (PDF code, width) beyond ASCII.
_EXTRA: dict[str, tuple[int, int]] = {
    "Ğ": (0x80, 778),
    "ğ": (0x82, 556),
    "İ": (0x83, 278),
    "ı": (0x84, 278),
    "Ş": (0x86, 667),
    "ş": (0x87, 500),
    "Ç": (0xC7, 722),
    "ç": (0xE7, 500),
    "Ö": (0xD6, 778),
    "ö": (0xF6, 556),
    "Ü": (0xDC, 722),
    "ü": (0xFC, 556),
    "°": (0xB0, 400),
    "±": (0xB1, 584),
    "×": (0xD7, 584),
    "Ø": (0xD8, 778),
    "ø": (0xF8, 611),
}

PDF_ENCODING_DIFFERENCES = "[128 /Gbreve 130 /gbreve /Idotaccent /dotlessi 134 /Scedilla /scedilla]"
"""The ``/Differences`` array laid over WinAnsiEncoding for the Turkish letters."""


def supported_text(text: str) -> str:
    """``text`` with every character the font cannot draw replaced by ``?``."""
    return "".join(c if (" " <= c <= "~") or c in _EXTRA else "?" for c in text)


def _width_units(char: str) -> int:
    if " " <= char <= "~":
        return _ASCII_WIDTHS[ord(char) - 32]
    return _EXTRA[char][1] if char in _EXTRA else _ASCII_WIDTHS[ord("?") - 32]


def text_width(text: str, height_mm: float) -> float:
    """Advance width in mm of ``text`` set at ``height_mm`` (the font size), rounded to µm."""
    return round(sum(_width_units(c) for c in text) * height_mm / 1000.0, 3)


def encode_pdf_text(text: str) -> bytes:
    """The bytes of a PDF literal string's body (without the parentheses)."""
    out = bytearray()
    for char in supported_text(text):
        code = _EXTRA[char][0] if char in _EXTRA else ord(char)
        if char in "()\\":
            out += b"\\" + char.encode("ascii")
        elif code < 0x80:
            out.append(code)
        else:
            out += f"\\{code:03o}".encode("ascii")
    return bytes(out)
