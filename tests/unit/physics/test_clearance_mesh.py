"""Kernel-free parts of clearance: broadphase, winding-number containment, validation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cadml.errors import ValidationError
from cadml.geometry.distance import as_rigid_transform, rigid_inverse
from cadml.geometry.mesh import Mesh, mesh_from_triangulation
from cadml.physics.clearance import ClearancePart, clearance, pairs_within, point_inside_mesh


def box_mesh(size: float, deflection: float = 0.01) -> Mesh:
    """A closed, outward-oriented cube mesh of edge ``size`` centred at the origin."""
    corners = np.array(list(itertools.product([-0.5, 0.5], repeat=3))) * size
    faces = []
    for axis in range(3):
        for sign in (0, 1):
            quad = [i for i in range(8) if (i >> (2 - axis)) & 1 == sign]
            a, b, c, d = quad[0], quad[1], quad[3], quad[2]
            centre = corners[quad].mean(axis=0)
            tri = [a, b, c]
            normal = np.cross(corners[b] - corners[a], corners[c] - corners[a])
            if np.dot(normal, centre) < 0:
                faces += [[a, c, b], [a, d, c]]
            else:
                faces += [tri, [a, c, d]]
    return mesh_from_triangulation(corners, faces, deflection, 0.1)


def translation(x: float, y: float = 0.0, z: float = 0.0) -> np.ndarray:
    t = np.eye(4)
    t[:3, 3] = [x, y, z]
    return t


def brute_force_pairs(bounds: np.ndarray, margins: np.ndarray) -> list[tuple[int, int]]:
    found = []
    for i, j in itertools.combinations(range(len(bounds)), 2):
        gap = np.maximum(bounds[i, 0] - bounds[j, 1], bounds[j, 0] - bounds[i, 1])
        if np.all(gap <= margins[i] + margins[j]):
            found.append((i, j))
    return found


@pytest.mark.parametrize("seed", range(5))
def test_sweep_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    lower = rng.uniform(0, 100, (60, 3))
    upper = lower + rng.uniform(0.5, 15, (60, 3))
    bounds = np.stack([lower, upper], axis=1)
    margins = rng.uniform(0, 3, 60)
    expected = brute_force_pairs(bounds, margins)
    assert pairs_within(bounds, margins) == expected
    assert len(expected) > 10  # the scene is not trivially sparse


def test_sweep_handles_equal_starts() -> None:
    bounds = np.array([[[0, 0, 0], [1, 1, 1]]] * 3, dtype=float)
    assert pairs_within(bounds) == [(0, 1), (0, 2), (1, 2)]


def test_winding_number_classifies_points_of_a_cube() -> None:
    cube = box_mesh(2.0)
    assert point_inside_mesh([0.0, 0.0, 0.0], cube)
    assert point_inside_mesh([0.99, -0.99, 0.5], cube)
    # aligned with an edge and a vertex of the cube, outside
    assert not point_inside_mesh([3.0, 1.0, 1.0], cube)
    assert not point_inside_mesh([1.01, 0.0, 0.0], cube)


def test_mesh_only_boxes_gap_and_containment() -> None:
    parts = [
        ClearancePart("big", box_mesh(10.0), np.eye(4)),
        ClearancePart("near", box_mesh(10.0), translation(12.5)),
        ClearancePart("inner", box_mesh(2.0), translation(1.0, 1.0, 1.0)),
    ]
    report = clearance(parts, [("big", "near"), ("big", "inner"), ("inner", "big")])
    gap, inner, reverse = report.pairs
    assert gap.method == "mesh" and gap.status == "clear"
    assert gap.distance_mm == pytest.approx(2.5, abs=1e-12)
    assert gap.point_a_mm[0] == pytest.approx(5.0) and gap.point_b_mm[0] == pytest.approx(7.5)
    for pair in (inner, reverse):
        assert pair.inside and pair.status == "interfering" and pair.distance_mm == 0.0
        assert pair.mesh_distance_mm == pytest.approx(3.0)
    assert report.exact_pairs == 0
    assert report.notes == ()  # mesh answers far above the exact band need no B-rep


def test_mesh_only_touching_meshes_are_reported_interfering_and_noted() -> None:
    parts = [
        ClearancePart("a", box_mesh(10.0), np.eye(4)),
        ClearancePart("b", box_mesh(10.0), translation(10.0)),
    ]
    report = clearance(parts, [("a", "b")])
    assert report.pairs[0].status == "interfering" and report.pairs[0].method == "mesh"
    assert report.notes and "meshes only" in report.notes[0]


def test_threshold_filters_mesh_only_scene() -> None:
    parts = [ClearancePart(f"p{k}", box_mesh(10.0), translation(12.0 * k)) for k in range(4)]
    parts.append(ClearancePart("far", box_mesh(10.0), translation(0.0, 500.0)))
    report = clearance(parts, threshold_mm=2.5)
    assert [(p.id_a, p.id_b) for p in report.pairs] == [("p0", "p1"), ("p1", "p2"), ("p2", "p3")]
    assert all(p.distance_mm == pytest.approx(2.0) for p in report.pairs)
    assert report.candidate_pairs == 3  # the broadphase dropped every other pair


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"pairs": [("a", "zz")]}, "unknown part id"),
        ({"pairs": [("a", "a")]}, "itself"),
        ({"threshold_mm": -1.0}, "finite value"),
        ({"touching_tolerance_mm": float("nan")}, "finite value"),
    ],
)
def test_invalid_requests_raise(kwargs: dict[str, object], reason: str) -> None:
    parts = [
        ClearancePart("a", box_mesh(1.0), np.eye(4)),
        ClearancePart("b", box_mesh(1.0), translation(3.0)),
    ]
    with pytest.raises(ValidationError, match=reason) as caught:
        clearance(parts, **kwargs)  # type: ignore[arg-type]
    assert caught.value.code == "VALIDATION_INVALID_VALUE"


def test_duplicate_ids_and_scaled_transforms_are_rejected() -> None:
    cube = box_mesh(1.0)
    with pytest.raises(ValidationError, match="twice"):
        clearance([ClearancePart("a", cube, np.eye(4)), ClearancePart("a", cube, np.eye(4))])
    scaled = np.diag([2.0, 1.0, 1.0, 1.0])
    with pytest.raises(ValidationError, match="proper rotation"):
        clearance([ClearancePart("a", cube, np.eye(4)), ClearancePart("b", cube, scaled)])
    mirrored = np.diag([-1.0, 1.0, 1.0, 1.0])
    with pytest.raises(ValidationError, match="proper rotation"):
        as_rigid_transform(mirrored)


def test_rigid_inverse_round_trips() -> None:
    angle = 0.3
    t = np.eye(4)
    t[:2, :2] = [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    t[:3, 3] = [1.0, -2.0, 3.0]
    assert np.allclose(rigid_inverse(t) @ t, np.eye(4), atol=1e-15)


def test_six_decimal_rotations_are_snapped_to_a_rotation() -> None:
    angle = 0.7
    t = np.eye(4)
    t[:2, :2] = np.round([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], 6)
    snapped = as_rigid_transform(t)
    rotation = snapped[:3, :3]
    assert np.abs(rotation.T @ rotation - np.eye(3)).max() < 1e-15
    assert np.abs(snapped - t).max() < 1e-6
    exact = np.eye(4)
    exact[:3, 3] = [1.0, 2.0, 3.0]
    assert np.array_equal(as_rigid_transform(exact), exact)
