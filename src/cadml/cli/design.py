"""``cadml design``: generate parts locally, without a server."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from cadml.designs.catalog import describe_families
from cadml.designs.params import canonicalize_params_request
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
            params[key.strip()] = float(raw)
        except ValueError:
            params[key.strip()] = raw
    return params


@click.group()
def design() -> None:
    """Generate parametric parts."""


@design.command("families")
@click.option("--json", "as_json", is_flag=True, help="Print JSON")
def families(as_json: bool) -> None:
    """List part families and their parameters."""
    described = describe_families()
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    for fam in described:
        click.echo(f"{fam['family']}: {fam['description']}")
        for p in fam["parameters"]:
            req = "required" if p["required"] else f"default {p['default']:g}"
            click.echo(
                f"  {p['name']:16} {p['unit']:4} {p['min']:g}..{p['max']:g}  ({req}) "
                f"{p['description']}"
            )
        click.echo("  material, process: snake_case ids, e.g. aluminum_6061, cnc_milling")


@design.command("params")
@click.option("--family", "-f", required=True, help="Part family, e.g. prism_with_hole")
@click.option(
    "--set",
    "-s",
    "sets",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter (repeatable): --set length=100 --set material=abs",
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
    from tqdm import tqdm

    canonical = canonicalize_params_request({"family": family, "params": _parse_sets(sets)})
    settings = get_settings()
    bar = tqdm(
        total=100,
        desc="loading kernel",
        unit="%",
        leave=False,
        bar_format="{desc:<22} {bar} {n:3.0f}%",
    )
    started = time.perf_counter()
    from cadml.geometry.pipeline import run_design

    def progress(pct: float, step: str, message: str) -> None:
        bar.set_description_str(step)
        bar.update(max(0.0, pct - bar.n))

    try:
        result = run_design(canonical, progress, step_timestamp=settings.step_timestamp)
    finally:
        bar.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for blob in result.artefacts:
        path = out_dir / blob.filename
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(blob.data)
        tmp.replace(path)
        written.append(path)
    summary = {
        "request": canonical,
        "metrics": result.metrics,
        "fingerprint": result.fingerprint,
        "tolerances": result.tolerances,
    }
    (out_dir / "metrics.json").write_text(json.dumps(summary, indent=2, sort_keys=True))
    elapsed = time.perf_counter() - started
    if as_json:
        click.echo(json.dumps(summary, indent=2, sort_keys=True))
        return
    m = result.metrics
    click.echo(
        f"{family}: volume {m['volume_mm3']:.3f} mm³, area {m['area_mm2']:.3f} mm², "
        f"mass {m['mass_kg']:.6f} kg, {m['triangle_count']} triangles "
        f"({elapsed:.2f} s incl. kernel start)"
    )
    for path in written:
        click.echo(f"  {path}  ({path.stat().st_size} bytes)")
    click.echo(f"  {out_dir / 'metrics.json'}")
