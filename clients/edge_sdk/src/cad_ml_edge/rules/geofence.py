"""Geofences: point in polygon and circles on lat/lon degrees, with enter/exit events.

* Polygons are planar in (lon, lat) degrees: edges are straight lines on an
  equirectangular map, fine for site-sized fences and wrong near the poles. A point
  within :data:`EDGE_TOL_DEG` (about 0.1 mm) of an edge or a vertex is inside;
  otherwise even-odd ray casting decides. Polygons may not cross the antimeridian.
* Circles use the haversine distance on a sphere of radius :data:`EARTH_RADIUS_M`, so
  they work anywhere, across the antimeridian too; a point at ``radius_m`` is inside.

Per (rule, device) the side is inside, outside or unknown: the first position only sets
it (no event); a change that holds for ``debounce_s`` of frame time emits
``geofence_enter`` or ``geofence_exit``.

Evaluating every fence on every GPS fix would cost microseconds, so :meth:`Polygon.locate`
and :meth:`Circle.locate` also return a *margin*: how far (in degrees, as
``|Δlat| + |Δlon|``) the point can move without any side possibly changing. A
:class:`FenceGroup` re-evaluates only once the device has moved that far from the last
evaluated fix; this is exact, not an approximation (see :meth:`Circle.locate`).

Examples:
    >>> square = Polygon([(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)])
    >>> square.contains(0.5, 0.5), square.contains(0.0, 0.5), square.contains(1.5, 0.5)
    (True, True, False)
    >>> square.locate(0.5, 0.25)
    (True, 0.249999998)
    >>> round(haversine_m(0.0, 0.0, 0.0, 1.0))
    111195
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cad_ml_edge.rules.targets import Target

__all__ = [
    "EARTH_RADIUS_M",
    "EDGE_TOL_DEG",
    "Circle",
    "FenceGroup",
    "FenceState",
    "Polygon",
    "haversine_m",
]

EARTH_RADIUS_M = 6_371_008.8
"""The IUGG mean Earth radius (m)."""
EDGE_TOL_DEG = 1e-9
"""A point this close (degrees) to a polygon's edge counts as on it (inside)."""

_UNKNOWN, _OUT, _IN = -1, 0, 1
_ENTER, _EXIT = 1, 2
_RAD = math.pi / 180.0
_M_PER_DEG = EARTH_RADIUS_M * _RAD
_sin, _cos, _asin, _sqrt = math.sin, math.cos, math.asin, math.sqrt


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(a, 1.0)))


def _outside_box(box: tuple[float, float, float, float], lat: float, lon: float) -> float:
    """How far (L∞, degrees) the point is outside ``box``; ≤ 0 inside it."""
    lat0, lat1, lon0, lon1 = box
    return max(lat0 - lat, lat - lat1, lon0 - lon, lon - lon1)


class Polygon:
    """A polygon given as ``[(lat, lon), ...]`` (open ring, ≥ 3 points)."""

    def __init__(self, points: Sequence[tuple[float, float]]) -> None:
        tol = EDGE_TOL_DEG
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        self.box = (min(lats) - tol, max(lats) + tol, min(lons) - tol, max(lons) + tol)
        edges = []
        for (ay, ax), (by, bx) in zip(points, [*points[1:], points[0]], strict=True):
            dy, dx = by - ay, bx - ax
            length2 = dx * dx + dy * dy
            if length2 > 0.0:  # a repeated point adds no edge
                edges.append((ay, ax, by, bx, dy, dx, length2))
        self.edges = tuple(edges)

    def contains(self, lat: float, lon: float) -> bool:
        """Whether ``(lat, lon)`` is inside or on the boundary."""
        return self.locate(lat, lon)[0]

    def locate(self, lat: float, lon: float) -> tuple[bool, float]:
        """``(inside, margin)``: the side, and a distance (degrees) it cannot change within."""
        outside = _outside_box(self.box, lat, lon)
        if outside > 0.0:
            return False, outside
        inside = False
        nearest2 = math.inf
        for ay, ax, by, bx, dy, dx, length2 in self.edges:
            px, py = lon - ax, lat - ay
            dot = px * dx + py * dy
            if dot <= 0.0:
                d2 = px * px + py * py
            elif dot >= length2:
                qx, qy = lon - bx, lat - by
                d2 = qx * qx + qy * qy
            else:
                cross = px * dy - py * dx
                d2 = cross * cross / length2
            nearest2 = min(nearest2, d2)
            if (ay > lat) != (by > lat) and lon < ax + py * dx / dy:
                inside = not inside
        nearest = _sqrt(nearest2)
        if nearest <= EDGE_TOL_DEG:
            return True, 0.0
        # planar distance ≤ |Δlat| + |Δlon|; 2 tol absorbs rounding and the edge band
        return inside, nearest - 2 * EDGE_TOL_DEG


