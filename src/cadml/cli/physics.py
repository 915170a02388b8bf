"""``cadml physics``: mass properties and collisions of local files, without a server."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import click
import numpy as np

from cadml.designs.upload import UNITS
from cadml.errors import ValidationError
from cadml.physics.materials import get_material
from cadml.physics.requests import canonical_parts, positive_number

__all__ = ["physics"]


@click.group()
def physics() -> None:
    """Mass properties, collision and clearance of CAD files."""


def _load(path: Path, units: str | None, density: float, transform: Any, part_id: str) -> Any:
    from cadml.geometry.importers import ImportOptions, import_cad
    from cadml.services.physics_flows import LoadedPart

    if not path.is_file():
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": "file", "reason": "no such file", "value": str(path)},
        )
    data = path.read_bytes()
    imported = import_cad(data, path.name, ImportOptions(units=units))
    return LoadedPart(
        id=part_id,
        shape=imported.shape,
        density_kg_m3=density,
        transform_mm=np.asarray(transform, dtype=np.float64),
        geometry_key=hashlib.sha256(data).hexdigest(),
        is_mesh=imported.mesh is not None,
    ), imported


def _density(material: str | None, density: float | None) -> float:
    if material and density:
        raise click.UsageError("give --material or --density, not both")
    if density is not None:
        return positive_number("density", density)
    return get_material(material or "aluminum_6061").density_kg_m3


def _print_mass(label: str, d: dict[str, Any]) -> None:
    si, mm = d["si"], d["mm"]
    click.echo(f"{label}")
    click.echo(f"  mass            {si['mass_kg']:.9g} kg")
    click.echo(f"  volume          {mm['volume_mm3']:.9g} mm³")
    if mm.get("area_mm2") is not None:
        click.echo(f"  area            {mm['area_mm2']:.9g} mm²")
    click.echo(
        "  centre of mass  [" + ", ".join(f"{c:.6f}" for c in mm["center_of_mass_mm"]) + "] mm"
    )
    click.echo("  inertia about the centre of mass (kg·mm²):")
    for row in mm["inertia_kg_mm2"]:
        click.echo("    [" + ", ".join(f"{v:14.6f}" for v in row) + "]")
    click.echo(
        "  principal moments (kg·mm²) "
        + ", ".join(f"{v:.6f}" for v in mm["principal_moments_kg_mm2"])
    )
    click.echo(
        f"  method          {si['method']}"
        + (
            f" (tessellation {si['tessellation_deflection_mm']} mm)"
            if si.get("tessellation_deflection_mm")
            else ""
        )
    )


@physics.command("mass")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--material", "-m", default=None, help="Material id (default aluminum_6061)")
@click.option("--density", type=float, default=None, help="Density in kg/m³ instead")
@click.option(
    "--units",
    type=click.Choice(UNITS, case_sensitive=False),
    default=None,
    help="Unit of a unitless file (STL, OBJ)",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON with SI keys")
def mass(
    file: Path, material: str | None, density: float | None, units: str | None, as_json: bool
) -> None:
    """Exact mass properties of a CAD file (B-rep integrals; polyhedral for meshes).

    Examples:

        cadml physics mass bracket.step --material steel

        cadml physics mass part.stl --units in --density 1240 --json
    """
    from cadml.services.physics_flows import mass_result

    part, _ = _load(file, units, _density(material, density), np.eye(4), file.stem)
    result = mass_result([part])["parts"][0]
    if as_json:
        click.echo(json.dumps(result["si"], indent=2, sort_keys=True))
        return
    _print_mass(str(file), result)


def _assembly(path: Path) -> tuple[list[Any], dict[str, Any]]:
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": "assembly", "reason": f"not a JSON file: {exc}"},
        ) from None
    if not isinstance(spec, dict):
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": "assembly", "reason": "expected a JSON object with 'parts'"},
        )
    parts = canonical_parts(spec.get("parts"), sources=("file", "design_id"), min_parts=2)
    return parts, spec


def _loaded_parts(path: Path, parts: list[dict[str, Any]]) -> list[Any]:
    loaded = []
    store = None
    for part in parts:
        density = part["density_kg_m3"] or get_material("aluminum_6061").density_kg_m3
        if "file" in part:
            target = (path.parent / part["file"]).resolve()
            loaded.append(_load(target, None, density, part["transform_mm"], part["id"])[0])
            continue
        if store is None:
            store = _local_designs()
        loaded.extend(_design_part(store, part, density))
    return loaded


def _local_designs() -> Any:
    from cadml.runtime import build_runtime
    from cadml.settings import get_settings

    return build_runtime(get_settings())


def _design_part(runtime: Any, part: dict[str, Any], density: float) -> list[Any]:
    from cadml.services.physics_flows import load_from_store

    records = [
        a for a in runtime.artefact_records.list_for_job(part["design_id"]) if a.kind == "brep"
    ]
    if not records:
        raise ValidationError(
            "VALIDATION_DESIGN_NOT_READY",
            details={"field": "design_id", "design_id": part["design_id"], "status": "no brep"},
        )
    entry = {
        **part,
        "density_kg_m3": density,
        "brep_key": records[0].storage_key,
        "geometry_key": records[0].sha256,
    }
    return load_from_store([entry], runtime.store.get)


@physics.command("collide")
@click.argument("assembly", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--tolerance", type=float, default=0.001, show_default=True, help="Touching tolerance in mm"
)
@click.option(
    "--deflection",
    type=float,
    default=0.05,
    show_default=True,
    help="Mesh deflection in mm for the collision meshes",
)
@click.option("--exact", is_flag=True, help="Also compute exact B-rep interference volumes")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON")
def collide(
    assembly: Path, tolerance: float, deflection: float, exact: bool, as_json: bool
) -> None:
    """Collisions, interference volumes and containment of an assembly file.

    ASSEMBLY.json lists parts, each a file (relative to the JSON file) or a design id of
    the local platform, placed by a 4x4 transform in mm:

    \b
        {"parts": [
          {"id": "base", "file": "base.step", "material": "steel"},
          {"id": "pin", "file": "pin.step",
           "transform_mm": [[1,0,0,10],[0,1,0,0],[0,0,1,5],[0,0,0,1]]}]}
    """
    from cadml.services.physics_flows import collision_result

    parts, _ = _assembly(assembly)
    report = collision_result(
        _loaded_parts(assembly, parts),
        tolerance_mm=tolerance,
        deflection_mm=deflection,
        exact=exact,
    )
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True))
        return
    pairs = report.get("pairs", [])
    noun = "pair" if len(pairs) == 1 else "pairs"
    click.echo(f"{len(parts)} parts, {len(pairs)} colliding {noun}")
    for pair in pairs:
        volume = pair.get("exact_volume_mm3") or pair.get("volume_mm3")
        click.echo(
            f"  {pair['part_a']} × {pair['part_b']}: {pair['kind']}, "
            f"severity {pair['severity']}"
            + (f", interference {volume:.6g} mm³" if volume is not None else "")
            + f", faces {_face_list(pair['faces_a'])} / {_face_list(pair['faces_b'])}"
        )
    for cleared in report.get("cleared", []):
        click.echo(
            f"  {cleared['part_a']} × {cleared['part_b']}: cleared by the exact B-rep "
            f"(mesh said {cleared['mesh_volume_mm3']} mm³)"
        )


_SHOWN_FACES = 12
"""Face ids printed per part before the list is cut short (``--json`` has them all)."""


def _face_list(faces: list[int]) -> str:
    """``faces`` for a terminal: short lists whole, long ones (a mesh's triangles) cut.

    Examples:
        >>> _face_list([3, 4])
        '[3, 4]'
        >>> _face_list(list(range(100)))
        '[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, … 88 more (--json lists all)]'
    """
    if len(faces) <= _SHOWN_FACES:
        return str(faces)
    head = ", ".join(str(f) for f in faces[:_SHOWN_FACES])
    return f"[{head}, … {len(faces) - _SHOWN_FACES} more (--json lists all)]"


@physics.command("clearance")
@click.argument("assembly", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--threshold", type=float, default=None, help="Report every pair closer than this (mm)"
)
@click.option(
    "--pair",
    "pairs",
    multiple=True,
    metavar="A,B",
    help="Measure this pair (repeatable); default: all pairs under --threshold",
)
@click.option(
    "--touching",
    type=float,
    default=0.001,
    show_default=True,
    help="Distances up to this (mm) are touching",
)
@click.option(
    "--deflection",
    type=float,
    default=0.05,
    show_default=True,
    help="Mesh deflection in mm for the prefilter",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON")
def clearance_command(
    assembly: Path,
    threshold: float | None,
    pairs: tuple[str, ...],
    touching: float,
    deflection: float,
    as_json: bool,
) -> None:
    """Minimum distances and closest points between the parts of an assembly file.

    The mesh prefilter answers far pairs; below ten deflections plus the threshold the
    exact B-rep distance decides. The file format is the one of `cadml physics collide`.
    """
    from cadml.services.physics_flows import clearance_result

    parts, _ = _assembly(assembly)
    if not pairs and threshold is None:
        raise click.UsageError("give --pair A,B or --threshold MM")
    wanted = [tuple(p.split(",", 1)) for p in pairs] or None
    report = clearance_result(
        _loaded_parts(assembly, parts),
        pairs=wanted,
        threshold_mm=threshold,
        touching_tolerance_mm=touching,
        deflection_mm=deflection,
    )
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True))
        return
    for pair in report.get("pairs", []):
        click.echo(
            f"  {pair['id_a']} × {pair['id_b']}: {pair['distance_mm']:.6f} mm "
            f"({pair['status']}, {pair['method']})"
        )
