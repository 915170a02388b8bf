"""A small, deterministic PDF 1.4 writer for composed drawings.

One page, the sheet's size, six objects: catalogue, page tree, page, the standard
Helvetica font (not embedded; every viewer has it), one uncompressed content stream
and an information dictionary without dates. The content stream first maps paper
millimetres with ``y`` down onto PDF points (``cm``), so it uses the same numbers as
the SVG; text matrices flip glyphs back upright. Cross-reference offsets are the real
byte offsets. No ``/ID`` and no ``CreationDate``: equal drawings give equal bytes.

Examples:
    >>> from cadml.geometry.drawing.compose import Sheet
    >>> pdf = encode_pdf(Sheet((297.0, 210.0), "Empty", ()))
    >>> pdf[:8], pdf.rstrip()[-5:]
    (b'%PDF-1.4', b'%%EOF')
"""

from __future__ import annotations

from cadml.geometry.drawing.compose import Fill, Path, Sheet, Text
from cadml.geometry.drawing.font import (
    FONT_NAME,
    PDF_ENCODING_DIFFERENCES,
    encode_pdf_text,
    text_width,
)
from cadml.geometry.drawing.svg import fmt

__all__ = ["POINTS_PER_MM", "encode_pdf"]

POINTS_PER_MM = 72.0 / 25.4
"""PDF user units (points) per millimetre."""

PRODUCER = "CAD-ML Platform"


def _points(points: tuple[tuple[float, float], ...]) -> str:
    head, *rest = points
    ops = [f"{fmt(head[0])} {fmt(head[1])} m"]
    ops.extend(f"{fmt(x)} {fmt(y)} l" for x, y in rest)
    return " ".join(ops)


def _path(path: Path) -> str:
    dash = " ".join(fmt(d) for d in path.style.dash)
    ops = [f"{fmt(path.style.width)} w [{dash}] 0 d"]
    for line in path.lines:
        ops.append(_points(line) + (" h S" if path.closed else " S"))
    return "\n".join(ops)


def _text(text: Text) -> str:
    h = text.height
    width = text_width(text.text, h)
    shift = {"start": 0.0, "middle": width / 2.0, "end": width}[text.anchor]
    x, y = text.at
    if text.rotate == 90:
        matrix = f"0 {fmt(-h)} {fmt(-h)} 0 {fmt(x)} {fmt(y + shift)}"
    else:
        matrix = f"{fmt(h)} 0 0 {fmt(-h)} {fmt(x - shift)} {fmt(y)}"
    body = encode_pdf_text(text.text).decode("latin-1")
    return f"BT /F1 1 Tf {matrix} Tm ({body}) Tj ET"


def _content(sheet: Sheet) -> bytes:
    k = f"{POINTS_PER_MM:.9f}"
    height_pt = f"{sheet.size_mm[1] * POINTS_PER_MM:.6f}"
    ops = [f"q {k} 0 0 -{k} 0 {height_pt} cm", "0 G 0 g 1 J 1 j"]
    for group in sheet.groups:
        ops.append(f"% {group.name}")
        for item in group.items:
            if isinstance(item, Path):
                ops.append(_path(item))
            elif isinstance(item, Fill):
                ops.append(_points(item.points) + " h f")
            else:
                ops.append(_text(item))
    ops.append("Q")
    return ("\n".join(ops) + "\n").encode("latin-1")


def encode_pdf(sheet: Sheet) -> bytes:
    """The one-page PDF of a display list."""
    width_pt = f"{sheet.size_mm[0] * POINTS_PER_MM:.3f}"
    height_pt = f"{sheet.size_mm[1] * POINTS_PER_MM:.3f}"
    content = _content(sheet)
    title = encode_pdf_text(sheet.title)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width_pt} {height_pt}]"
            " /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
        ).encode("ascii"),
        (
            f"<< /Type /Font /Subtype /Type1 /BaseFont /{FONT_NAME} /Encoding"
            f" << /Type /Encoding /BaseEncoding /WinAnsiEncoding"
            f" /Differences {PDF_ENCODING_DIFFERENCES} >> >>"
        ).encode("ascii"),
        f"<< /Length {len(content)} >>\nstream\n".encode("ascii") + content + b"endstream",
        b"<< /Title (" + title + b") /Producer (" + PRODUCER.encode("ascii") + b") >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode("ascii")
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode("ascii")
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode("ascii")
    return bytes(out)
