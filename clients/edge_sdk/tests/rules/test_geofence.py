"""Geofences: known points, margins that never hide a crossing, enter/exit events."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from cad_ml_edge.rules import RuleEngine
from cad_ml_edge.rules.geofence import (
    EARTH_RADIUS_M,
    Circle,
    FenceGroup,
    Polygon,
    haversine_m,
)
from cad_ml_edge.rules.spec import parse_rule
from cad_ml_edge.rules.targets import Target
from cad_ml_edge.wire import TelemetryFrame

SQUARE = [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)]
# a U: the notch 0.25 < lon < 0.75, lat > 0.25 is outside
U_SHAPE = [
    (0.0, 0.0),
    (0.0, 1.0),
    (1.0, 1.0),
    (1.0, 0.75),
    (0.25, 0.75),
    (0.25, 0.25),
    (1.0, 0.25),
    (1.0, 0.0),
]


def test_haversine_known_distances():
    quarter = math.pi * EARTH_RADIUS_M / 2
    assert haversine_m(0, 0, 90, 0) == pytest.approx(quarter)
    assert haversine_m(0, 0, 0, 180) == pytest.approx(2 * quarter)
    assert haversine_m(0, 0, 0, 1) == pytest.approx(math.radians(1) * EARTH_RADIUS_M)
    assert round(haversine_m(0, 0, 0, 1)) == 111_195
    # along a meridian the distance is the arc: 100 m north of a site
    north = 41.0 + math.degrees(100.0 / EARTH_RADIUS_M)
    assert haversine_m(41.0, 29.0, north, 29.0) == pytest.approx(100.0, rel=1e-9)
    # along a parallel at 60° the arc shrinks by cos(60°) (chord vs arc differs < 1e-9)
    assert haversine_m(60.0, 0.0, 60.0, 0.001) == pytest.approx(
        math.radians(0.001) * EARTH_RADIUS_M * 0.5, rel=1e-6
    )
    # across the antimeridian the short way
    assert haversine_m(0, 179.9, 0, -179.9) == pytest.approx(haversine_m(0, 0, 0, 0.2))


@pytest.mark.parametrize(
    ("point", "inside"),
    [
        ((0.5, 0.5), True),
        ((0.999, 0.001), True),
        ((1.5, 0.5), False),
        ((-0.0001, 0.5), False),
        ((0.5, 1.0000001), False),
        ((0.0, 0.5), True),  # on the bottom edge (horizontal)
        ((0.5, 1.0), True),  # on the right edge (vertical)
        ((1.0, 1.0), True),  # a vertex
        ((0.0, 0.0), True),
        ((0.5, 1.0 + 5e-10), True),  # within the 1e-9 degree edge band
        ((0.5, 1.0 + 2e-9), False),
    ],
)
def test_square(point: tuple[float, float], inside: bool):
    assert Polygon(SQUARE).contains(*point) is inside


@pytest.mark.parametrize(
    ("point", "inside"),
    [
        ((0.1, 0.5), True),  # below the notch
        ((0.5, 0.5), False),  # in the notch
        ((0.5, 0.1), True),  # left arm
        ((0.5, 0.9), True),  # right arm
        ((0.25, 0.5), True),  # on the notch's floor
        ((0.9, 0.25), True),  # on the notch's wall
        ((1.0, 0.5), False),  # on the line closing the notch, which is no edge
    ],
)
def test_concave_polygon(point: tuple[float, float], inside: bool):
    assert Polygon(U_SHAPE).contains(*point) is inside


def test_point_on_a_diagonal_edge():
    triangle = Polygon([(0.0, 0.0), (1.0, 3.0), (0.0, 3.0)])
    for u in (0.1, 1 / 3, 0.7):
        assert triangle.contains(u * 1.0, u * 3.0)  # on the edge, however it rounds
        assert not triangle.contains(u * 1.0 + 1e-6, u * 3.0 - 1e-6)


def test_repeated_points_add_no_edge():
    polygon = Polygon([(0.0, 0.0), (0.0, 1.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)])
    assert len(polygon.edges) == 4
    assert polygon.contains(0.5, 0.5) and not polygon.contains(0.5, 2.0)


def test_polygon_at_a_real_site(inside: Any):
    site = parse_rule(
        {
            "id": "site",
            "geofence": {
                "shape": "polygon",
                "points": [
                    [41.0080, 28.9780],
                    [41.0080, 28.9790],
                    [41.0088, 28.9792],
                    [41.0090, 28.9781],
                ],
            },
        }
    ).source
    polygon = Polygon(site.points)
    rnd = random.Random(5)
    for _ in range(2000):
        lat, lon = 41.0085 + rnd.uniform(-0.001, 0.001), 28.9786 + rnd.uniform(-0.001, 0.001)
        assert polygon.contains(lat, lon) == inside(site, lat, lon)


def _bearing_point(
    lat: float, lon: float, dist_m: float, bearing_deg: float
) -> tuple[float, float]:
    d = dist_m / EARTH_RADIUS_M
    p1, l1, b = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    lon2 = (math.degrees(l2) + 540) % 360 - 180
    return math.degrees(p2), lon2


@pytest.mark.parametrize(
    ("center", "radius"),
    [
        ((41.0, 29.0), 50.0),
        ((0.0, 179.9995), 100.0),
        ((-0.0002, -179.9999), 500.0),
        ((89.9995, 10.0), 200.0),
        ((-60.0, 0.0), 1_000_000.0),
    ],
)
def test_circle_inside_and_outside_by_bearing(center: tuple[float, float], radius: float):
    circle = Circle(center, radius)
    for bearing in range(0, 360, 15):
        assert circle.contains(*_bearing_point(*center, radius * (1 - 1e-6), bearing))
        assert not circle.contains(*_bearing_point(*center, radius * (1 + 1e-6), bearing))
    assert circle.contains(*center)


def test_circle_box_drops_longitude_bounds_near_poles_and_antimeridian():
    assert Circle((41.0, 29.0), 50.0).box[2] > 28.99
    assert Circle((0.0, 179.9999), 100.0).box[2:] == (-math.inf, math.inf)
    assert Circle((89.99999, 0.0), 100.0).box[2:] == (-math.inf, math.inf)
    # across the antimeridian the circle still contains the far side
    assert Circle((0.0, 179.9999), 100.0).contains(0.0, -179.9999)


@pytest.mark.parametrize("seed", range(5))
def test_margins_never_hide_a_side_change(seed: int):
    rnd = random.Random(seed)
    shapes: list[tuple[Any, tuple[float, float, float, float]]] = [
        # (shape, sampling region lat0, lat1, lon0, lon1)
        (Polygon(U_SHAPE), (-0.2, 1.2, -0.2, 1.2)),
        (Polygon([(0.0, 0.0), (0.3, 1.0), (1.0, 0.2)]), (-0.2, 1.2, -0.2, 1.2)),
        (Circle((0.5, 0.5), 30_000.0), (0.1, 0.9, 0.1, 0.9)),
        (Circle((0.0, 179.9), 20_000.0), (-0.3, 0.3, 179.5, 180.0)),
    ]
    for shape, (lat0, lat1, lon0, lon1) in shapes:
        for _ in range(400):
            lat, lon = rnd.uniform(lat0, lat1), rnd.uniform(lon0, lon1)
            side, margin = shape.locate(lat, lon)
            assert side == shape.contains(lat, lon)
            if margin <= 0:
                continue
            for _ in range(5):
                share = rnd.random()
                dlat = rnd.choice([-1, 1]) * margin * share * 0.999
                dlon = rnd.choice([-1, 1]) * margin * (1 - share) * 0.999
                if -180 <= lon + dlon <= 180:
                    assert shape.contains(lat + dlat, lon + dlon) == side, (lat, lon, margin)


def test_margins_are_tight_enough_to_matter():
    # a device 10 m inside a 50 m circle can move about 10 m without re-evaluation
    circle = Circle((41.0, 29.0), 50.0)
    _, margin = circle.locate(*_bearing_point(41.0, 29.0, 40.0, 30))
    assert margin * math.radians(1) * EARTH_RADIUS_M == pytest.approx(10.0, abs=0.01)
    assert Polygon(SQUARE).locate(0.5, 0.25)[1] == pytest.approx(0.25)
    assert Polygon(SQUARE).locate(3.0, 0.5) == (False, pytest.approx(2.0))


# ------------------------------------------------------------------ events
def fence(**extra: Any) -> dict[str, Any]:
    return {
        "id": "yard",
        "geofence": {"shape": "polygon", "points": [[0, 0], [0, 1], [1, 1], [1, 0]]},
        **extra,
    }


def run(
    rules: list[dict[str, Any]], path: list[tuple[float, Any, Any]]
) -> list[tuple[int, str, str]]:
    engine = RuleEngine(rules)
    out = []
    for i, (t, lat, lon) in enumerate(path):
        for event in engine.process(TelemetryFrame(t, "truck", status={"lat": lat, "lon": lon})):
            out.append((i, event.rule_id, event.kind))
    return out


def test_first_fix_only_sets_the_side():
    assert run([fence()], [(0, 0.5, 0.5), (1, 0.5, 0.6)]) == []
    assert run([fence()], [(0, 2, 2), (1, 0.5, 0.5), (2, 2, 2)]) == [
        (1, "yard", "geofence_enter"),
        (2, "yard", "geofence_exit"),
    ]


def test_event_filter():
    path = [(0, 2, 2), (1, 0.5, 0.5), (2, 2, 2), (3, 0.5, 0.5)]
    assert run([fence(event="enter")], path) == [
        (1, "yard", "geofence_enter"),
        (3, "yard", "geofence_enter"),
    ]
    assert run([fence(event="exit")], path) == [(2, "yard", "geofence_exit")]


def test_debounce_fires_while_standing_still_after_the_crossing():
    # the device crosses at t=1 and then does not move: the unchanged position must not
    # stop the debounce from completing at t=4
    path = [(0, 2, 2), (1, 0.5, 0.5), (2, 0.5, 0.5), (3, 0.5, 0.5), (4, 0.5, 0.5)]
    assert run([fence(debounce_s=3.0)], path) == [(4, "yard", "geofence_enter")]


def test_debounce_interrupted_by_returning():
    path = [(0, 2, 2), (1, 0.5, 0.5), (2, 2, 2), (3, 0.5, 0.5), (5, 0.5, 0.5)]
    assert run([fence(debounce_s=2.0)], path) == [(4, "yard", "geofence_enter")]


@pytest.mark.parametrize(
    "bad", [("41", 29.0), (None, 29.0), (91.0, 0.0), (0.0, -181.0), (True, 0.0)]
)
def test_unusable_positions_are_skipped(bad: tuple[Any, Any]):
    path = [(0, 2, 2), (1, *bad), (2, 0.5, 0.5)]
    assert run([fence()], path) == [(2, "yard", "geofence_enter")]


def test_positions_from_other_groups_and_a_circle():
    circle = {
        "id": "dock",
        "geofence": {"shape": "circle", "center": [41.0, 29.0], "radius_m": 50},
        "lat_field": "sensors.gps_lat",
        "lon_field": "metrics.gps_lon",
    }
    engine = RuleEngine([circle])
    kinds = [
        [
            e.kind
            for e in engine.process(TelemetryFrame(t, "d", {"gps_lat": lat}, {"gps_lon": 29.0}))
        ]
        for t, lat in enumerate([41.001, 41.0002, 41.0002, 41.001])
    ]
    assert kinds == [[], ["geofence_enter"], [], ["geofence_exit"]]


def test_fence_state_round_trip():
    target = Target(0, "yard", "geofence", "info", "fp1", lambda *a: "")
    group = FenceGroup("status.lat", "status.lon", [(target, Polygon(SQUARE), "both", 5.0)])
    state = group.new_state()
    feed = group.bind(state)
    feed(2.0, 2.0, 0.0, [])
    feed(0.5, 0.5, 1.0, [])
    saved = group.dump(state)
    assert saved == {"rule:yard": {"fp": "fp1", "inside": 0, "since": 1.0}}
    again = group.load(saved)
    assert (again.inside, again.since, again.pending) == ([0], [1.0], 1)
    assert group.load({"rule:yard": {**saved["rule:yard"], "fp": "old"}}).inside == [-1]
    with pytest.raises(ValueError, match="bad geofence state"):
        group.load({"rule:yard": {"fp": "fp1", "inside": 2, "since": -1.0}})
    with pytest.raises(ValueError, match="bad geofence state"):
        group.load({"rule:yard": {"fp": "fp1", "inside": 1, "since": "x"}})
