"""The drawing as a display list: styled paths, filled arrowheads and text on the sheet.

Pure Python. Both encoders (:mod:`~cadml.geometry.drawing.svg`,
:mod:`~cadml.geometry.drawing.pdf`) draw exactly this list, so SVG and PDF show the
same drawing. Coordinates are paper mm, ``y`` down.

Line styles follow ISO 128 (line group 0.5): visible edges and silhouettes continuous
wide 0.5 mm; tangent (smooth) edges continuous 0.35 mm, a deliberate middle weight so
fillets read as such; hidden edges dashed narrow 0.25 mm with ISO 128-20 type 02
proportions (dash 12d = 3 mm, gap 3d = 0.75 mm); dimension, extension and
title-block inner lines continuous narrow 0.25 mm; the frame 0.7 mm (ISO 5457).
The title block has ISO 7200 fields; the projection symbol is ISO 5456-2's truncated
cone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cadml.geometry.drawing.font import supported_text, text_width
from cadml.geometry.drawing.layout import title_block_rect
from cadml.geometry.drawing.model import Drawing, EdgeKind, LinearDimension, Point, View
from cadml.geometry.drawing.sheet import FRAME_MARGINS_MM, format_scale

__all__ = ["STYLES", "Fill", "Group", "LineStyle", "Path", "Sheet", "Text", "compose"]


@dataclass(frozen=True)
class LineStyle:
    """A line type: width in mm and an optional dash pattern (mm)."""

    name: str
    width: float
    dash: tuple[float, ...] = ()


STYLES: dict[str, LineStyle] = {
    "visible": LineStyle("visible", 0.5),
    "smooth": LineStyle("smooth", 0.35),
    "hidden": LineStyle("hidden", 0.25, (3.0, 0.75)),
    "thin": LineStyle("thin", 0.25),
    "frame": LineStyle("frame", 0.7),
    "wide": LineStyle("wide", 0.5),
}
"""The line styles, by name."""

_KIND_STYLE = {
    EdgeKind.VISIBLE_SHARP: "visible",
    EdgeKind.VISIBLE_OUTLINE: "visible",
    EdgeKind.VISIBLE_SMOOTH: "smooth",
    EdgeKind.HIDDEN: "hidden",
}


@dataclass(frozen=True)
class Path:
    """Polylines stroked in one style; ``closed`` ones return to their first point."""

    style: LineStyle
    lines: tuple[tuple[Point, ...], ...]
    closed: bool = False


@dataclass(frozen=True)
class Fill:
    """A filled polygon (arrowheads)."""

    points: tuple[Point, ...]


@dataclass(frozen=True)
class Text:
    """One line of Helvetica text.

    Args:
        at: the anchor point on the baseline.
        height: font size in mm.
        text: the characters (already restricted to the font).
        anchor: ``"start"``, ``"middle"`` or ``"end"``.
        rotate: 0, or 90 for text reading upwards (rotated counter-clockwise).
    """

    at: Point
    height: float
    text: str
    anchor: str = "start"
    rotate: int = 0


Item = Path | Fill | Text


@dataclass(frozen=True)
class Group:
    """Named items (an SVG ``<g id=...>``)."""

    name: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Sheet:
    """The whole display list."""

    size_mm: tuple[float, float]
    title: str
    groups: tuple[Group, ...]


_LABELS = {
    "en": {
        "title": "TITLE",
        "drawing_number": "DRAWING NO.",
        "part_name": "PART",
        "material": "MATERIAL",
        "scale": "SCALE",
        "projection": "PROJECTION",
        "units": "UNITS",
        "sheet": "SHEET",
        "date": "DATE",
        "author": "DRAWN BY",
        "first": "1st angle (E)",
        "third": "3rd angle (A)",
        "front": "FRONT VIEW",
        "top": "TOP VIEW",
        "right": "RIGHT VIEW",
        "iso": "ISOMETRIC VIEW",
    },
    "tr": {
        "title": "BAŞLIK",
        "drawing_number": "RESİM NO.",
        "part_name": "PARÇA",
        "material": "MALZEME",
        "scale": "ÖLÇEK",
        "projection": "İZDÜŞÜM",
        "units": "BİRİM",
        "sheet": "KAĞIT",
        "date": "TARİH",
        "author": "ÇİZEN",
        "first": "1. açı (E)",
        "third": "3. açı (A)",
        "front": "ÖN GÖRÜNÜŞ",
        "top": "ÜSTTEN GÖRÜNÜŞ",
        "right": "SAĞDAN GÖRÜNÜŞ",
        "iso": "İZOMETRİK GÖRÜNÜŞ",
    },
}

_ARROW_LENGTH = 3.0
_ARROW_HALF_WIDTH = 0.5
_EXTENSION_GAP = 1.0
_EXTENSION_OVERSHOOT = 2.0
_DIM_TEXT = 3.5
_LABEL_TEXT = 3.5
_FIELD_LABEL_TEXT = 2.0


def _fit(text: str, height: float, width: float) -> str:
    """``text`` restricted to the font, cut with ``...`` to ``width`` mm."""
    text = supported_text(text)
    if text_width(text, height) <= width:
        return text
    while text and text_width(text + "...", height) > width:
        text = text[:-1]
    return text.rstrip() + "..."


def _view_group(view: View) -> Group:
    items: list[Item] = []
    for style_name in ("hidden", "smooth", "visible"):
        lines = tuple(
            tuple(view.to_paper(p) for p in line.points)
            for line in view.polylines
            if _KIND_STYLE[line.kind] == style_name
        )
        if lines:
            items.append(Path(STYLES[style_name], lines))
    return Group(f"view-{view.name}", tuple(items))


def _label(view: View, text: str, dimensions: tuple[LinearDimension, ...]) -> Text:
    x0, _, x1, bottom = view.paper_extents()
    below = [d.line_at for d in dimensions if d.view == view.name and d.horizontal]
    base = max([bottom, *[y + _DIM_TEXT for y in below if y > bottom]])
    return Text(((x0 + x1) / 2.0, base + 6.0), _LABEL_TEXT, supported_text(text), "middle")


def _arrow(tip: Point, toward: Point) -> Fill:
    dx, dy = toward[0] - tip[0], toward[1] - tip[1]
    length = (dx * dx + dy * dy) ** 0.5 or 1.0
    ux, uy = dx / length, dy / length
    bx, by = tip[0] + ux * _ARROW_LENGTH, tip[1] + uy * _ARROW_LENGTH
    nx, ny = -uy * _ARROW_HALF_WIDTH, ux * _ARROW_HALF_WIDTH
    return Fill((tip, (bx + nx, by + ny), (bx - nx, by - ny)))


def _dimension_items(dim: LinearDimension) -> list[Item]:
    (x1, y1), (x2, y2) = dim.start, dim.end
    if dim.horizontal:
        sign = 1.0 if dim.line_at > y1 else -1.0
        ext = (
            ((x1, y1 + sign * _EXTENSION_GAP), (x1, dim.line_at + sign * _EXTENSION_OVERSHOOT)),
            ((x2, y2 + sign * _EXTENSION_GAP), (x2, dim.line_at + sign * _EXTENSION_OVERSHOOT)),
        )
        a, b = (x1, dim.line_at), (x2, dim.line_at)
        text = Text(((x1 + x2) / 2.0, dim.line_at - 1.0), _DIM_TEXT, dim.text, "middle")
    else:
        sign = 1.0 if dim.line_at > x1 else -1.0
        ext = (
            ((x1 + sign * _EXTENSION_GAP, y1), (dim.line_at + sign * _EXTENSION_OVERSHOOT, y1)),
            ((x2 + sign * _EXTENSION_GAP, y2), (dim.line_at + sign * _EXTENSION_OVERSHOOT, y2)),
        )
        a, b = (dim.line_at, y1), (dim.line_at, y2)
        text = Text((dim.line_at - 1.0, (y1 + y2) / 2.0), _DIM_TEXT, dim.text, "middle", 90)
    return [Path(STYLES["thin"], (*ext, (a, b))), _arrow(a, b), _arrow(b, a), text]


def _rect(x0: float, y0: float, x1: float, y1: float) -> tuple[Point, ...]:
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def _projection_symbol(x: float, y: float, method: str) -> list[Item]:
    """ISO 5456-2 symbol in a 20 x 8 mm box whose top-left corner is ``(x, y)``."""
    h = 3.5
    cy = y + 4.0
    cone_x0, circle_cx = (x, x + 15.5) if method == "first" else (x + 9.0, x + 3.5)
    # The cone's small end faces left in both methods; the circles sit on its right in
    # first angle (view from the left drawn on the right) and on its left in third.
    trapezoid = (
        (cone_x0, cy - h / 2),
        (cone_x0 + 8.0, cy - h),
        (cone_x0 + 8.0, cy + h),
        (cone_x0, cy + h / 2),
    )
    items: list[Item] = [Path(STYLES["thin"], (trapezoid,), closed=True)]
    for radius in (h, h / 2):
        items.append(Path(STYLES["thin"], (_circle(circle_cx, cy, radius),), closed=True))
    return items


def _circle(cx: float, cy: float, r: float) -> tuple[Point, ...]:
    return tuple(
        (cx + r * math.cos(2 * math.pi * i / 48), cy + r * math.sin(2 * math.pi * i / 48))
        for i in range(48)
    )


def _title_block(drawing: Drawing) -> Group:
    info = drawing.info
    words = _LABELS[info.language]
    x0, y0, x1, y1 = title_block_rect(drawing.size_mm)
    rows = (10.0, 10.0, 12.0)
    scale_text = format_scale(drawing.scale) if info.scale is None else info.scale.strip()
    cells = (
        (0, 0.0, 120.0, "title", info.title, 5.0),
        (0, 120.0, 60.0, "drawing_number", info.drawing_number, 3.5),
        (1, 0.0, 120.0, "part_name", info.part_name, 3.5),
        (1, 120.0, 60.0, "material", info.material, 3.5),
        (2, 0.0, 25.0, "scale", scale_text, 3.5),
        (2, 25.0, 45.0, "projection", words[info.projection], 2.5),
        (2, 70.0, 20.0, "units", info.units, 3.5),
        (2, 90.0, 20.0, "sheet", drawing.sheet, 3.5),
        (2, 110.0, 30.0, "date", info.date, 3.0),
        (2, 140.0, 40.0, "author", info.author, 3.0),
    )
    lines: list[tuple[Point, ...]] = []
    items: list[Item] = []
    for row, dx, width, key, value, height in cells:
        top = y0 + sum(rows[:row])
        bottom = top + rows[row]
        left = x0 + dx
        lines.append(_rect(left, top, left + width, bottom))
        items.append(Text((left + 1.0, top + 2.6), _FIELD_LABEL_TEXT, supported_text(words[key])))
        value_room = width - 2.5 - (20.0 if key == "projection" else 0.0)
        items.append(Text((left + 1.5, bottom - 2.0), height, _fit(value, height, value_room)))
        if key == "projection":
            items.extend(_projection_symbol(left + width - 21.0, top + 3.5, info.projection))
    return Group(
        "title-block",
        (
            Path(STYLES["thin"], tuple(lines), closed=True),
            Path(STYLES["wide"], (_rect(x0, y0, x1, y1),), closed=True),
            *items,
        ),
    )


def compose(drawing: Drawing) -> Sheet:
    """The display list of a drawing."""
    width, height = drawing.size_mm
    left, top, right, bottom = FRAME_MARGINS_MM
    frame = Group(
        "frame",
        (Path(STYLES["frame"], (_rect(left, top, width - right, height - bottom),), closed=True),),
    )
    words = _LABELS[drawing.info.language]
    groups = [frame]
    labels: list[Item] = []
    for view in drawing.views:
        groups.append(_view_group(view))
        text = words[view.name]
        if view.scale != drawing.scale:
            text = f"{text} {format_scale(view.scale)}"
        labels.append(_label(view, text, drawing.dimensions))
    dims: list[Item] = [item for d in drawing.dimensions for item in _dimension_items(d)]
    groups.append(Group("dimensions", tuple(dims)))
    groups.append(Group("labels", tuple(labels)))
    groups.append(_title_block(drawing))
    return Sheet(drawing.size_mm, supported_text(drawing.info.title), tuple(groups))
