"""Wall thickness measured on the real geometry: rays inward and inscribed spheres.

**Ray thickness** (the minimum-wall measure). From every sample point ``p`` (exact
surface point, exact outward normal ``n``; see :mod:`cadml.geometry.dfm.model`) a ray
goes along ``-n`` and the nearest hit on the part's mesh gives the local wall
``t(p)``. A mesh triangle of a curved face lies up to the deflection ``δ`` inside the
true surface, so a ray may first touch its *own* face's chords within ``3δ``; such hits
are skipped (walls thinner than ``3δ`` are not measured; by default ``δ`` is 1/1000 of
the part's size, 0.01–0.5 mm). Then the hit is made exact: a hit on a plane is exact
already; a hit on a cylinder or a sphere is recomputed in closed form on the exact
surface; a hit on any other surface (cone, torus, B-spline) is refined with
``IntCurvesFace_Intersector`` on the exact B-rep face for the thinnest readings (in
order, until no unrefined reading can be thinner than the thinnest refined one; at
most 1,024 rays, beyond which readings keep the mesh's error of about ``δ``). What
remains approximate is *where* the samples are: the minimum is taken over the samples,
which lie about one sample spacing apart.

**Thickest section** (the uniform-wall measure): the largest sphere inside the part
whose centre lies at the middle of a wall ray (see :func:`thickest_section`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cadml.geometry.dfm.model import PartModel

__all__ = [
    "OPPOSING_DEG",
    "Thickness",
    "closest_points_on_triangles",
    "measure_thickness",
    "thickest_section",
]

OPPOSING_DEG = 30.0
"""Largest angle between a sample's normal and the reversed normal of what its ray hit."""

_SELF_HIT_DEFLECTIONS = 3.0
_BALL_REFINE = 1024
_BALL_BATCH = 64
_BALL_RTOL = 0.01
_EXACT_REFINE = 1024
_EXACT_BATCH = 64


@dataclass(frozen=True, eq=False)
class Thickness:
    """Ray thickness at every sample.

    Args:
        wall_mm: ``(S,)`` local wall thickness in mm (``inf`` where the ray left the
            part, which happens only on open shells).
        hit_face: ``(S,)`` face id the ray hit (``-1`` if none).
        opposing: ``(S,)`` whether the surface hit faces the sample (normals within
            ``OPPOSING_DEG`` of anti-parallel). Only opposing readings are walls: a ray
            leaving through a face that meets the sample's face at an acute edge (a knife
            edge, a drafted block's bottom edge) measures the distance to that edge.
    """

    wall_mm: npt.NDArray[np.float64]
    hit_face: npt.NDArray[np.int64]
    opposing: npt.NDArray[np.bool_]


def measure_thickness(model: PartModel) -> Thickness:
    """Ray thickness at every sample of ``model`` (see the module docstring)."""
    eps = 1e-7 * max(model.scale_mm, 1.0)
    origins = model.points
    directions = -model.normals
    t, tri = model.ray_tree.cast(origins, directions, eps)
    hit_face = np.where(tri >= 0, model.ray_face[np.maximum(tri, 0)], -1)
    hit_tri = tri.copy()
    self_limit = _SELF_HIT_DEFLECTIONS * model.deflection_mm
    again = (hit_face == model.sample_face) & (t < self_limit)
    if again.any():
        t2, tri2 = model.ray_tree.cast(origins[again], directions[again], self_limit)
        t[again] = t2
        hit_face[again] = np.where(tri2 >= 0, model.ray_face[np.maximum(tri2, 0)], -1)
        hit_tri[again] = tri2
    _refine_on_exact_faces(model, t, hit_face)
    corners = model.ray_triangles[np.maximum(hit_tri, 0)]
    hit_normal = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    hit_normal /= np.maximum(np.linalg.norm(hit_normal, axis=1), 1e-300)[:, None]
    cosine = (hit_normal * model.normals).sum(axis=1)
    opposing = (hit_tri >= 0) & (cosine <= -math.cos(math.radians(OPPOSING_DEG)))
    return Thickness(t, hit_face.astype(np.int64), opposing)


