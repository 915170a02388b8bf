"""A pose-invariant geometric feature vector of a closed triangle mesh, for the part MLP.

Every feature is unchanged by a rigid motion of the part, so a classifier trained on them
needs no pose augmentation. Extents and aligned areas are measured in the solid's canonical
frame (:mod:`.frame`: principal axes of inertia, ties of symmetric parts broken by their
faces), so they depend neither on the pose nor on where the tessellation put vertices. Most
are also scale-free ratios; the size enters through three logarithms. The mesh may be a
tessellated B-rep or an uploaded STL: nothing needs the B-rep, so uploads and generated
designs are described the same way.

=====  ===================  ==========================================================
index  name                 meaning
=====  ===================  ==========================================================
0      log_volume           ``log10`` of the volume in mm³
1      log_area             ``log10`` of the surface area in mm²
2      log_length           ``log10`` of the largest extent along the principal axes, mm
3      compactness          ``36 π V² / A³`` (1 for a sphere)
4      inertia_ratio_1      smallest principal moment / largest
5      inertia_ratio_2      middle principal moment / largest
6      extent_ratio_2       middle extent / largest (principal axes)
7      extent_ratio_3       smallest extent / largest
8      box_fill             volume / volume of the principal box
9      solidity             volume / volume of the convex hull
10     hull_area_ratio      area of the convex hull / area
11     log_components       ``log(1 + connected solids)``
12     log_handles          ``log(1 + through-holes)``, from the Euler characteristic
13-15  aligned_area_k       share of the area whose normal is within 5° of principal axis k
16-23  d2_k                 D2 shape distribution (Osada et al. 2002): share of random
                            surface point pairs whose distance, over the largest, falls
                            in bin ``k`` of 8
=====  ===================  ==========================================================

Examples:
    >>> import numpy as np
    >>> v = np.array([[x, y, z] for x in (0, 40) for y in (0, 20) for z in (0, 10)], float)
    >>> t = [[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
    ...      [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]]
    >>> f = part_features(v, t, np.random.default_rng(0))
    >>> f.shape, round(float(f[0]), 4), round(float(f[8]), 6), round(float(f[9]), 6)
    ((24,), 3.9031, 1.0, 1.0)
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import ConvexHull

from cadml.ml.parts.frame import mesh_frame
from cadml.ml.parts.pointcloud import sample_surface
from cadml.physics.polyhedral import mesh_integrals

__all__ = ["FEATURE_NAMES", "part_features"]

FEATURE_NAMES: tuple[str, ...] = (
    "log_volume",
    "log_area",
    "log_length",
    "compactness",
    "inertia_ratio_1",
    "inertia_ratio_2",
    "extent_ratio_2",
    "extent_ratio_3",
    "box_fill",
    "solidity",
    "hull_area_ratio",
    "log_components",
    "log_handles",
    "aligned_area_1",
    "aligned_area_2",
    "aligned_area_3",
    *(f"d2_{k}" for k in range(8)),
)
"""Names of the entries of :func:`part_features`, in order."""

_ALIGNED_COS = math.cos(math.radians(5.0))
_D2_PAIRS = 2048


def _components_and_handles(vertex_count: int, triangles: npt.NDArray[np.int64]) -> tuple[int, int]:
    edges = np.sort(triangles[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    unique_edges = np.unique(edges, axis=0)
    used = np.unique(triangles)
    graph = coo_matrix(
        (np.ones(len(unique_edges)), (unique_edges[:, 0], unique_edges[:, 1])),
        shape=(vertex_count, vertex_count),
    )
    labels = connected_components(graph, directed=False)[1]
    components = int(np.unique(labels[used]).size)
    euler = int(used.size) - len(unique_edges) + len(triangles)
    return components, max(0, (2 * components - euler) // 2)


def part_features(
    vertices: npt.ArrayLike, triangles: npt.ArrayLike, rng: np.random.Generator
) -> npt.NDArray[np.float32]:
    """The feature vector of a closed, outward-oriented triangle mesh (mm).

    Args:
        vertices: ``(N, 3)`` coordinates in mm.
        triangles: ``(M, 3)`` vertex indices (shared vertices merged, so that the
            Euler characteristic counts holes).
        rng: random generator of the D2 distribution's point pairs.

    Returns:
        ``(24,)`` float32 features, named by :data:`FEATURE_NAMES`.

    Raises:
        ValueError: for a mesh without volume.
    """
    points = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(triangles, dtype=np.int64)
    volume, area, _, inertia = mesh_integrals(points, faces)
    if not volume > 0.0:
        raise ValueError("the mesh encloses no volume (open or inverted)")
    moments = np.sort(np.linalg.eigvalsh(inertia))
    _, axes = mesh_frame(points, faces)
    turned = points @ axes.T
    extents = np.sort(turned.max(axis=0) - turned.min(axis=0))[::-1]
    hull = ConvexHull(points)
    components, handles = _components_and_handles(len(points), faces)
    corners = points[faces]
    cross = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    doubled = np.linalg.norm(cross, axis=1)
    normals = cross / np.where(doubled > 0, doubled, 1.0)[:, None]
    aligned = [
        float(doubled[np.abs(normals @ axis) >= _ALIGNED_COS].sum() / doubled.sum())
        for axis in axes
    ]
    cloud = sample_surface(points, faces, 2 * _D2_PAIRS, rng)
    distances = np.linalg.norm(cloud[:_D2_PAIRS] - cloud[_D2_PAIRS:], axis=1)
    d2 = np.histogram(distances / max(float(distances.max()), 1e-12), bins=8, range=(0, 1))[0]
    values = [
        math.log10(volume),
        math.log10(area),
        math.log10(float(extents[0])),
        36.0 * math.pi * volume**2 / area**3,
        float(moments[0] / moments[2]),
        float(moments[1] / moments[2]),
        float(extents[1] / extents[0]),
        float(extents[2] / extents[0]),
        volume / float(np.prod(extents)),
        volume / float(hull.volume),
        float(hull.area) / area,
        math.log1p(components),
        math.log1p(handles),
        *aligned,
        *(d2 / _D2_PAIRS).tolist(),
    ]
    return np.asarray(values, dtype=np.float32)
