"""Physics work as a geometry worker (or the CLI) runs it: load parts, compute, report.

A flow takes *loaded* parts (exact shape, density, placement) so the same code serves
jobs (parts read from the artefact store) and the CLI (parts read from files). Imports
the kernel lazily; call from workers and the CLI only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "MESH_FORMATS",
    "LoadedPart",
    "clearance_result",
    "collision_result",
    "load_from_store",
    "mass_result",
    "run_physics",
]

MESH_FORMATS = ("stl", "obj", "3mf")
"""Upload formats whose parts are meshes: their mass comes from polyhedral integrals."""


@dataclass(frozen=True, eq=False)
class LoadedPart:
    """One placed part, ready to compute with.

    Args:
        id: the part's id in the request.
        shape: the exact OCP shape in mm.
        density_kg_m3: its density.
        transform_mm: ``(4, 4)`` rigid placement, translation in mm.
        geometry_key: identifies the geometry (parts that share it share caches).
        is_mesh: whether the part came from a mesh file (one planar face per
            triangle): its mass properties are the polyhedron's exact integrals.
    """

    id: str
    shape: Any
    density_kg_m3: float
    transform_mm: np.ndarray
    geometry_key: str
    is_mesh: bool = False


def load_from_store(
    parts: Sequence[Mapping[str, Any]], read: Callable[[str], bytes]
) -> list[LoadedPart]:
    """Decode each part's BREP artefact (``brep_key``) read through ``read``."""
    from cadml.geometry.io.brep import decode_brep

    shapes: dict[str, Any] = {}
    loaded = []
    for part in parts:
        key = part["brep_key"]
        if key not in shapes:
            shapes[key] = decode_brep(read(key))
        loaded.append(
            LoadedPart(
                id=part["id"],
                shape=shapes[key],
                density_kg_m3=float(part["density_kg_m3"]),
                transform_mm=np.asarray(part["transform_mm"], dtype=np.float64),
                geometry_key=part["geometry_key"],
                is_mesh=bool(part.get("is_mesh", False)),
            )
        )
    return loaded


def _part_mass(part: LoadedPart) -> Any:
    if part.is_mesh:
        from cadml.geometry.mesh import tessellate
        from cadml.physics.polyhedral import mesh_mass_properties

        # Planar triangles tessellate to themselves: this is the uploaded polyhedron.
        mesh = tessellate(part.shape)
        rotation = part.transform_mm[:3, :3]
        vertices = mesh.vertices @ rotation.T + part.transform_mm[:3, 3]
        return mesh_mass_properties(
            vertices, mesh.triangles, part.density_kg_m3, mesh.linear_deflection_mm
        )
    from cadml.geometry.massprops import brep_mass_properties

    return brep_mass_properties(part.shape, part.density_kg_m3, transform_mm=part.transform_mm)


def mass_result(parts: Sequence[LoadedPart], frame_mm: Any = None) -> dict[str, Any]:
    """Mass properties of each part and of the whole, in SI with a millimetre view.

    Args:
        parts: the placed parts.
        frame_mm: ``(4, 4)`` frame (translation in mm) to also express the assembly's
            inertia about; ``None`` or the identity for the assembly frame's origin.

    Returns:
        ``{"parts": [{"id", "si", "mm"}], "assembly": {"si", "mm",
        "inertia_about_frame_kg_m2", "frame_mm"}}``.
    """
    from cadml.physics.inertia import combine

    props = [_part_mass(part) for part in parts]
    whole = combine(props) if len(props) > 1 else props[0]
    frame = np.eye(4) if frame_mm is None else np.asarray(frame_mm, dtype=np.float64)
    about = whole.inertia_about((frame[:3, 3] / 1000.0).tolist(), frame[:3, :3])
    return {
        "parts": [
            {"id": part.id, "si": p.to_dict("si"), "mm": p.to_dict("mm")}
            for part, p in zip(parts, props, strict=True)
        ],
        "assembly": {
            "si": whole.to_dict("si"),
            "mm": whole.to_dict("mm"),
            "frame_mm": frame.tolist(),
            "inertia_about_frame_kg_m2": np.asarray(about).tolist(),
        },
    }


_MESHES: dict[tuple[str, float], Any] = {}
_MESH_CACHE_SIZE = 256


