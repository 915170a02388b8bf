"""Involute tooth geometry in pure Python: the curve, the tooth's angles, its B-spline.

The involute of a base circle of radius ``rb``, unrolled from the point ``(rb, 0)``
counter-clockwise, is, at roll angle ``t`` (radians, ``t >= 0``)::

    P(t) = rb * (cos t + t sin t,  sin t - t cos t)
    |P(t)| = rb * sqrt(1 + t**2)          polar angle = t - atan(t) = inv(alpha_r)

where ``alpha_r = atan(t)`` is the pressure angle at that radius and
``inv(a) = tan(a) - a`` is the involute function. Its derivatives have a simple form:
with ``e(t) = (cos t, sin t)``, ``P'(t) = rb t e(t)`` and the k-th derivative of
``t e(t)`` has length ``sqrt(t**2 + k**2)``.

The area swept by the radius vector along the involute between roll angles ``t0`` and
``t1`` is ``(1/2) ∫ r² dθ = rb² (t1³ - t0³) / 6`` (since ``r² = rb²(1 + t²)`` and
``dθ = t²/(1 + t²) dt``); :mod:`cadml.geometry.generators.spur_gear` uses it for its
closed-form volume.

**B-spline form.** A flank is represented exactly enough by a piecewise *quintic
Hermite* interpolant in the parameter ``t``: on each span the Bézier poles are fixed
by the exact point, first and second derivative at both ends, so neighbouring spans
join with C2 continuity, every span end lies exactly on the involute, and at ``t = 0``
(the base circle) the derivative is exactly zero, as on the true curve, whose
curvature is infinite there. The error of a span of length ``h`` is at most
``sqrt(2) h⁶ max|P⁽⁶⁾| / (64·720)`` with ``|P⁽⁶⁾| = rb sqrt(t² + 25)``
(Hermite remainder); the span count is chosen from that bound and the achieved error
is then *measured* by sampling (:func:`flank_fit_error`). This replaces a least-squares
fit through sampled points (``GeomAPI_PointsToBSpline``): it is deterministic, exact at
the span ends and keeps the true zero derivative at the base circle.

Examples:
    >>> round(involute_function(math.radians(20.0)), 9)
    0.014904384
    >>> x, y = involute_point(10.0, 0.0)
    >>> (x, y)
    (10.0, 0.0)
    >>> spans = flank_spans(10.0, 0.0, 0.6, 1e-9)
    >>> len(spans[0].poles), flank_fit_error(10.0, spans) < 1e-9
    (6, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "FlankSpan",
    "bezier_point",
    "flank_fit_error",
    "flank_spans",
    "involute_derivatives",
    "involute_function",
    "involute_point",
    "roll_angle",
]

Point = tuple[float, float]

_HERMITE_ERROR_FACTOR = math.sqrt(2.0) / (64.0 * 720.0)
"""sqrt(2) (two components) times the quintic Hermite remainder (h/2)^6 / 6!."""


def involute_function(angle: float) -> float:
    """``inv(a) = tan(a) - a``, the polar angle of the involute at pressure angle ``a``.

    Args:
        angle: pressure angle in radians, ``0 <= angle < pi/2``.
    """
    return math.tan(angle) - angle


def roll_angle(base_radius: float, radius: float) -> float:
    """The roll angle ``t`` at which the involute reaches ``radius``.

    Args:
        base_radius: radius of the base circle, mm.
        radius: a radius ``>= base_radius``, mm.

    Returns:
        ``sqrt((radius / base_radius)² - 1)``, radians.
    """
    ratio = radius / base_radius
    return math.sqrt(max(ratio * ratio - 1.0, 0.0))


def involute_point(base_radius: float, t: float) -> Point:
    """The involute's point at roll angle ``t`` (unrolled counter-clockwise from +X).

    Args:
        base_radius: radius of the base circle, mm.
        t: roll angle, radians.
    """
    c, s = math.cos(t), math.sin(t)
    return (base_radius * (c + t * s), base_radius * (s - t * c))


def involute_derivatives(base_radius: float, t: float) -> tuple[Point, Point, Point]:
    """Point, first and second derivative of the involute with respect to ``t``.

    Args:
        base_radius: radius of the base circle, mm.
        t: roll angle, radians.

    Returns:
        ``(P, P', P'')`` with ``P' = rb t (cos t, sin t)`` and
        ``P'' = rb (cos t - t sin t, sin t + t cos t)``.
    """
    c, s = math.cos(t), math.sin(t)
    rb = base_radius
    return (
        (rb * (c + t * s), rb * (s - t * c)),
        (rb * t * c, rb * t * s),
        (rb * (c - t * s), rb * (s + t * c)),
    )


@dataclass(frozen=True)
class FlankSpan:
    """One quintic Bézier span of a flank, over roll angles ``[t0, t1]``.

    Args:
        t0: roll angle at the span's start, radians.
        t1: roll angle at the span's end, radians.
        poles: the six Bézier poles, ``(x, y)`` in mm.
    """

    t0: float
    t1: float
    poles: tuple[Point, Point, Point, Point, Point, Point]


def _span(base_radius: float, t0: float, t1: float) -> FlankSpan:
    h = t1 - t0
    (p0, d0, e0) = involute_derivatives(base_radius, t0)
    (p1, d1, e1) = involute_derivatives(base_radius, t1)
    # Quintic Hermite in Bézier form on a span of length h.
    poles = (
        p0,
        (p0[0] + h * d0[0] / 5.0, p0[1] + h * d0[1] / 5.0),
        (
            p0[0] + 2.0 * h * d0[0] / 5.0 + h * h * e0[0] / 20.0,
            p0[1] + 2.0 * h * d0[1] / 5.0 + h * h * e0[1] / 20.0,
        ),
        (
            p1[0] - 2.0 * h * d1[0] / 5.0 + h * h * e1[0] / 20.0,
            p1[1] - 2.0 * h * d1[1] / 5.0 + h * h * e1[1] / 20.0,
        ),
        (p1[0] - h * d1[0] / 5.0, p1[1] - h * d1[1] / 5.0),
        p1,
    )
    return FlankSpan(t0, t1, poles)


def flank_spans(
    base_radius: float, t_start: float, t_end: float, tolerance: float, min_spans: int = 2
) -> list[FlankSpan]:
    """Quintic Hermite spans approximating the involute between two roll angles.

    Args:
        base_radius: radius of the base circle, mm.
        t_start: roll angle where the flank starts (0 at the base circle), radians.
        t_end: roll angle where the flank ends (at the tip circle), radians.
        tolerance: the largest deviation the span count is chosen for, mm.
        min_spans: fewest spans to use.

    Returns:
        Equal spans in ``t`` covering ``[t_start, t_end]``, in order.

    Raises:
        ValueError: if ``t_end <= t_start`` or ``tolerance <= 0``.
    """
    if not t_end > t_start >= 0.0 or tolerance <= 0.0:
        raise ValueError("need 0 <= t_start < t_end and tolerance > 0")
    bound_per_h6 = _HERMITE_ERROR_FACTOR * base_radius * math.sqrt(t_end * t_end + 25.0)
    h_max = (tolerance / bound_per_h6) ** (1.0 / 6.0)
    count = max(min_spans, math.ceil((t_end - t_start) / h_max))
    step = (t_end - t_start) / count
    knots = [t_start + i * step for i in range(count)] + [t_end]
    return [_span(base_radius, knots[i], knots[i + 1]) for i in range(count)]


def bezier_point(poles: tuple[Point, ...], u: float) -> Point:
    """A point of a Bézier curve at ``u`` in ``[0, 1]`` (de Casteljau).

    Args:
        poles: the control points.
        u: the curve parameter.
    """
    xs = [p[0] for p in poles]
    ys = [p[1] for p in poles]
    for level in range(len(poles) - 1, 0, -1):
        for i in range(level):
            xs[i] += u * (xs[i + 1] - xs[i])
            ys[i] += u * (ys[i + 1] - ys[i])
    return (xs[0], ys[0])


def flank_fit_error(base_radius: float, spans: list[FlankSpan], samples: int = 64) -> float:
    """The largest measured distance between the spans and the exact involute, mm.

    Compares points at equal parameters, which bounds the geometric distance from above.

    Args:
        base_radius: radius of the base circle, mm.
        spans: the output of :func:`flank_spans`.
        samples: points compared per span.
    """
    worst = 0.0
    for span in spans:
        for i in range(1, samples):
            u = i / samples
            x, y = bezier_point(span.poles, u)
            ex, ey = involute_point(base_radius, span.t0 + u * (span.t1 - span.t0))
            worst = max(worst, math.hypot(x - ex, y - ey))
    return worst