def _refine_on_exact_faces(
    model: PartModel, t: npt.NDArray[np.float64], hit_face: npt.NDArray[np.int64]
) -> None:
    window = 2.0 * model.deflection_mm + 1e-6
    hit = np.isfinite(t) & (hit_face >= 0)
    kinds = np.array([info.kind for info in model.info] + ["none"])
    kind_of_hit = kinds[np.where(hit, hit_face, -1)]
    for fid in np.unique(hit_face[hit & (kind_of_hit == "cylinder")]).tolist():
        rows = np.nonzero(hit & (hit_face == fid))[0]
        _refine_on_quadric(model, fid, rows, t, window, along_axis=True)
    for fid in np.unique(hit_face[hit & (kind_of_hit == "sphere")]).tolist():
        rows = np.nonzero(hit & (hit_face == fid))[0]
        _refine_on_quadric(model, fid, rows, t, window, along_axis=False)
    others = np.nonzero(hit & (kind_of_hit == "other"))[0]
    if others.size == 0:
        return
    # The exact intersector costs ~0.3 ms a ray: refine the thinnest readings, in order,
    # until no unrefined reading (off by at most the window) can be thinner.
    others = others[np.lexsort((others, t[others]))][:_EXACT_REFINE]
    best = np.inf
    for start in range(0, others.size, _EXACT_BATCH):
        batch = others[start : start + _EXACT_BATCH]
        if float(t[batch[0]]) - window > best:
            break
        _refine_with_intersector(model, batch, t, hit_face, window)
        best = min(best, float(t[batch].min()))


def _refine_on_quadric(
    model: PartModel,
    fid: int,
    rows: npt.NDArray[np.int64],
    t: npt.NDArray[np.float64],
    window: float,
    *,
    along_axis: bool,
) -> None:
    """Closed-form ray intersection with the exact cylinder (or sphere) of face ``fid``."""
    info = model.info[fid]
    assert info.axis_point is not None and info.radius_mm
    o = model.points[rows] - np.array(info.axis_point)
    d = -model.normals[rows]
    if along_axis:
        assert info.axis_dir is not None
        a = np.array(info.axis_dir)
        o_perp = o - (o @ a)[:, None] * a
        d_perp = d - (d @ a)[:, None] * a
    else:
        o_perp, d_perp = o, d
    qa = (d_perp * d_perp).sum(axis=1)
    qb = 2.0 * (o_perp * d_perp).sum(axis=1)
    qc = (o_perp * o_perp).sum(axis=1) - info.radius_mm**2
    disc = qb * qb - 4.0 * qa * qc
    ok = (qa > 1e-12) & (disc >= 0.0)
    root = np.sqrt(np.where(ok, disc, 0.0))
    safe_a = np.where(ok, qa, 1.0)
    roots = np.stack([(-qb - root) / (2.0 * safe_a), (-qb + root) / (2.0 * safe_a)], axis=1)
    near = np.abs(roots - t[rows][:, None])
    pick = np.argmin(near, axis=1)
    chosen = roots[np.arange(rows.size), pick]
    accept = ok & (near[np.arange(rows.size), pick] <= window)
    t[rows[accept]] = chosen[accept]


def _refine_with_intersector(
    model: PartModel,
    rows: npt.NDArray[np.int64],
    t: npt.NDArray[np.float64],
    hit_face: npt.NDArray[np.int64],
    window: float,
) -> None:
    from OCP.gp import gp_Dir, gp_Lin, gp_Pnt
    from OCP.IntCurvesFace import IntCurvesFace_Intersector

    intersectors: dict[int, IntCurvesFace_Intersector] = {}
    for s in rows.tolist():
        fid = int(hit_face[s])
        if fid not in intersectors:
            intersectors[fid] = IntCurvesFace_Intersector(model.faces[fid], 1e-7)
        inter = intersectors[fid]
        p = model.points[s]
        n = model.normals[s]
        line = gp_Lin(gp_Pnt(*map(float, p)), gp_Dir(*map(float, -n)))
        inter.Perform(line, float(t[s] - window), float(t[s] + window))
        if not inter.IsDone() or inter.NbPnt() == 0:
            continue
        candidates = [inter.WParameter(i) for i in range(1, inter.NbPnt() + 1)]
        t[s] = min(candidates, key=lambda w: (abs(w - t[s]), w))


def thickest_section(model: PartModel, wall: Thickness) -> tuple[float, int]:
    """Diameter of the thickest section, and the sample whose wall ray crosses it.

    The centre of each wall ray (``p - t(p)/2 · n``) is a candidate centre of an
    inscribed sphere; its radius is the centre's distance to the surface. The distance
    to the nearest *sample* (a k-d tree query, capped by ``t(p)/2``) bounds it from
    above; the best ``_BALL_REFINE`` (1,024) candidates by that bound get the exact distance
    to the mesh (within the deflection of the B-rep), 64 at a time, until no remaining
    bound beats the best distance by more than 1 % plus twice the deflection. The
    result is the largest such sphere: exact for plates, tubes, blocks and spheres; an
    underestimate by up to a sample spacing where the centre of the thickest section
    lies off every wall ray (a boss between samples, the centre of a T-junction).

    Args:
        model: the sampled part.
        wall: its ray thickness.

    Returns:
        ``(diameter_mm, sample_index)``; ``(0.0, -1)`` if no sample has a finite wall.
    """
    from scipy.spatial import cKDTree

    finite = np.nonzero(np.isfinite(wall.wall_mm))[0]
    if finite.size == 0:
        return 0.0, -1
    half = 0.5 * wall.wall_mm[finite]
    centres = model.points[finite] - half[:, None] * model.normals[finite]
    nearest, _ = cKDTree(model.points).query(centres)
    bound = np.minimum(nearest, half)
    ranked = np.lexsort((finite, -bound))[:_BALL_REFINE]
    slack = 2.0 * model.deflection_mm
    best_r, best_k = -1.0, int(ranked[0])
    for start in range(0, ranked.size, _BALL_BATCH):
        batch = ranked[start : start + _BALL_BATCH]
        if bound[batch[0]] <= best_r * (1.0 + _BALL_RTOL) + slack:
            break  # no remaining candidate can beat the best by more than the tolerance
        exact = _distances_to_mesh(model, centres[batch], bound[batch])
        top = int(np.argmax(exact))  # first maximum: ties go to the better-ranked one
        if exact[top] > best_r:
            best_r, best_k = float(exact[top]), int(batch[top])
    return 2.0 * max(best_r, 0.0), int(finite[best_k])


