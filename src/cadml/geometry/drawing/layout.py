"""Choosing the sheet and scale, and placing the views and dimensions on it.

Pure Python: no kernel import. All lengths here are paper millimetres unless named
``*_model``.

The orthographic views sit in a 2 x 2 grid that follows the projection method
(ISO 5456-2): first angle (ISO E) puts the right-side view to the *left* of the front
view and the top view *below* it; third angle (ISO A, ASME) puts the right-side view
to the right and the top view above. Overall dimensions go on the outer sides: width
(X) and height (Z) on the front view, depth (Y) on the top view.

**Scale rule.** For a sheet, the scale is the largest ISO 5455 scale at which the
grid (views, dimension space and labels) fits in the frame without touching the
title block. ``sheet="auto"`` takes A4 unless A4 would need a reduction (below 1:1)
and A3 allows a larger scale; then A3. A fixed ``SheetInfo.scale`` is used as given
on the first sheet (A4, then A3 for ``auto``) where it fits.

**Isometric view.** It goes into the largest free area (the empty grid cell or the
strips around the grid, clear of the title block) at the largest standard scale not
above the main scale that fits there, and is left out only if nothing fits.
"""

from __future__ import annotations

from dataclasses import dataclass

from cadml.errors import ValidationError
from cadml.geometry.drawing.model import LinearDimension
from cadml.geometry.drawing.sheet import FRAME_MARGINS_MM, SHEETS, STANDARD_SCALES, format_scale

__all__ = [
    "DIMENSION_OFFSET_MM",
    "TITLE_BLOCK_MM",
    "Layout",
    "choose_sheet_and_scale",
    "format_length",
    "plan_layout",
    "title_block_rect",
]

Extents = tuple[float, float, float, float]
Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 (paper, y down)

TITLE_BLOCK_MM = (180.0, 32.0)
"""Title block width and height (ISO 7200 allows at most 180 mm wide)."""

DIMENSION_OFFSET_MM = 8.0
"""Distance from a view's outline to its dimension line."""

_DIM_SPACE = 12.0  # room for a dimension line and its text
_LABEL_SPACE = 9.0  # room below a view for its label
_GAP = 10.0  # between grid cells
_MARGIN = 5.0  # inside the frame and around the title block
_ISO_PAD = 2.0

# Grid cell (column, row) of each view, and the free cell, per projection method.
_GRID: dict[str, dict[str, tuple[int, int]]] = {
    "first": {"right": (0, 0), "front": (1, 0), "top": (1, 1), "free": (0, 1)},
    "third": {"top": (0, 0), "front": (0, 1), "right": (1, 1), "free": (1, 0)},
}
# Sides on which the overall dimensions go: (view, model axis, side).
_DIMENSIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "first": (("front", "x", "above"), ("front", "z", "right"), ("top", "y", "right")),
    "third": (("front", "x", "below"), ("front", "z", "left"), ("top", "y", "left")),
}


def format_length(value_mm: float) -> str:
    """A length as printed on the drawing: at most two decimals, no trailing zeros.

    Examples:
        >>> format_length(100.0), format_length(12.5), format_length(0.333333)
        ('100', '12.5', '0.33')
    """
    text = f"{value_mm:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def title_block_rect(size_mm: tuple[float, float]) -> Rect:
    """The title block's rectangle: the frame's bottom-right corner."""
    width, height = size_mm
    right = width - FRAME_MARGINS_MM[2]
    bottom = height - FRAME_MARGINS_MM[3]
    return (right - TITLE_BLOCK_MM[0], bottom - TITLE_BLOCK_MM[1], right, bottom)


def _area(size_mm: tuple[float, float]) -> Rect:
    left, top, right, bottom = FRAME_MARGINS_MM
    return (
        left + _MARGIN,
        top + _MARGIN,
        size_mm[0] - right - _MARGIN,
        size_mm[1] - bottom - _MARGIN,
    )


