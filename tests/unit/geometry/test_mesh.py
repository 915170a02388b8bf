"""Tessellation: watertight, outward, within the deflection, independent of caches."""

from __future__ import annotations

import math
from typing import Any

import build123d as bd
import numpy as np
import pytest
import trimesh
from OCP.BRepMesh import BRepMesh_IncrementalMesh

from cadml.errors import GeometryError
from cadml.geometry.generators.prism_with_hole import build
from cadml.geometry.mesh import Mesh, mesh_from_triangulation, tessellate
from cadml.tolerances import MESH_LINEAR_DEFLECTION_MM

VALUES = {"length": 100.0, "width": 50.0, "height": 30.0, "hole_diameter": 10.0}
DELTA = MESH_LINEAR_DEFLECTION_MM


def as_trimesh(mesh: Mesh) -> trimesh.Trimesh:
    return trimesh.Trimesh(mesh.vertices, mesh.triangles, process=False)


@pytest.fixture(scope="module")
def mesh() -> Mesh:
    return tessellate(build(VALUES))


def test_arrays(mesh: Mesh) -> None:
    assert mesh.vertices.dtype == np.float64 and mesh.vertices.shape[1] == 3
    assert mesh.triangles.dtype == np.int64 and mesh.triangles.shape[1] == 3
    assert mesh.triangles.min() == 0 and mesh.triangles.max() == mesh.vertex_count - 1
    assert not mesh.vertices.flags.writeable
    assert (mesh.linear_deflection_mm, mesh.angular_deflection_rad) == (DELTA, 0.1)
    # Sorted unique vertices: the arrays are canonical.
    assert np.unique(mesh.vertices, axis=0).shape == mesh.vertices.shape
    keys = [tuple(v) for v in mesh.vertices]
    assert keys == sorted(keys)


def test_watertight_and_outward(mesh: Mesh) -> None:
    tm = as_trimesh(mesh)
    assert tm.is_watertight
    assert tm.is_winding_consistent
    # A positive signed volume means the triangles face outwards.
    assert tm.volume > 0
    # Genus one (one through hole): V - E + F = 0.
    assert tm.euler_number == 0


def test_volume_within_the_deflection_bound(mesh: Mesh, prism_volume: Any) -> None:
    exact = prism_volume(*VALUES.values())
    # Only the hole wall is curved; its chords lie inside the circle by at most DELTA,
    # so the mesh can gain at most perimeter x DELTA x height.
    bound = math.pi * VALUES["hole_diameter"] * DELTA * VALUES["height"]
    mesh_volume = as_trimesh(mesh).volume
    assert exact <= mesh_volume <= exact + bound


def test_hole_vertices_lie_on_the_circle_and_chords_respect_the_deflection(mesh: Mesh) -> None:
    centre = np.array([50.0, 25.0])
    radius = 5.0
    bottom = mesh.vertices[np.isclose(mesh.vertices[:, 2], 0.0)]
    r = np.linalg.norm(bottom[:, :2] - centre, axis=1)
    on_hole = bottom[np.abs(r - radius) < 1e-6]
    assert len(on_hole) >= 16
    np.testing.assert_allclose(np.linalg.norm(on_hole[:, :2] - centre, axis=1), radius, atol=1e-9)
    angles = np.sort(np.arctan2(on_hole[:, 1] - centre[1], on_hole[:, 0] - centre[0]))
    gaps = np.diff(np.concatenate([angles, angles[:1] + 2 * math.pi]))
    sagitta = radius * (1.0 - np.cos(gaps.max() / 2.0))
    assert sagitta <= DELTA + 1e-12


def test_stale_coarse_triangulation_is_replaced() -> None:
    shape = build(VALUES)
    BRepMesh_IncrementalMesh(shape, 2.0, False, 1.0, False)
    coarse_first = tessellate(shape)
    fresh = tessellate(build(VALUES))
    assert coarse_first.triangle_count == fresh.triangle_count
    np.testing.assert_array_equal(coarse_first.vertices, fresh.vertices)
    # And a finer request after a coarse one really is finer.
    coarse = tessellate(shape, 1.0, 0.5)
    assert coarse.triangle_count < fresh.triangle_count