class Circle:
    """A circle of ``radius_m`` metres around ``center = (lat, lon)``."""

    def __init__(self, center: tuple[float, float], radius_m: float) -> None:
        self.lat, self.lon = center
        self.radius_m = radius_m
        self.p1 = self.lat * _RAD
        self.cos_p1 = math.cos(self.p1)
        self.a_max = math.sin(radius_m / (2 * EARTH_RADIUS_M)) ** 2
        # A box a little larger than the circle; when the circle reaches a pole or the
        # antimeridian the longitude bounds are dropped and haversine alone decides.
        dlat = math.degrees(radius_m / EARTH_RADIUS_M) * 1.01 + 1e-9
        lat0, lat1 = self.lat - dlat, self.lat + dlat
        lon0, lon1 = -math.inf, math.inf
        if lat0 > -90.0 and lat1 < 90.0:
            dlon = dlat / math.cos(math.radians(max(abs(lat0), abs(lat1))))
            if self.lon - dlon >= -180.0 and self.lon + dlon <= 180.0:
                lon0, lon1 = self.lon - dlon, self.lon + dlon
        self.box = (lat0, lat1, lon0, lon1)

    def contains(self, lat: float, lon: float) -> bool:
        """Whether ``(lat, lon)`` is within ``radius_m`` (inclusive)."""
        return self.locate(lat, lon)[0]

    def locate(self, lat: float, lon: float) -> tuple[bool, float]:
        """``(inside, margin)``: the side, and a distance (degrees) it cannot change within.

        Moving by ``Δlat, Δlon`` degrees moves a point at most ``R·(|Δlat| + |Δlon|)·π/180``
        metres along the sphere (a meridian arc, then a parallel arc no longer than
        ``R·|Δlon|``), so ``|d - r|`` metres convert to a safe margin in degrees.
        """
        outside = _outside_box(self.box, lat, lon)
        if outside > 0.0:
            return False, outside
        p2 = lat * _RAD
        a = (
            _sin((p2 - self.p1) * 0.5) ** 2
            + self.cos_p1 * _cos(p2) * _sin((lon - self.lon) * _RAD * 0.5) ** 2
        )
        distance = 2 * EARTH_RADIUS_M * _asin(_sqrt(min(a, 1.0)))
        return a <= self.a_max, abs(distance - self.radius_m) / _M_PER_DEG - EDGE_TOL_DEG


class FenceState:
    """Per device: each fence's side and the frame time a change was first seen."""

    __slots__ = ("inside", "pending", "since")

    def __init__(self, n: int) -> None:
        self.inside = [_UNKNOWN] * n
        self.since = [-1.0] * n  # -1: no change pending
        self.pending = 0