@dataclass(frozen=True)
class _Grid:
    """Column widths and row heights (model mm) and the paper pads around them."""

    projection: str
    col_w: tuple[float, float]
    row_h: tuple[float, float]
    pad_l: tuple[float, float]
    pad_r: tuple[float, float]
    pad_t: tuple[float, float]
    pad_b: tuple[float, float]

    def size(self, scale: float) -> tuple[float, float]:
        width = sum(self.pad_l[c] + scale * self.col_w[c] + self.pad_r[c] for c in (0, 1))
        height = sum(self.pad_t[r] + scale * self.row_h[r] + self.pad_b[r] for r in (0, 1))
        return width + _GAP, height + _GAP

    def cell(self, scale: float, col: int, row: int, x0: float, y0: float) -> Rect:
        """The paper rectangle of a cell (pads included) for a grid at ``(x0, y0)``."""
        xs = [x0]
        for c in (0, 1):
            xs.append(xs[-1] + self.pad_l[c] + scale * self.col_w[c] + self.pad_r[c] + _GAP)
        ys = [y0]
        for r in (0, 1):
            ys.append(ys[-1] + self.pad_t[r] + scale * self.row_h[r] + self.pad_b[r] + _GAP)
        return (xs[col], ys[row], xs[col + 1] - _GAP, ys[row + 1] - _GAP)


def _width(e: Extents) -> float:
    return e[2] - e[0]


def _height(e: Extents) -> float:
    return e[3] - e[1]


def _make_grid(extents: dict[str, Extents], projection: str) -> _Grid:
    cells = _GRID[projection]
    col_w = [0.0, 0.0]
    row_h = [0.0, 0.0]
    for name in ("front", "top", "right"):
        col, row = cells[name]
        col_w[col] = max(col_w[col], _width(extents[name]))
        row_h[row] = max(row_h[row], _height(extents[name]))
    pads = {side: [0.0, 0.0] for side in ("l", "r", "t", "b")}
    for name, _axis, side in _DIMENSIONS[projection]:
        col, row = cells[name]
        if side in ("left", "right"):
            pads[side[0]][col] = _DIM_SPACE
        else:
            pads["t" if side == "above" else "b"][row] += _DIM_SPACE
    for row in (0, 1):
        pads["b"][row] += _LABEL_SPACE
    return _Grid(
        projection,
        (col_w[0], col_w[1]),
        (row_h[0], row_h[1]),
        (pads["l"][0], pads["l"][1]),
        (pads["r"][0], pads["r"][1]),
        (pads["t"][0], pads["t"][1]),
        (pads["b"][0], pads["b"][1]),
    )


def _regions(size_mm: tuple[float, float], grid_size: tuple[float, float]) -> list[Rect]:
    """Where the grid may be centred: above the title block, else left of it."""
    x0, y0, x1, y1 = _area(size_mm)
    tb = title_block_rect(size_mm)
    width, height = grid_size
    regions = []
    if width <= x1 - x0 and height <= tb[1] - _MARGIN - y0:
        regions.append((x0, y0, x1, tb[1] - _MARGIN))
    if width <= tb[0] - _MARGIN - x0 and height <= y1 - y0:
        regions.append((x0, y0, tb[0] - _MARGIN, y1))
    return regions


def _fits(grid: _Grid, size_mm: tuple[float, float], scale: float) -> bool:
    return bool(_regions(size_mm, grid.size(scale)))


def _best_scale(grid: _Grid, size_mm: tuple[float, float]) -> float | None:
    for scale in STANDARD_SCALES:
        if _fits(grid, size_mm, scale):
            return scale
    return None


