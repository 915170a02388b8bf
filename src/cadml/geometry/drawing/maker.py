"""``make_drawing``: from a part to a placed, dimensioned multi-view drawing.

The steps: the part's exact bounding box (dimension values), exact hidden-line
removal for the four views (:mod:`~cadml.geometry.drawing.hlr`), sheet and scale
(:mod:`~cadml.geometry.drawing.layout`), then each view's edges discretised at a fixed
deflection *on paper* (:data:`PAPER_DEFLECTION_MM` divided by the view's scale), and
hidden lines cut where they run along visible ones
(:mod:`~cadml.geometry.drawing.occlusion`). The isometric view has no hidden lines,
as usual in drafting.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cadml.geometry.drawing.model import Drawing, EdgeKind, Polyline, View
from cadml.geometry.drawing.sheet import SHEET_CHOICES, SheetInfo, invalid_option

__all__ = ["PAPER_DEFLECTION_MM", "make_drawing"]

PAPER_DEFLECTION_MM = 0.01
"""Chordal deflection of discretised curves, measured on paper (mm)."""

_HIDDEN_ON_VISIBLE_MM = 0.05  # paper distance at which a hidden line counts as covered
_HIDDEN_STEP_MM = 0.25  # paper resolution of hidden-line cuts
_VIEWS = ("front", "top", "right", "iso")


def _drop_covered_hidden(lines: list[Polyline], scale: float) -> list[Polyline]:
    from cadml.geometry.drawing.occlusion import drop_covered

    hidden = [np.asarray(p.points) for p in lines if p.kind is EdgeKind.HIDDEN]
    if not hidden:
        return lines
    visible = [np.asarray(p.points) for p in lines if p.kind.visible]
    pieces = drop_covered(
        hidden,
        visible,
        tolerance=_HIDDEN_ON_VISIBLE_MM / scale,
        step=_HIDDEN_STEP_MM / scale,
    )
    kept = [
        Polyline(
            EdgeKind.HIDDEN,
            tuple((round(float(u), 6) + 0.0, round(float(v), 6) + 0.0) for u, v in piece),
        )
        for piece in pieces
    ]
    kept.sort(key=lambda line: line.points)
    return [p for p in lines if p.kind.visible] + kept


def _unit(vector: tuple[float, float, float]) -> tuple[float, float, float]:
    norm = math.sqrt(sum(c * c for c in vector))
    x, y, z = (round(c / norm, 12) for c in vector)
    return (x, y, z)


def make_drawing(
    shape: Any, info: SheetInfo, *, sheet: str = "auto", hidden_lines: bool = True
) -> Drawing:
    """Draw a part: front, top, right and isometric views, dimensions, title block.

    Args:
        shape: the part, an OCP ``TopoDS_Shape`` or a build123d shape, in mm.
        info: the title-block data and conventions (projection method, language).
        sheet: ``"A4"``, ``"A3"`` (landscape) or ``"auto"`` (see
            :mod:`cadml.geometry.drawing.layout` for the rule).
        hidden_lines: draw hidden edges dashed in the orthographic views.

    Returns:
        The :class:`~cadml.geometry.drawing.model.Drawing`; call ``to_svg()`` or
        ``to_pdf()`` for the documents.

    Raises:
        ValidationError: ``DRAWING_INVALID_OPTION`` for a bad option,
            ``DRAWING_EMPTY_SHAPE`` for a null or edgeless shape,
            ``DRAWING_TOO_LARGE_FOR_SHEET`` if the views fit on no allowed sheet at
            the fixed (or any standard) scale.
        GeometryError: ``DRAWING_HLR_FAILED`` if hidden-line removal fails.
    """
    from cadml.geometry.drawing.hlr import VIEW_AXES, bounding_box, discretise, project
    from cadml.geometry.drawing.layout import choose_sheet_and_scale, plan_layout

    if sheet not in SHEET_CHOICES:
        raise invalid_option("sheet", sheet, ", ".join(SHEET_CHOICES))
    if not isinstance(info, SheetInfo):
        raise invalid_option("info", type(info).__name__, "SheetInfo")
    if not isinstance(hidden_lines, bool):
        raise invalid_option("hidden_lines", hidden_lines, "True, False")
    wrapped = getattr(shape, "wrapped", shape)
    low, high = bounding_box(wrapped)
    size = (high[0] - low[0], high[1] - low[1], high[2] - low[2])
    projections = {
        name: project(wrapped, name, hidden_lines=hidden_lines and name != "iso") for name in _VIEWS
    }
    extents = {name: p.extents for name, p in projections.items()}
    sheet_name, scale = choose_sheet_and_scale(extents, info.projection, sheet, info.scale_value)
    layout = plan_layout(extents, size, info.projection, sheet_name, scale)
    views = []
    for name in _VIEWS:
        if name not in layout.placements:
            continue
        view_scale, origin = layout.placements[name]
        lines = discretise(projections[name], PAPER_DEFLECTION_MM / view_scale)
        lines = _drop_covered_hidden(lines, view_scale)
        views.append(View(name, _unit(VIEW_AXES[name][0]), tuple(lines), view_scale, origin))
    return Drawing(sheet_name, scale, tuple(views), info, layout.dimensions, layout.size_mm)