def _distances_to_mesh(
    model: PartModel, centres: npt.NDArray[np.float64], bounds: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Distance from each centre to the nearest mesh triangle (at most its bound)."""
    tris = model.triangles
    lo = tris.min(axis=1)
    hi = tris.max(axis=1)
    out = bounds.astype(np.float64).copy()
    step = max(1, 2_000_000 // (3 * tris.shape[0]))
    for start in range(0, centres.shape[0], step):
        c = centres[start : start + step]
        b = bounds[start : start + step]
        gap = np.maximum(np.maximum(lo[None] - c[:, None], c[:, None] - hi[None]), 0.0)
        cand, tri = np.nonzero((gap * gap).sum(axis=2) <= (b * b * (1.0 + 1e-9))[:, None])
        if cand.size == 0:
            continue
        q = closest_points_on_triangles(tris[tri], c[cand])
        dist = np.sqrt(((q - c[cand]) ** 2).sum(axis=1))
        best = out[start : start + step]
        np.minimum.at(best, cand, dist)
    return out


def closest_points_on_triangles(
    triangles: npt.NDArray[np.float64], points: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The point of each triangle nearest to its paired point (Ericson's regions).

    Args:
        triangles: ``(N, 3, 3)`` corners.
        points: ``(N, 3)`` query points, one per triangle.

    Returns:
        ``(N, 3)`` closest points.

    Examples:
        >>> tri = np.array([[[0.0, 0, 0], [2, 0, 0], [0, 2, 0]]])
        >>> closest_points_on_triangles(tri, np.array([[0.5, 0.5, 3.0]])).tolist()
        [[0.5, 0.5, 0.0]]
        >>> closest_points_on_triangles(tri, np.array([[3.0, -1.0, 0.0]])).tolist()
        [[2.0, 0.0, 0.0]]
    """
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    ab, ac, ap = b - a, c - a, points - a
    d1 = (ab * ap).sum(axis=1)
    d2 = (ac * ap).sum(axis=1)
    bp = points - b
    d3 = (ab * bp).sum(axis=1)
    d4 = (ac * bp).sum(axis=1)
    cp = points - c
    d5 = (ab * cp).sum(axis=1)
    d6 = (ac * cp).sum(axis=1)
    va = d3 * d6 - d5 * d4
    vb = d5 * d2 - d1 * d6
    vc = d1 * d4 - d3 * d2
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = va + vb + vc
        v_in = vb / denom
        w_in = vc / denom
        v_ab = d1 / (d1 - d3)
        w_ac = d2 / (d2 - d6)
        w_bc = (d4 - d3) / ((d4 - d3) + (d5 - d6))
    # Face interior by default; then edges and vertices, later regions overriding.
    out = a + v_in[:, None] * ab + w_in[:, None] * ac
    region_bc = (va <= 0) & (d4 - d3 >= 0) & (d5 - d6 >= 0)
    out[region_bc] = (b + w_bc[:, None] * (c - b))[region_bc]
    region_ac = (vb <= 0) & (d2 >= 0) & (d6 <= 0)
    out[region_ac] = (a + w_ac[:, None] * ac)[region_ac]
    region_ab = (vc <= 0) & (d1 >= 0) & (d3 <= 0)
    out[region_ab] = (a + v_ab[:, None] * ab)[region_ab]
    region_c = (d6 >= 0) & (d5 <= d6)
    out[region_c] = c[region_c]
    region_b = (d3 >= 0) & (d4 <= d3)
    out[region_b] = b[region_b]
    region_a = (d1 <= 0) & (d2 <= 0)
    out[region_a] = a[region_a]
    bad = ~np.isfinite(out).all(axis=1)  # degenerate triangles: nearest corner
    if bad.any():
        corners = triangles[bad]
        dist = ((corners - points[bad][:, None, :]) ** 2).sum(axis=2)
        out[bad] = corners[np.arange(corners.shape[0]), np.argmin(dist, axis=1)]
    return out