def choose_sheet_and_scale(
    extents: dict[str, Extents], projection: str, sheet: str, scale: float | None
) -> tuple[str, float]:
    """Apply the module's scale rule.

    Args:
        extents: view extents (model mm) of ``front``, ``top`` and ``right``.
        projection: ``"first"`` or ``"third"``.
        sheet: ``"A4"``, ``"A3"`` or ``"auto"``.
        scale: a fixed scale factor, or ``None`` to choose one.

    Returns:
        The sheet name and the main scale.

    Raises:
        ValidationError: ``DRAWING_TOO_LARGE_FOR_SHEET`` if nothing fits.

    Examples:
        >>> box = {"front": (0, 0, 1000, 200), "top": (0, 0, 1000, 300), "right": (0, 0, 300, 200)}
        >>> choose_sheet_and_scale(box, "first", "auto", None)
        ('A3', 0.2)
        >>> choose_sheet_and_scale(box, "first", "A4", None)
        ('A4', 0.1)
    """
    grid = _make_grid(extents, projection)
    candidates = ("A4", "A3") if sheet == "auto" else (sheet,)
    if scale is not None:
        for name in candidates:
            if _fits(grid, SHEETS[name], scale):
                return name, scale
        _raise_too_large(grid, candidates[-1], scale)
    best = {name: _best_scale(grid, SHEETS[name]) for name in candidates}
    if sheet == "auto":
        a4, a3 = best["A4"], best["A3"]
        if a4 is not None and (a4 >= 1.0 or a3 is None or a3 <= a4):
            return "A4", a4
        if a3 is not None:
            return "A3", a3
    elif best[sheet] is not None:
        return sheet, best[sheet]  # type: ignore[return-value]
    _raise_too_large(grid, candidates[-1], STANDARD_SCALES[-1])
    raise AssertionError("unreachable")  # pragma: no cover


def _raise_too_large(grid: _Grid, sheet: str, scale: float) -> None:
    width, height = grid.size(scale)
    raise ValidationError(
        "DRAWING_TOO_LARGE_FOR_SHEET",
        details={
            "width": round(width, 1),
            "height": round(height, 1),
            "sheet": sheet,
            "scale": format_scale(scale),
        },
    )


@dataclass(frozen=True)
class Layout:
    """Where everything goes on the sheet.

    Args:
        sheet: the sheet name.
        size_mm: the sheet's ``(width, height)``.
        scale: the main scale.
        placements: per view name, ``(scale, origin)``: the view's scale and the paper
            position of its view point ``(0, 0)``. ``iso`` is absent if it did not fit.
        dimensions: the overall dimensions.
    """

    sheet: str
    size_mm: tuple[float, float]
    scale: float
    placements: dict[str, tuple[float, tuple[float, float]]]
    dimensions: tuple[LinearDimension, ...]


def _clip_title_block(rect: Rect, tb: Rect) -> list[Rect]:
    x0, y0, x1, y1 = rect
    if x1 <= tb[0] - _MARGIN or y1 <= tb[1] - _MARGIN:
        return [rect]
    return [(x0, y0, x1, min(y1, tb[1] - _MARGIN)), (x0, y0, min(x1, tb[0] - _MARGIN), y1)]


def _iso_fit(extents: Extents, rect: Rect, max_scale: float) -> float | None:
    width = rect[2] - rect[0] - 2 * _ISO_PAD
    height = rect[3] - rect[1] - 2 * _ISO_PAD - _LABEL_SPACE
    for scale in STANDARD_SCALES:
        if scale > max_scale:
            continue
        if scale * _width(extents) <= width and scale * _height(extents) <= height:
            return scale
    return None


def _place_iso(
    iso: Extents, free_cell: Rect, grid_rect: Rect, size_mm: tuple[float, float], scale: float
) -> tuple[float, tuple[float, float]] | None:
    x0, y0, x1, y1 = _area(size_mm)
    gx0, gy0, gx1, gy1 = grid_rect
    tb = title_block_rect(size_mm)
    strips = [(gx1, y0, x1, y1), (x0, gy1, x1, y1), (x0, y0, gx0, y1), (x0, y0, x1, gy0)]
    candidates = [free_cell] + [r for s in strips for r in _clip_title_block(s, tb)]
    best: tuple[float, Rect] | None = None
    for rect in candidates:
        if rect[2] <= rect[0] or rect[3] <= rect[1]:
            continue
        fit = _iso_fit(iso, rect, scale)
        if fit is not None and (best is None or fit > best[0]):
            best = (fit, rect)
    if best is None:
        return None
    fit, (rx0, ry0, rx1, ry1) = best
    left = (rx0 + rx1 - fit * _width(iso)) / 2.0
    top = (ry0 + ry1 - _LABEL_SPACE - fit * _height(iso)) / 2.0
    return fit, (left - fit * iso[0], top + fit * iso[3])


