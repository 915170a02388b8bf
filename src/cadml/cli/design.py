"""``cadml design``: generate or import parts locally, without a server."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from cadml.designs.catalog import describe_families, families_markdown
from cadml.designs.params import canonicalize_params_request
from cadml.designs.upload import UNITS, canonicalize_upload_request
from cadml.settings import get_settings

__all__ = ["design"]


def _parse_sets(values: tuple[str, ...]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--set")
        raw = raw.strip()
        try:
            # Numbers, true/false and lists such as [20, 30] or [[10, 10], [40, 10]].
            params[key.strip()] = json.loads(raw)
        except ValueError:
            params[key.strip()] = raw
    return params


def _describe_parameter(p: dict[str, Any]) -> str:
    if p["kind"] == "choice":
        kind = "one of " + ",".join(p["choices"])
    elif p["kind"] == "boolean":
        kind = "true|false"
    elif p["kind"] in ("numbers", "points"):
        what = "numbers" if p["kind"] == "numbers" else "[x,y] points"
        kind = f"{p['min_items']}..{p['max_items']} {what} in {p['min']:g}..{p['max']:g}"
    else:
        kind = f"{p['min']:g}..{p['max']:g}"
    req = "required" if p["required"] else f"default {json.dumps(p['default'])}"
    return f"  {p['name']:16} {p['unit']:4} {kind}  ({req}) {p['description']}"


def _progress_bar() -> tuple[Any, Any]:
    from tqdm import tqdm

    bar = tqdm(
        total=100,
        desc="loading kernel",
        unit="%",
        leave=False,
        bar_format="{desc:<22} {bar} {n:3.0f}%",
    )

    def progress(pct: float, step: str, message: str) -> None:
        bar.set_description_str(step)
        bar.update(max(0.0, pct - bar.n))

    return bar, progress


def _write_result(
    result: Any, request: dict[str, Any], out_dir: Path, as_json: bool, label: str, elapsed: float
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for blob in result.artefacts:
        path = out_dir / blob.filename
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(blob.data)
        tmp.replace(path)
        written.append(path)
    summary = {
        "request": request,
        "metrics": result.metrics,
        "fingerprint": result.fingerprint,
        "tolerances": result.tolerances,
    }
    (out_dir / "metrics.json").write_text(json.dumps(summary, indent=2, sort_keys=True))
    if as_json:
        click.echo(json.dumps(summary, indent=2, sort_keys=True))
        return
    m = result.metrics
    click.echo(
        f"{label}: volume {m['volume_mm3']:.3f} mm³, area {m['area_mm2']:.3f} mm², "
        f"mass {m['mass_kg']:.6f} kg, {m['triangle_count']} triangles "
        f"({elapsed:.2f} s incl. kernel start)"
    )
    for warning in m.get("warnings", ()):
        click.echo(f"  warning {warning.get('code')}: {warning.get('message_en', '')}")
    report = m.get("manufacturability") or {}
    findings = report.get("findings", ())
    verdict = "ok" if report.get("ok") else "NOT ok"
    process = report.get("process")
    click.echo(f"  manufacturability ({process}): {verdict}, {len(findings)} findings")
    for finding in findings:
        click.echo(f"    [{finding['severity']}] {finding['rule']}: {finding['message_en']}")
    for path in written:
        click.echo(f"  {path}  ({path.stat().st_size} bytes)")
    click.echo(f"  {out_dir / 'metrics.json'}")


@click.group()
def design() -> None:
    """Generate parametric parts and import CAD files."""


@design.command("families")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with a JSON Schema each)")
@click.option("--markdown", is_flag=True, help="Print the catalogue as Markdown")
def families(as_json: bool, markdown: bool) -> None:
    """List part families, their parameters and an example of each."""
    if markdown:
        click.echo(families_markdown(), nl=False)
        return
    described = describe_families()
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    for fam in described:
        click.echo(f"{fam['family']}: {fam['description']}")
        for p in fam["parameters"]:
            click.echo(_describe_parameter(p))
        click.echo("  material, process: snake_case ids, e.g. aluminum_6061, cnc_milling")
        example = " ".join(
            f"-s {k}={json.dumps(v, separators=(',', ':'))}"
            for k, v in fam["example"]["params"].items()
        )
        click.echo(f"  example: cadml design params -f {fam['family']} {example} -o out/")


@design.command("params")
@click.option("--family", "-f", required=True, help="Part family, e.g. prism_with_hole")
@click.option(
    "--set",
    "-s",
    "sets",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter (repeatable, JSON values): -s length=100 -s holes=[[10,10],[40,10]]",
)
@click.option(
    "--out",
    "-o",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory for the artefacts and metrics.json",
)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON on stdout")
def params(family: str, sets: tuple[str, ...], out_dir: Path, as_json: bool) -> None:
    """Generate a part locally and write STEP, STL, GLB, BREP, FCStd and metrics.json.

    Example:

        cadml design params -f prism_with_hole -s length=100 -s width=50 -s height=30
        -s hole_diameter=10 -s material=aluminum_6061 -s process=cnc_milling -o out/
    """
    canonical = canonicalize_params_request({"family": family, "params": _parse_sets(sets)})
    settings = get_settings()
    bar, progress = _progress_bar()
    started = time.perf_counter()
    from cadml.geometry.pipeline import run_design

    try:
        result = run_design(canonical, progress, step_timestamp=settings.step_timestamp)
    finally:
        bar.close()
    _write_result(result, canonical, out_dir, as_json, family, time.perf_counter() - started)


@design.command("upload")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--units",
    type=click.Choice(UNITS, case_sensitive=False),
    help="Unit of a unitless file (STL, OBJ); without it the unit is inferred and a "
    "warning says so",
)
@click.option(
    "--dxf-thickness", type=float, help="DXF only (required): extrude the profiles by this (mm)"
)
@click.option("--z-up", is_flag=True, help="Turn the part so its up axis is +Z")
@click.option("--center", is_flag=True, help="Centre the part on the origin")
@click.option("--no-heal", is_flag=True, help="Do not sew/heal faces or clean the mesh")
@click.option("--material", "-m", default=None, help="Material id (default aluminum_6061)")
@click.option("--process", "-p", default=None, help="Process for the report (cnc_milling)")
@click.option(
    "--out",
    "-o",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory for the artefacts and metrics.json",
)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON on stdout")
def upload(
    file: Path,
    units: str | None,
    dxf_thickness: float | None,
    z_up: bool,
    center: bool,
    no_heal: bool,
    material: str | None,
    process: str | None,
    out_dir: Path,
    as_json: bool,
) -> None:
    """Import a CAD file locally and write the same artefacts as a generated part.

    Reads STEP, IGES, BREP, STL (ASCII or binary), OBJ, 3MF, DXF (extruded by
    --dxf-thickness) and FCStd, then writes STEP, STL, GLB, BREP, FCStd, the drawing
    (SVG, PDF), metrics.json and the manufacturability report.

    Example:

        cadml design upload bracket.stl --units in --z-up -p fdm_printing -m pla -o out/
    """
    import hashlib

    data = file.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    canonical = canonicalize_upload_request(
        filename=file.name,
        size=len(data),
        sha256=digest,
        key=digest,
        fields={
            "units": units,
            "dxf_thickness_mm": dxf_thickness,
            "z_up": z_up,
            "center": center,
            "heal": not no_heal,
            "material": material,
            "process": process,
        },
    )
    settings = get_settings()
    bar, progress = _progress_bar()
    started = time.perf_counter()
    from cadml.geometry.upload_flow import run_upload

    try:
        result = run_upload(canonical, data, progress, step_timestamp=settings.step_timestamp)
    finally:
        bar.close()
    _write_result(result, canonical, out_dir, as_json, file.name, time.perf_counter() - started)