def _mesh(part: LoadedPart, deflection_mm: float) -> Any:
    """The part's mesh at ``deflection_mm``, cached per geometry in this process."""
    from cadml.geometry.mesh import tessellate
    from cadml.tolerances import MESH_ANGULAR_DEFLECTION_RAD

    key = (part.geometry_key, deflection_mm)
    if key not in _MESHES:
        if len(_MESHES) >= _MESH_CACHE_SIZE:
            _MESHES.pop(next(iter(_MESHES)))
        _MESHES[key] = tessellate(part.shape, deflection_mm, MESH_ANGULAR_DEFLECTION_RAD)
    return _MESHES[key]


_BVH_CACHE: Any = None


def collision_result(
    parts: Sequence[LoadedPart],
    *,
    tolerance_mm: float,
    deflection_mm: float,
    exact: bool,
) -> dict[str, Any]:
    """Collisions of placed parts (see :func:`cadml.physics.collision.check_collisions`).

    Near contacts inside the tessellation band are always settled on the exact B-rep;
    ``exact`` also computes the exact common volume of every colliding pair.

    Returns:
        The report's ``to_dict()`` plus the deflection used.
    """
    global _BVH_CACHE
    from cadml.geometry.interference import common_volume_fn
    from cadml.physics.collision import BvhCache, CollisionPart, check_collisions

    if _BVH_CACHE is None:
        _BVH_CACHE = BvhCache()
    placed = [
        CollisionPart(
            id=part.id,
            mesh=_mesh(part, deflection_mm),
            transform_mm=part.transform_mm,
            geometry_key=f"{part.geometry_key}@{deflection_mm}",
        )
        for part in parts
    ]
    report = check_collisions(
        placed,
        cache=_BVH_CACHE,
        tolerance_mm=tolerance_mm,
        exact=common_volume_fn({part.id: part.shape for part in parts}),
        exact_policy="all" if exact else "near",
    )
    return {**report.to_dict(), "deflection_mm": deflection_mm}


def clearance_result(
    parts: Sequence[LoadedPart],
    *,
    pairs: Sequence[Sequence[str]] | None,
    threshold_mm: float | None,
    touching_tolerance_mm: float,
    deflection_mm: float,
) -> dict[str, Any]:
    """Minimum distances (see :func:`cadml.physics.clearance.clearance`)."""
    from cadml.physics.clearance import ClearancePart, clearance

    placed = [
        ClearancePart(
            id=part.id,
            mesh=_mesh(part, deflection_mm),
            transform_mm=part.transform_mm,
            shape=part.shape,
            geometry_key=f"{part.geometry_key}@{deflection_mm}",
        )
        for part in parts
    ]
    report = clearance(
        placed,
        None if pairs is None else [(a, b) for a, b in pairs],
        threshold_mm=threshold_mm,
        touching_tolerance_mm=touching_tolerance_mm,
    )
    return {**report.to_dict(), "deflection_mm": deflection_mm}


def run_physics(
    kind: str,
    canonical: Mapping[str, Any],
    read: Callable[[str], bytes],
    progress: Callable[[float, str, str], None],
) -> dict[str, Any]:
    """Run one physics job (``physics.mass``, ``physics.collision``, ``physics.clearance``).

    Returns:
        The job's metrics: ``{"result": ..., "durations_ms": {...}}``.
    """
    import time

    from cadml.geometry.kernel import silence_kernel_output

    silence_kernel_output()
    durations: dict[str, float] = {}
    start = time.perf_counter()
    progress(5.0, "load", f"Loading {len(canonical['parts'])} parts")
    parts = load_from_store(canonical["parts"], read)
    durations["load"] = round((time.perf_counter() - start) * 1000.0, 3)
    start = time.perf_counter()
    progress(30.0, kind.split(".")[1], "Computing")
    if kind == "physics.mass":
        result = mass_result(parts, canonical.get("frame_mm"))
    elif kind == "physics.collision":
        result = collision_result(
            parts,
            tolerance_mm=canonical["tolerance_mm"],
            deflection_mm=canonical["deflection_mm"],
            exact=canonical["exact"],
        )
    else:
        result = clearance_result(
            parts,
            pairs=canonical.get("pairs"),
            threshold_mm=canonical.get("threshold_mm"),
            touching_tolerance_mm=canonical["touching_tolerance_mm"],
            deflection_mm=canonical["deflection_mm"],
        )
    durations["compute"] = round((time.perf_counter() - start) * 1000.0, 3)
    return {"result": result, "durations_ms": durations}