def _dimension(
    view: str,
    axis: str,
    side: str,
    value: float,
    extents: Extents,
    scale: float,
    origin: tuple[float, float],
) -> LinearDimension:
    umin, vmin, umax, vmax = extents
    left, right = origin[0] + scale * umin, origin[0] + scale * umax
    top, bottom = origin[1] - scale * vmax, origin[1] - scale * vmin
    text = format_length(value)
    if side in ("above", "below"):
        y = top if side == "above" else bottom
        line = y - DIMENSION_OFFSET_MM if side == "above" else y + DIMENSION_OFFSET_MM
        return LinearDimension(view, value, text, (left, y), (right, y), line, True)
    x = right if side == "right" else left
    line = x + DIMENSION_OFFSET_MM if side == "right" else x - DIMENSION_OFFSET_MM
    return LinearDimension(view, value, text, (x, bottom), (x, top), line, False)


def plan_layout(
    extents: dict[str, Extents],
    size_model: tuple[float, float, float],
    projection: str,
    sheet: str,
    scale: float,
) -> Layout:
    """Place the views of a chosen sheet and scale.

    Args:
        extents: view extents (model mm) of ``front``, ``top``, ``right`` and ``iso``.
        size_model: the part's overall size ``(x, y, z)`` in mm (printed dimensions).
        projection: ``"first"`` or ``"third"``.
        sheet: ``"A4"`` or ``"A3"`` (from :func:`choose_sheet_and_scale`).
        scale: the main scale (from :func:`choose_sheet_and_scale`).
    """
    size_mm = SHEETS[sheet]
    grid = _make_grid(extents, projection)
    width, height = grid.size(scale)
    cells = _GRID[projection]
    # Try the grid centred in, then at the top-left of, each region it fits; keep the
    # first position that gives the isometric view the largest scale.
    best_iso_scale = -1.0
    chosen: tuple[tuple[float, float], tuple[float, tuple[float, float]] | None] | None = None
    for region in _regions(size_mm, (width, height)):
        for gx, gy in (
            ((region[0] + region[2] - width) / 2.0, (region[1] + region[3] - height) / 2.0),
            (region[0], region[1]),
        ):
            free = grid.cell(scale, *cells["free"], gx, gy)
            grid_rect = (gx, gy, gx + width, gy + height)
            iso = _place_iso(extents["iso"], free, grid_rect, size_mm, scale)
            iso_scale = iso[0] if iso else 0.0
            if iso_scale > best_iso_scale:
                best_iso_scale, chosen = iso_scale, ((gx, gy), iso)
    if chosen is None:  # pragma: no cover - choose_sheet_and_scale guaranteed a region
        raise AssertionError("the grid fits no region of the sheet")
    (gx, gy), iso_placement = chosen
    placements: dict[str, tuple[float, tuple[float, float]]] = {}
    for name in ("front", "top", "right"):
        col, row = cells[name]
        x0, y0, _, _ = grid.cell(scale, col, row, gx, gy)
        e = extents[name]
        left = x0 + grid.pad_l[col]
        top = y0 + grid.pad_t[row]
        placements[name] = (scale, (left - scale * e[0], top + scale * e[3]))
    if iso_placement is not None:
        placements["iso"] = iso_placement
    values = dict(zip("xyz", size_model, strict=True))
    dimensions = tuple(
        _dimension(view, axis, side, values[axis], extents[view], scale, placements[view][1])
        for view, axis, side in _DIMENSIONS[projection]
    )
    return Layout(sheet, size_mm, scale, placements, dimensions)