def test_face_locations_are_applied() -> None:
    part = bd.Part(build(VALUES)).moved(bd.Location((10.0, -20.0, 5.0), (0.0, 0.0, 90.0)))
    assert not part.wrapped.Location().IsIdentity()
    moved = tessellate(part.wrapped)
    tm = as_trimesh(moved)
    # Rotated 90° about Z, then translated: x in [-50+10, 10], y in [-20, 100-20].
    np.testing.assert_allclose(tm.bounds, [[-40.0, -20.0, 5.0], [10.0, 80.0, 35.0]], atol=1e-9)
    assert tm.is_watertight and tm.volume > 0


def test_sphere_poles_give_a_watertight_mesh() -> None:
    # Sphere tessellations hold zero-area triangles at the poles (PITFALLS).
    sphere = bd.Sphere(10.0).wrapped
    tm = as_trimesh(tessellate(sphere, 0.05, 0.3))
    assert tm.is_watertight and tm.is_winding_consistent
    assert tm.volume == pytest.approx(4.0 / 3.0 * math.pi * 1000.0, rel=0.01)
    assert tm.volume < 4.0 / 3.0 * math.pi * 1000.0


def test_merge_and_drop_degenerate_triangles() -> None:
    vertices = [
        [0, 0, 0],
        [1, 0, 0],
        [0, 1, 0],
        [1.0000000000001, 0, 0],  # coincident with vertex 1 after rounding
        [0, 0, 0],  # coincident with vertex 0
        [2, 0, 0],
    ]
    triangles = [[0, 1, 2], [4, 3, 2], [0, 3, 1], [0, 1, 5]]
    mesh = mesh_from_triangulation(vertices, triangles, 0.01, 0.1)
    assert mesh.vertex_count == 3  # [2, 0, 0] is only used by a dropped triangle
    # Duplicate triangles survive (they are not degenerate); collapsed ones do not.
    assert mesh.triangle_count == 2
    assert (mesh.triangles == mesh.triangles[0]).all()


def test_negative_zero_merges_with_zero() -> None:
    mesh = mesh_from_triangulation(
        [[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [-0.0, 0, 0]], [[0, 1, 2], [3, 1, 2]], 0.01, 0.1
    )
    assert mesh.vertex_count == 3


def test_bad_deflection() -> None:
    with pytest.raises(GeometryError) as info:
        tessellate(build(VALUES), -1.0)
    assert info.value.code == "FC_MESH_FAILED"


def test_every_triangle_knows_its_brep_face(reference_canonical: Any) -> None:
    from OCP.BRepGProp import BRepGProp
    from OCP.collections import IndexedMap_TopoDS_Shape_TopTools_ShapeMapHasher as IndexedMap
    from OCP.GProp import GProp_GProps
    from OCP.TopAbs import TopAbs_FACE
    from OCP.TopExp import TopExp

    from cadml.geometry.generators import get_family

    shape = get_family("prism_with_hole").build(reference_canonical["params"])
    mesh = tessellate(shape)
    assert mesh.face_ids is not None and mesh.face_ids.shape == (mesh.triangle_count,)
    faces = IndexedMap()
    TopExp.MapShapes_s(shape, TopAbs_FACE, faces)
    assert set(mesh.face_ids.tolist()) == set(range(faces.Extent()))
    corners = mesh.vertices[mesh.triangles]
    areas = 0.5 * np.linalg.norm(
        np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1
    )
    for index in range(faces.Extent()):
        props = GProp_GProps()
        BRepGProp.SurfaceProperties_s(faces.FindKey(index + 1), props)
        # Planar faces mesh exactly; the hole's wall within the chordal error.
        assert areas[mesh.face_ids == index].sum() == pytest.approx(props.Mass(), rel=1e-3)