class FenceGroup:
    """All geofence rules reading the same lat/lon fields.

    Args:
        lat_field: the latitude field path.
        lon_field: the longitude field path.
        fences: ``(target, shape, event, debounce_s)`` per rule; shape is a
            :class:`Polygon` or :class:`Circle`; event is ``enter``, ``exit`` or ``both``.
    """

    def __init__(
        self,
        lat_field: str,
        lon_field: str,
        fences: Sequence[tuple[Target, Polygon | Circle, str, float]],
    ) -> None:
        self.lat_field = lat_field
        self.lon_field = lon_field
        self.targets = tuple(f[0] for f in fences)
        self.locates: tuple[Callable[[float, float], tuple[bool, float]], ...] = tuple(
            f[1].locate for f in fences
        )
        wants = {"enter": _ENTER, "exit": _EXIT, "both": _ENTER | _EXIT}
        self.wants = tuple(wants[f[2]] for f in fences)
        self.debounce_s = tuple(f[3] for f in fences)

    def new_state(self) -> FenceState:
        """No position seen yet."""
        return FenceState(len(self.targets))

    def load(self, entries: Mapping[str, Any]) -> FenceState:
        """Saved sides per rule; a rule whose fingerprint differs starts unknown."""
        state = self.new_state()
        for i, target in enumerate(self.targets):
            saved = entries.get(f"rule:{target.rule_id}")
            if saved is not None and saved["fp"] == target.fingerprint:
                inside, since = saved["inside"], saved["since"]
                if inside not in (_UNKNOWN, _OUT, _IN) or not isinstance(since, (int, float)):
                    raise ValueError(f"bad geofence state for {target.rule_id!r}")
                state.inside[i], state.since[i] = inside, since
        state.pending = sum(1 for s in state.since if s >= 0)
        return state

    def dump(self, state: FenceState) -> dict[str, Any]:
        """Entries ``rule:<id>`` → ``{"fp", "inside", "since"}``."""
        return {
            f"rule:{t.rule_id}": {"fp": t.fingerprint, "inside": i, "since": s}
            for t, i, s in zip(self.targets, state.inside, state.since, strict=True)
        }

    def bind(self, state: FenceState) -> Callable[[float, float, float, list], None]:
        """The group's feed ``feed(lat, lon, t, out)``.

        Each fence keeps the fix it was last evaluated at (its anchor) and its margin
        there; the group keeps ``group_margin``, the smallest ``margin_i - |g - a_i|``
        over fences at the group's anchor ``g``, so that (by the triangle inequality)
        a fix closer than that to ``g`` is within every fence's own margin and nothing
        is evaluated. Otherwise only the fences whose own margin was exceeded are.
        Anchors live in the closure, not in saved state: the first fix after a
        restore is evaluated in full, which gives the same sides.
        """
        targets, locates, wants, debounce = self.targets, self.locates, self.wants, self.debounce_s
        inside, since = state.inside, state.since
        n = len(targets)
        n_range = range(n)
        now = [_OUT] * n
        anchor_lat, anchor_lon, margin = [0.0] * n, [0.0] * n, [-1.0] * n  # -1: never seen
        group_lat = group_lon = 0.0
        group_margin = -1.0

        def feed(lat: float, lon: float, t: float, out: list) -> None:
            nonlocal group_lat, group_lon, group_margin
            if abs(lat - group_lat) + abs(lon - group_lon) < group_margin:
                if not state.pending:
                    return  # no side can have changed and nothing awaits its debounce
            else:
                group_margin = math.inf
                for i in n_range:
                    moved = abs(lat - anchor_lat[i]) + abs(lon - anchor_lon[i])
                    if moved >= margin[i]:
                        within, margin[i] = locates[i](lat, lon)
                        now[i] = _IN if within else _OUT
                        anchor_lat[i], anchor_lon[i] = lat, lon
                        moved = 0.0
                    if margin[i] - moved < group_margin:
                        group_margin = margin[i] - moved
                group_lat, group_lon = lat, lon
            for i in n_range:
                side = inside[i]
                if side == _UNKNOWN:
                    inside[i] = now[i]
                elif now[i] == side:
                    if since[i] >= 0:
                        since[i] = -1.0
                        state.pending -= 1
                else:
                    if since[i] < 0:
                        since[i] = t
                        state.pending += 1
                    if t - since[i] >= debounce[i]:
                        inside[i] = now[i]
                        since[i] = -1.0
                        state.pending -= 1
                        if wants[i] & (_ENTER if now[i] else _EXIT):
                            kind = "geofence_enter" if now[i] else "geofence_exit"
                            out.append((targets[i], (lat, lon), kind))

        return feed
