"""SVG 1.1 encoding of a composed drawing.

The document is in millimetres: ``width``/``height`` carry ``mm`` and the ``viewBox`` is
the sheet size, so one user unit is one millimetre. Each display-list group becomes a
``<g id=...>``; each styled path one ``<path>``; text stays ``<text>`` (Helvetica with
metric-compatible fallbacks). Numbers are written with at most three decimals and no
trailing zeros, in display-list order, so equal drawings give equal bytes.

Examples:
    >>> fmt(1.0), fmt(0.12345), fmt(-0.0001)
    ('1', '0.123', '0')
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from cadml.geometry.drawing.compose import Fill, Path, Sheet, Text

__all__ = ["encode_svg", "fmt"]

_FONT = "Helvetica, Arial, 'Liberation Sans', sans-serif"


def fmt(value: float) -> str:
    """A coordinate with at most three decimals, no trailing zeros, never ``-0``."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _path_data(path: Path) -> str:
    parts = []
    for line in path.lines:
        head, *rest = line
        parts.append(f"M{fmt(head[0])} {fmt(head[1])}")
        if rest:
            parts.append("L" + " ".join(f"{fmt(x)} {fmt(y)}" for x, y in rest))
        if path.closed:
            parts.append("Z")
    return "".join(parts)


def _path(path: Path) -> str:
    style = path.style
    dash = ""
    if style.dash:
        dash = f' stroke-dasharray="{" ".join(fmt(d) for d in style.dash)}"'
    return (
        f'<path class="{style.name}" d="{_path_data(path)}" fill="none" stroke="#000"'
        f' stroke-width="{fmt(style.width)}"{dash}'
        ' stroke-linecap="round" stroke-linejoin="round"/>'
    )


def _fill(fill: Fill) -> str:
    points = " ".join(f"{fmt(x)},{fmt(y)}" for x, y in fill.points)
    return f'<polygon points="{points}" fill="#000" stroke="none"/>'


def _text(text: Text) -> str:
    x, y = fmt(text.at[0]), fmt(text.at[1])
    rotate = f' transform="rotate({-text.rotate} {x} {y})"' if text.rotate else ""
    return (
        f'<text x="{x}" y="{y}" font-size="{fmt(text.height)}"'
        f' text-anchor="{text.anchor}"{rotate}>{escape(text.text)}</text>'
    )


def encode_svg(sheet: Sheet) -> bytes:
    """The SVG document of a display list, UTF-8 encoded."""
    width, height = sheet.size_mm
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
        '<svg xmlns="http://www.w3.org/2000/svg" version="1.1"'
        f' width="{fmt(width)}mm" height="{fmt(height)}mm"'
        f' viewBox="0 0 {fmt(width)} {fmt(height)}">',
        f"<title>{escape(sheet.title)}</title>",
        f'<rect x="0" y="0" width="{fmt(width)}" height="{fmt(height)}" fill="#fff"/>',
    ]
    for group in sheet.groups:
        font = (
            f" font-family={quoteattr(_FONT)}"
            if any(isinstance(i, Text) for i in group.items)
            else ""
        )
        out.append(f'<g id="{group.name}"{font}>')
        for item in group.items:
            if isinstance(item, Path):
                out.append(_path(item))
            elif isinstance(item, Fill):
                out.append(_fill(item))
            else:
                out.append(_text(item))
        out.append("</g>")
    out.append("</svg>")
    return ("\n".join(out) + "\n").encode("utf-8")
