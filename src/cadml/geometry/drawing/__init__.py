"""Technical drawings of a part: orthographic and isometric views on an ISO sheet.

:func:`make_drawing` projects a part with exact hidden-line removal into front, top,
right-side and isometric views, chooses an A4/A3 sheet and an ISO 5455 scale, adds
overall dimensions, view labels and an ISO 7200-style title block, and returns a
:class:`Drawing` that encodes itself as SVG (mm units) or vector PDF, both
deterministic. Importing this package does not import the kernel; ``make_drawing``
does, so call it in a geometry worker.

Examples:
    >>> info = SheetInfo("Bracket", "BR-1", "aluminum_6061", language="tr")
    >>> info.projection, info.date
    ('first', '2000-01-01')
"""

from cadml.geometry.drawing.maker import PAPER_DEFLECTION_MM, make_drawing
from cadml.geometry.drawing.model import Drawing, EdgeKind, LinearDimension, Polyline, View
from cadml.geometry.drawing.sheet import STANDARD_SCALES, SheetInfo, format_scale, parse_scale

__all__ = [
    "PAPER_DEFLECTION_MM",
    "STANDARD_SCALES",
    "Drawing",
    "EdgeKind",
    "LinearDimension",
    "Polyline",
    "SheetInfo",
    "View",
    "format_scale",
    "make_drawing",
    "parse_scale",
]
