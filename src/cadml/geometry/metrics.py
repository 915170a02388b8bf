"""Exact B-rep measurements of a part, plus the size of its mesh.

Volume, area, centre of mass and bounding box come from the exact B-rep, not from
the mesh. Volume and centre of mass are summed over the solids one by one, since
OCCT's volume of a compound has undercounted nested assemblies. The bounding box is
OCCT's optimal box without shape tolerances: the tight box of the geometry, not the
enlarged one ``BRepBndLib.Add`` returns.

Values are rounded to :data:`cadml.tolerances.METRIC_DECIMALS` decimals (the mass to
that many decimals of a gram) so that metrics compare stably as JSON.
"""

from __future__ import annotations

from typing import Any

from cadml.geometry.mesh import Mesh
from cadml.tolerances import METRIC_DECIMALS
from cadml.units import mass_kg

__all__ = ["compute_metrics", "solids_of", "topology_counts"]


def _round(value: float, decimals: int = METRIC_DECIMALS) -> float:
    # + 0.0 so that a rounded -0.0 reads 0.0 in JSON.
    return round(float(value), decimals) + 0.0


def solids_of(shape: Any) -> list[Any]:
    """The solids of ``shape``, in exploration order.

    Args:
        shape: an OCP ``TopoDS_Shape``.

    Returns:
        ``TopoDS_Solid`` objects.
    """
    from OCP.TopAbs import TopAbs_SOLID
    from OCP.TopExp import TopExp_Explorer
    from OCP.TopoDS import TopoDS

    solids = []
    explorer = TopExp_Explorer(shape, TopAbs_SOLID)
    while explorer.More():
        solids.append(TopoDS.Solid(explorer.Current()))
        explorer.Next()
    return solids


def topology_counts(shape: Any) -> dict[str, int]:
    """Numbers of distinct solids, faces, edges and vertices of ``shape``.

    Args:
        shape: an OCP ``TopoDS_Shape``.

    Returns:
        ``{"solids", "faces", "edges", "vertices"}`` counts; a sub-shape shared by two
        parents counts once.
    """
    from OCP.collections import IndexedMap_TopoDS_Shape_TopTools_ShapeMapHasher as ShapeMap
    from OCP.TopAbs import TopAbs_EDGE, TopAbs_FACE, TopAbs_SOLID, TopAbs_VERTEX
    from OCP.TopExp import TopExp

    counts = {}
    for key, kind in (
        ("solids", TopAbs_SOLID),
        ("faces", TopAbs_FACE),
        ("edges", TopAbs_EDGE),
        ("vertices", TopAbs_VERTEX),
    ):
        found = ShapeMap()
        TopExp.MapShapes_s(shape, kind, found)
        counts[key] = found.Extent()
    return counts


def _tight_bbox(shape: Any) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    from OCP.Bnd import Bnd_Box
    from OCP.BRepBndLib import BRepBndLib

    box = Bnd_Box()
    # useTriangulation=False, useShapeTolerance=False: exact geometry, no enlargement.
    BRepBndLib.AddOptimal_s(shape, box, False, False)
    # Bnd_Box.Get() cannot be called through OCP 8; the corners can.
    return box.CornerMin().Coord(), box.CornerMax().Coord()


def compute_metrics(shape: Any, mesh: Mesh, density_kg_m3: float) -> dict[str, Any]:
    """Measure a part.

    Args:
        shape: an OCP ``TopoDS_Shape`` in mm.
        mesh: its tessellation (for the triangle and vertex counts).
        density_kg_m3: the material's density in kg/m³.

    Returns:
        A JSON-ready dict: ``solids``, ``faces``, ``edges``, ``vertices`` (topology
        counts), ``volume_mm3``, ``area_mm2``, ``bbox`` (``min``, ``max``, ``size`` in
        mm), ``center_of_mass_mm``, ``triangle_count``, ``vertex_count`` (mesh),
        ``density_kg_m3`` and ``mass_kg``.
    """
    from OCP.BRepGProp import BRepGProp
    from OCP.GProp import GProp_GProps

    volume = 0.0
    moment = [0.0, 0.0, 0.0]
    for solid in solids_of(shape):
        props = GProp_GProps()
        BRepGProp.VolumeProperties_s(solid, props)
        solid_volume = props.Mass()
        centre = props.CentreOfMass().Coord()
        volume += solid_volume
        moment = [m + solid_volume * c for m, c in zip(moment, centre, strict=True)]
    centre_of_mass = [m / volume for m in moment] if volume > 0 else [0.0, 0.0, 0.0]

    surface = GProp_GProps()
    BRepGProp.SurfaceProperties_s(shape, surface)

    low, high = _tight_bbox(shape)
    metrics: dict[str, Any] = dict(topology_counts(shape))
    metrics.update(
        {
            "volume_mm3": _round(volume),
            "area_mm2": _round(surface.Mass()),
            "bbox": {
                "min": [_round(v) for v in low],
                "max": [_round(v) for v in high],
                "size": [_round(h - lo) for lo, h in zip(low, high, strict=True)],
            },
            "center_of_mass_mm": [_round(c) for c in centre_of_mass],
            "triangle_count": mesh.triangle_count,
            "vertex_count": mesh.vertex_count,
            "density_kg_m3": _round(density_kg_m3),
            # kg to METRIC_DECIMALS decimals of a gram: small parts keep their mass.
            "mass_kg": _round(
                mass_kg(volume_mm3=volume, density_kg_m3=density_kg_m3), METRIC_DECIMALS + 3
            ),
        }
    )
    return metrics
