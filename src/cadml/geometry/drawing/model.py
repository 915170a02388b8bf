"""The drawing as data: projected views, dimensions and the sheet they sit on.

Pure Python: no kernel import. Two coordinate systems appear:

* *view coordinates* ``(u, v)`` in model millimetres on the view plane, ``u`` to the
  right and ``v`` up (the model seen from the view's direction);
* *paper coordinates* ``(x, y)`` in sheet millimetres from the sheet's top-left corner,
  ``y`` down (as in SVG). A view maps ``(u, v)`` to
  ``(origin_x + scale*u, origin_y - scale*v)``.

Examples:
    >>> line = Polyline(EdgeKind.VISIBLE_SHARP, ((0.0, 0.0), (100.0, 0.0)))
    >>> view = View("front", (0.0, -1.0, 0.0), (line,), 0.5, (50.0, 80.0))
    >>> view.extents(), view.paper_extents()
    ((0.0, 0.0, 100.0, 0.0), (50.0, 80.0, 100.0, 80.0))
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cadml.geometry.drawing.sheet import SheetInfo

__all__ = ["Drawing", "EdgeKind", "LinearDimension", "Polyline", "View"]

Point = tuple[float, float]


class EdgeKind(StrEnum):
    """What an edge line shows, which sets its ISO 128 line type."""

    VISIBLE_SHARP = "visible_sharp"
    """A visible edge between faces that meet at an angle (continuous wide)."""
    VISIBLE_SMOOTH = "visible_smooth"
    """A visible tangent edge, e.g. where a fillet meets a face (continuous, lighter)."""
    VISIBLE_OUTLINE = "visible_outline"
    """A visible silhouette of a curved face, e.g. a cylinder's sides (continuous wide)."""
    HIDDEN = "hidden"
    """A hidden edge or silhouette (dashed narrow)."""

    @property
    def visible(self) -> bool:
        """True for the three visible kinds."""
        return self is not EdgeKind.HIDDEN


@dataclass(frozen=True)
class Polyline:
    """One projected edge as a polyline in view coordinates (model mm).

    Args:
        kind: the edge's line type.
        points: at least two ``(u, v)`` points.
    """

    kind: EdgeKind
    points: tuple[Point, ...]


def _bounds(points: list[Point]) -> tuple[float, float, float, float]:
    if not points:
        return (0.0, 0.0, 0.0, 0.0)
    us = [p[0] for p in points]
    vs = [p[1] for p in points]
    return (min(us), min(vs), max(us), max(vs))


@dataclass(frozen=True)
class View:
    """One projected view placed on the sheet.

    Args:
        name: ``"front"``, ``"top"``, ``"right"`` or ``"iso"``.
        direction: unit vector from the part toward the viewer.
        polylines: the projected edges, sorted (deterministic order).
        scale: paper mm per model mm for this view.
        origin: paper position ``(x, y)`` of the view point ``(u, v) = (0, 0)``.
    """

    name: str
    direction: tuple[float, float, float]
    polylines: tuple[Polyline, ...]
    scale: float
    origin: Point

    def lines(self, *kinds: EdgeKind) -> tuple[Polyline, ...]:
        """The polylines of the given kinds (all when none is given)."""
        return tuple(p for p in self.polylines if not kinds or p.kind in kinds)

    def extents(self, *kinds: EdgeKind) -> tuple[float, float, float, float]:
        """``(umin, vmin, umax, vmax)`` in model mm of the polylines of ``kinds``."""
        return _bounds([pt for line in self.lines(*kinds) for pt in line.points])

    def to_paper(self, point: Point) -> Point:
        """The paper position of a view point."""
        return (self.origin[0] + self.scale * point[0], self.origin[1] - self.scale * point[1])

    def paper_extents(self, *kinds: EdgeKind) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` on paper (mm) of the polylines of ``kinds``."""
        umin, vmin, umax, vmax = self.extents(*kinds)
        x0, y0 = self.to_paper((umin, vmax))
        x1, y1 = self.to_paper((umax, vmin))
        return (x0, y0, x1, y1)


@dataclass(frozen=True)
class LinearDimension:
    """An overall size drawn as a dimension line with arrows and its value.

    Args:
        view: name of the view it annotates.
        value_mm: the measured size in model mm.
        text: the value as printed (mm, without unit).
        start: paper point of the first measured extreme.
        end: paper point of the second extreme (same ``y`` as ``start`` for a
            horizontal dimension, same ``x`` for a vertical one).
        line_at: paper ``y`` (horizontal) or ``x`` (vertical) of the dimension line.
        horizontal: True if the size is measured along the paper's x axis.
    """

    view: str
    value_mm: float
    text: str
    start: Point
    end: Point
    line_at: float
    horizontal: bool


@dataclass(frozen=True)
class Drawing:
    """A multi-view technical drawing of one part on one sheet.

    Build it with :func:`cadml.geometry.drawing.make_drawing`.

    Args:
        sheet: ``"A4"`` or ``"A3"`` (landscape).
        scale: the main scale (paper mm per model mm) of the orthographic views.
        views: front, top, right and (when it fits) the isometric view.
        info: the title-block data.
        dimensions: the overall dimensions.
        size_mm: the sheet's ``(width, height)``.
    """

    sheet: str
    scale: float
    views: tuple[View, ...]
    info: SheetInfo
    dimensions: tuple[LinearDimension, ...]
    size_mm: tuple[float, float]

    def view(self, name: str) -> View:
        """The view called ``name``.

        Raises:
            KeyError: if the drawing has no such view.
        """
        for view in self.views:
            if view.name == name:
                return view
        raise KeyError(name)

    def to_svg(self) -> bytes:
        """The drawing as an SVG 1.1 document in millimetres (UTF-8 bytes)."""
        from cadml.geometry.drawing.compose import compose
        from cadml.geometry.drawing.svg import encode_svg

        return encode_svg(compose(self))

    def to_pdf(self) -> bytes:
        """The drawing as a one-page vector PDF 1.4 document."""
        from cadml.geometry.drawing.compose import compose
        from cadml.geometry.drawing.pdf import encode_pdf

        return encode_pdf(compose(self))
