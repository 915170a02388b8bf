"""Clearance against closed forms on real B-reps: boxes, a pin in a hole, a tilted pin.

Pin Ø10 in holes of Ø10.1 (50 µm radial clearance) and Ø10.01 (5 µm), hole depth 20 mm,
pin length 30 mm, both centred on the origin along z.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import numpy as np
import pytest

pytest.importorskip("build123d")

import build123d as bd

from cadml.geometry.distance import exact_distance
from cadml.geometry.mesh import tessellate
from cadml.physics.clearance import ClearancePart, clearance

PIN_RADIUS = 5.0
HOLE_HALF_DEPTH = 10.0
COARSE_MM = 0.1
# Coarse angular deflection so that the linear deflection governs the facets.
ANGULAR_RAD = 0.5


def translation(x: float, y: float = 0.0, z: float = 0.0) -> np.ndarray:
    t = np.eye(4)
    t[:3, 3] = [x, y, z]
    return t


def rotation(axis: str, angle_rad: float) -> np.ndarray:
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    t = np.eye(4)
    i, j = {"x": (1, 2), "y": (2, 0), "z": (0, 1)}[axis]
    t[i, i], t[i, j], t[j, i], t[j, j] = c, -s, s, c
    return t


@pytest.fixture(scope="module")
def box() -> Any:
    return bd.Box(10, 10, 10).wrapped


@pytest.fixture(scope="module")
def pin() -> Any:
    return bd.Cylinder(PIN_RADIUS, 30).wrapped


@pytest.fixture(scope="module", params=[10.1, 10.01], ids=["50um", "5um"])
def hole(request: pytest.FixtureRequest) -> tuple[Any, float]:
    diameter = request.param
    block = bd.Box(30, 30, 2 * HOLE_HALF_DEPTH) - bd.Cylinder(diameter / 2, 2 * HOLE_HALF_DEPTH)
    return block.wrapped, diameter / 2


def part(name: str, shape: Any, transform: np.ndarray, deflection: float = 0.01) -> ClearancePart:
    return ClearancePart(name, tessellate(shape, deflection, ANGULAR_RAD), transform, shape)


def mesh_only(p: ClearancePart) -> ClearancePart:
    return ClearancePart(p.id, p.mesh, p.transform_mm)


# ----------------------------------------------------------------------------- boxes


def test_boxes_three_millimetres_apart(box: Any) -> None:
    answer = exact_distance(box, translation(1.0, 2.0, 3.0), box, translation(14.0, 2.0, 3.0))
    assert answer.distance_mm == pytest.approx(3.0, abs=1e-9)
    assert answer.point_a_mm[0] == pytest.approx(6.0, abs=1e-9)
    assert answer.point_b_mm[0] == pytest.approx(9.0, abs=1e-9)
    for point in (answer.point_a_mm, answer.point_b_mm):
        assert -3.0 - 1e-9 <= point[1] <= 7.0 + 1e-9 and -2.0 - 1e-9 <= point[2] <= 8.0 + 1e-9
    assert not answer.inside and answer.overlap_depth_mm is None
    # Through clearance(): beyond the exact band the mesh answer stands (exact for planes);
    # a threshold above the gap sends the pair to the exact path.
    parts = [part("a", box, np.eye(4)), part("b", box, translation(13.0))]
    by_mesh = clearance(parts, [("a", "b")]).pairs[0]
    by_exact = clearance(parts, [("a", "b")], threshold_mm=5.0).pairs[0]
    assert by_mesh.method == "mesh" and by_exact.method == "exact"
    for pair in (by_mesh, by_exact):
        assert pair.distance_mm == pytest.approx(3.0, abs=1e-9) and pair.status == "clear"
        assert pair.point_a_mm[0] == pytest.approx(5.0) and pair.point_b_mm[0] == pytest.approx(8.0)


@pytest.mark.parametrize(
    ("offset", "status", "distance"),
    [
        (10.0, "touching", 0.0),
        (10.0005, "touching", 0.0005),
        (10.002, "clear", 0.002),
        (9.9995, "touching", 0.0),  # 0.5 µm overlap: thinner than the 1 µm tolerance
        (9.5, "interfering", 0.0),
    ],
)
def test_touching_and_overlapping_boxes(
    box: Any, offset: float, status: str, distance: float
) -> None:
    parts = [part("a", box, np.eye(4)), part("b", box, translation(offset, 3.0, -4.0))]
    pair = clearance(parts, [("a", "b")]).pairs[0]
    assert pair.method == "exact"
    assert pair.status == status
    assert pair.distance_mm == pytest.approx(distance, abs=1e-9)


def test_box_inside_box_is_interfering(box: Any) -> None:
    small = bd.Box(2, 2, 2).wrapped
    parts = [part("big", box, np.eye(4)), part("small", small, translation(1.0, 1.0, 1.0))]
    forward, backward = clearance(parts, [("big", "small"), ("small", "big")]).pairs
    for pair in (forward, backward):
        assert pair.inside and pair.status == "interfering" and pair.distance_mm == 0.0
        assert pair.method == "exact"


# ------------------------------------------------------------------------ pin in hole


def test_coaxial_pin_clearance_is_exact(hole: tuple[Any, float], pin: Any) -> None:
    shape, radius = hole
    parts = [part("hole", shape, np.eye(4)), part("pin", pin, np.eye(4))]
    pair = clearance(parts, [("hole", "pin")]).pairs[0]
    assert pair.method == "exact" and pair.status == "clear"
    assert pair.distance_mm == pytest.approx(radius - PIN_RADIUS, abs=1e-9)
    assert math.hypot(*pair.point_a_mm[:2]) == pytest.approx(radius, abs=1e-9)
    assert math.hypot(*pair.point_b_mm[:2]) == pytest.approx(PIN_RADIUS, abs=1e-9)


def test_rigid_motion_of_both_keeps_the_answer(hole: tuple[Any, float], pin: Any) -> None:
    shape, radius = hole
    motion = translation(40.0, -7.0, 3.0) @ rotation("x", math.radians(7.0))
    still = clearance([part("h", shape, np.eye(4)), part("p", pin, np.eye(4))], [("h", "p")])
    moved = clearance([part("h", shape, motion), part("p", pin, motion)], [("h", "p")])
    a, b = still.pairs[0], moved.pairs[0]
    assert b.distance_mm == pytest.approx(radius - PIN_RADIUS, abs=1e-9)
    assert b.distance_mm == pytest.approx(a.distance_mm, abs=1e-12)
    for before, after in ((a.point_a_mm, b.point_a_mm), (a.point_b_mm, b.point_b_mm)):
        expected = motion[:3, :3] @ np.array(before) + motion[:3, 3]
        assert np.allclose(after, expected, atol=1e-9)


@pytest.mark.parametrize("tilt_rad", [0.0001, 0.0002])
def test_tilted_pin_matches_the_closed_form(
    hole: tuple[Any, float], pin: Any, tilt_rad: float
) -> None:
    shape, radius = hole
    # Tilted about x through the centre, the pin comes closest to the hole's rims at
    # z = ±h, y = ∓R: distance from (0, -R, h) to the axis (0, -sin t, cos t), minus r.
    expected = radius * math.cos(tilt_rad) - HOLE_HALF_DEPTH * math.sin(tilt_rad) - PIN_RADIUS
    assert expected > 0.0005
    parts = [part("hole", shape, np.eye(4)), part("pin", pin, rotation("x", tilt_rad))]
    pair = clearance(parts, [("hole", "pin")]).pairs[0]
    assert pair.method == "exact" and pair.status == "clear"
    assert pair.distance_mm == pytest.approx(expected, abs=1e-9)
    assert np.allclose(np.abs(pair.point_a_mm), [0.0, radius, HOLE_HALF_DEPTH], atol=1e-9)
    assert pair.point_a_mm[1] * pair.point_a_mm[2] < 0  # rim point on the side of the tilt
    assert np.linalg.norm(np.subtract(pair.point_b_mm, pair.point_a_mm)) == pytest.approx(
        expected, abs=1e-9
    )
    # the mesh answer at δ = 0.01 mm is within its error band of the exact one
    assert abs(pair.mesh_distance_mm - expected) < 2 * pair.deflection_mm


def test_tilt_past_the_clearance_interferes(hole: tuple[Any, float], pin: Any) -> None:
    shape, radius = hole
    tilt = 2.0 * (radius - PIN_RADIUS) / HOLE_HALF_DEPTH  # well past touching
    parts = [part("hole", shape, np.eye(4)), part("pin", pin, rotation("x", tilt))]
    pair = clearance(parts, [("hole", "pin")]).pairs[0]
    assert pair.method == "exact" and pair.status == "interfering" and pair.distance_mm == 0.0


def test_coarse_meshes_misreport_but_the_final_answer_is_exact(
    hole: tuple[Any, float], pin: Any
) -> None:
    shape, radius = hole
    clearance_mm = radius - PIN_RADIUS
    # Spinning the pin 7° about its own axis is the same solid, but its facets no longer
    # line up with the hole's: the mesh distance drops by up to ~0.7 δ.
    spun = rotation("z", math.radians(7.0))
    parts = [part("hole", shape, np.eye(4), COARSE_MM), part("pin", pin, spun, COARSE_MM)]
    mesh_pair = clearance([mesh_only(p) for p in parts], [("hole", "pin")]).pairs[0]
    final = clearance(parts, [("hole", "pin")]).pairs[0]
    assert mesh_pair.method == "mesh" and mesh_pair.deflection_mm == COARSE_MM
    if clearance_mm > 0.01:
        assert mesh_pair.distance_mm < 0.6 * clearance_mm  # measured 13.2 µm for 50 µm
        assert mesh_pair.status == "clear"
    else:
        assert mesh_pair.status == "interfering"  # a false interference
    assert final.method == "exact" and final.status == "clear"
    assert final.distance_mm == pytest.approx(clearance_mm, abs=1e-9)
    assert final.mesh_distance_mm == mesh_pair.distance_mm


# ---------------------------------------------------------------- scenes, determinism


@pytest.fixture(scope="module")
def scene(pin: Any, box: Any) -> list[ClearancePart]:
    block = (bd.Box(30, 30, 20) - bd.Cylinder(5.05, 20)).wrapped
    sphere = bd.Sphere(4).wrapped
    return [
        part("block", block, translation(0.0, 0.0, 0.0)),
        part("pin", pin, rotation("x", 0.0003)),
        part("box", box, translation(21.5, 0.0, 0.0)),  # 1.5 mm from the block
        part("sphere", sphere, translation(21.5, 10.0, 0.0)),  # 1 mm above the box
        part("far", box, translation(21.5, 0.0, 17.5)),  # 2.5 mm from the box
    ]


def test_all_pairs_within_threshold_equals_brute_force(scene: list[ClearancePart]) -> None:
    threshold = 2.0
    report = clearance(scene, threshold_mm=threshold)
    brute = {}
    for a, b in itertools.combinations(scene, 2):
        answer = exact_distance(a.shape, a.transform_mm, b.shape, b.transform_mm)
        if answer.distance_mm <= threshold:
            brute[(a.id, b.id)] = answer.distance_mm
    found = {(p.id_a, p.id_b): p.distance_mm for p in report.pairs}
    assert found.keys() == brute.keys() == {("block", "pin"), ("block", "box"), ("box", "sphere")}
    for key, distance in brute.items():
        assert found[key] == pytest.approx(distance, abs=1e-12)
    assert found[("block", "box")] == pytest.approx(1.5, abs=1e-9)
    assert found[("box", "sphere")] == pytest.approx(1.0, abs=1e-9)
    assert all(p.method == "exact" for p in report.pairs)
    assert report.candidate_pairs < 10  # the broadphase pruned some pairs


def test_clearance_is_deterministic(scene: list[ClearancePart]) -> None:
    first = json.dumps(clearance(scene, threshold_mm=3.0).to_dict(), sort_keys=True)
    second = json.dumps(clearance(scene, threshold_mm=3.0).to_dict(), sort_keys=True)
    assert first == second
    reversed_pairs = [("pin", "block"), ("far", "box")]
    again = clearance(scene, reversed_pairs)
    assert [(p.id_a, p.id_b) for p in again.pairs] == reversed_pairs
    assert again.pairs[0].distance_mm == pytest.approx(
        clearance(scene, [("block", "pin")]).pairs[0].distance_mm, abs=1e-12
    )


def test_bvh_cache_is_filled_by_geometry_key(box: Any) -> None:
    mesh = tessellate(box, 0.01, ANGULAR_RAD)
    parts = [
        ClearancePart(f"b{k}", mesh, translation(12.0 * k), box, geometry_key="box10")
        for k in range(3)
    ]
    cache: dict[object, object] = {}
    report = clearance(parts, threshold_mm=2.5, bvh_cache=cache)  # type: ignore[arg-type]
    assert list(cache) == ["box10", ("box10", "faces")]
    assert [p.distance_mm for p in report.pairs] == pytest.approx([2.0, 2.0], abs=1e-9)


def test_overlap_depth_from_a_witness_or_from_the_common(box: Any) -> None:
    placement = translation(9.5, 3.0, -4.0)  # B spans x [4.5, 14.5], y [-2, 8], z [-9, 1]
    witness = exact_distance(box, np.eye(4), box, placement, probe_points_b_mm=[[4.5, -2.0, 1.0]])
    assert witness.distance_mm == 0.0 and witness.overlap_depth_mm == pytest.approx(0.5, abs=1e-9)
    # Without a witness: the common is 0.5 x 7 x 6, thickness 2 V / A = 42 / 97.
    common = exact_distance(box, np.eye(4), box, placement)
    assert common.overlap_depth_mm == pytest.approx(2 * 21.0 / 97.0, abs=1e-9)
    # A probe outside A is no witness, so the common decides.
    missed = exact_distance(box, np.eye(4), box, placement, probe_points_b_mm=[[14.5, 8.0, 1.0]])
    assert missed.overlap_depth_mm == pytest.approx(2 * 21.0 / 97.0, abs=1e-9)


def test_plain_solids_are_measured_between_boundaries(box: Any) -> None:
    # A TopoDS_Solid (not a compound) makes BRepExtrema report 0 for a point inside it.
    big = bd.Box(10, 10, 10).solids()[0].wrapped
    small = bd.Box(2, 2, 2).solids()[0].wrapped
    contained = exact_distance(big, np.eye(4), small, translation(1.0, 1.0, 1.0))
    assert contained.inside and contained.distance_mm == 0.0
    assert contained.surface_distance_mm == pytest.approx(3.0, abs=1e-9)
    witness = exact_distance(
        big, np.eye(4), big, translation(9.5), probe_points_b_mm=[[4.5, 0.0, 0.0]]
    )
    assert witness.overlap_depth_mm == pytest.approx(0.5, abs=1e-9)
    assert witness.point_b_mm == pytest.approx((4.5, 0.0, 0.0))
    assert witness.point_a_mm == pytest.approx((5.0, 0.0, 0.0))


def test_face_preselection_keeps_the_exact_answer() -> None:
    plate = bd.Box(80, 60, 6)
    for k in range(12):
        x, y = -30.0 + 12.0 * (k % 6), -15.0 + 30.0 * (k // 6)
        plate -= bd.Pos(x, y, 0) * bd.Cylinder(2.5, 6)
    plate_shape = plate.wrapped
    ball = bd.Sphere(4).wrapped
    placements = [
        translation(-30.0, -15.0, 7.5),  # 4.5 mm above a hole: nearest the rim
        rotation("y", 0.4) @ translation(30.5, 15.0, 0.0),  # inside the last hole
        translation(45.0, 0.0, 0.0),  # beside the plate
    ]
    calls: list[dict[str, Any]] = []

    def recording(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return exact_distance(*args, **kwargs)

    found = []
    for placement in placements:
        parts = [part("plate", plate_shape, np.eye(4)), part("ball", ball, placement)]
        pair = clearance(parts, [("plate", "ball")], threshold_mm=6.0, exact=recording).pairs[0]
        full = exact_distance(plate_shape, np.eye(4), ball, placement)
        assert calls[-1]["faces_a"] is not None and len(calls[-1]["faces_a"]) < 20
        assert pair.method == "exact"
        assert pair.distance_mm == pytest.approx(full.distance_mm, abs=1e-12)
        found.append(pair.distance_mm)
    # the rim of radius 2.5 at 4.5 mm below the centre of a radius-4 ball
    assert found[0] == pytest.approx(math.hypot(2.5, 4.5) - 4.0, abs=1e-9)
    assert found[2] == pytest.approx(1.0, abs=1e-9)
