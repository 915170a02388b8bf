"""Benchmark: importing the upload corpus with cadml against FreeCAD 0.20 doing the same.

For every valid file of ``tests/data/cad`` (those ``expected.json`` marks ``ok``):

* **cadml** (this process, warm, as a worker runs it): :func:`import_cad` (read,
  units, healing, checks, normalisation), tessellation at 0.01 mm / 0.1 rad, then
  either STEP + STL only (the same work as the FreeCAD side) or every exporter of
  :data:`cadml.geometry.io.EXPORTERS` (STEP, STL, GLB, BREP, FCStd);
* **FreeCAD 0.20** (Debian's ``freecad-python3`` in ``/usr/bin/python3``, a separate
  long-lived process so that its OCCT 7.6 never meets our OCCT 8): ``Part.read``
  for STEP/IGES/BREP, ``FreeCAD.openDocument`` for FCStd, ``Mesh`` +
  ``makeShapeFromMesh`` + ``makeSolid`` for STL/OBJ/3MF, then ``exportStep`` and
  an STL from ``MeshPart.meshFromShape`` at the same deflection. DXF is skipped on
  the FreeCAD side: its DXF importer lives in the Draft workbench and needs more
  than ``FreeCAD``/``Part``; the figures say which files were compared.

Rounds alternate (one cadml pass over the files, one FreeCAD pass) so that both
see the same machine load. Each side times its own work per file (FreeCAD inside
its process, excluding the pipe), and files/s is files over the summed median times.
Figures are printed, not asserted.

Run: ``.venv/bin/python bench/upload.py --rounds 5``
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "cad"
FREECAD_LIB = Path("/usr/lib/freecad-python3/lib")
SYSTEM_PYTHON = Path("/usr/bin/python3")
STAMP = "2000-01-01T00:00:00"

_FREECAD_SERVER = r"""
import json, os, sys, tempfile, time
sys.path.append(sys.argv[1])
import FreeCAD, Part, Mesh, MeshPart
out = tempfile.mkdtemp()
print("ready", flush=True)
for line in sys.stdin:
    job = json.loads(line)
    path, fmt = job["path"], job["format"]
    start = time.perf_counter()
    try:
        if fmt in ("step", "iges", "brep"):
            shape = Part.read(path)
        elif fmt == "fcstd":
            doc = FreeCAD.openDocument(path)
            shapes = [o.Shape for o in doc.Objects if hasattr(o, "Shape") and not o.InList]
            shape = Part.makeCompound(shapes) if len(shapes) > 1 else shapes[0]
            FreeCAD.closeDocument(doc.Name)
        else:
            mesh = Mesh.Mesh(path)
            shell = Part.Shape()
            shell.makeShapeFromMesh(mesh.Topology, 0.05)
            shape = Part.makeSolid(shell)
        if shape.isNull() or not shape.Solids:
            raise RuntimeError("no solid")
        shape.exportStep(os.path.join(out, "part.step"))
        tess = MeshPart.meshFromShape(Shape=shape, LinearDeflection=0.01, AngularDeflection=0.1)
        tess.write(os.path.join(out, "part.stl"))
        print("ms", (time.perf_counter() - start) * 1000.0, flush=True)
    except Exception as exc:
        print("err", type(exc).__name__, str(exc).replace("\n", " "), flush=True)
"""


def corpus_files() -> list[tuple[str, dict[str, Any]]]:
    """The valid corpus files and their import options, sorted by name."""
    expected = json.loads((CORPUS / "expected.json").read_text())
    return [(name, e.get("options", {})) for name, e in sorted(expected.items()) if e.get("ok")]


class FreeCADPeer:
    """A long-lived FreeCAD process that imports and exports one file per :meth:`run`."""

    def __init__(self) -> None:
        if not (FREECAD_LIB / "FreeCAD.so").exists():
            raise FileNotFoundError(f"FreeCAD is not installed at {FREECAD_LIB}")
        self._proc = subprocess.Popen(
            [str(SYSTEM_PYTHON), "-c", _FREECAD_SERVER, str(FREECAD_LIB)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self._read()

    def _read(self) -> str:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:  # FreeCAD may print lines of its own
            if line.startswith(("ready", "ms ", "err ")):
                return line.strip()
        raise RuntimeError(f"FreeCAD exited with {self._proc.wait()}")

    def run(self, path: Path, fmt: str) -> float | str:
        """Milliseconds FreeCAD took, or the error it reported."""
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps({"path": str(path), "format": fmt}) + "\n")
        self._proc.stdin.flush()
        answer = self._read()
        return float(answer[3:]) if answer.startswith("ms ") else answer

    def close(self) -> None:
        """End the FreeCAD process."""
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait(timeout=60)


def run_cadml(data: bytes, name: str, options: dict[str, Any], kinds: tuple[str, ...]) -> float:
    """Milliseconds for import + tessellation + the given exports, in this process."""
    from cadml.geometry.importers import ImportOptions, import_cad
    from cadml.geometry.io import EXPORTERS, ExportSource
    from cadml.geometry.mesh import tessellate
    from cadml.tolerances import MESH_ANGULAR_DEFLECTION_RAD, MESH_LINEAR_DEFLECTION_MM

    start = time.perf_counter()
    part = import_cad(data, name, ImportOptions(**options))
    mesh = tessellate(part.shape, MESH_LINEAR_DEFLECTION_MM, MESH_ANGULAR_DEFLECTION_RAD)
    source = ExportSource(
        shape=part.shape,
        mesh=mesh,
        name=Path(name).stem,
        color_srgb=(0.7, 0.7, 0.7),
        metallic=True,
        timestamp=STAMP,
        meta={"cadml.units": part.units},
    )
    for kind in kinds:
        EXPORTERS[kind](source)
    return (time.perf_counter() - start) * 1000.0


def main() -> None:
    """Print per-file medians, files/s and the cadml/FreeCAD ratio."""
    from cadml.geometry.importers import detect_format
    from cadml.geometry.io import EXPORTERS
    from cadml.geometry.kernel import silence_kernel_output

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--mesh-sizes",
        type=int,
        nargs="*",
        default=[3, 4, 5],
        help="icosphere subdivisions for the large-mesh timings (none to skip)",
    )
    args = parser.parse_args()
    silence_kernel_output()
    files = corpus_files()
    blobs = {name: (CORPUS / name).read_bytes() for name, _ in files}
    formats = {name: detect_format(Path(name).name, blobs[name]) for name, _ in files}
    same = ("step", "stl")
    full = tuple(EXPORTERS)
    for name, options in files:  # warm-up: kernel, scipy, ezdxf, first-call caches
        run_cadml(blobs[name], Path(name).name, options, full)
    try:
        peer: FreeCADPeer | None = FreeCADPeer()
    except FileNotFoundError as exc:
        print(f"FreeCAD peer skipped: {exc}")
        peer = None
    ours_same: dict[str, list[float]] = {n: [] for n, _ in files}
    ours_full: dict[str, list[float]] = {n: [] for n, _ in files}
    theirs: dict[str, list[float]] = {n: [] for n, _ in files}
    failures: dict[str, str] = {}
    try:
        if peer is not None:  # FreeCAD warm-up pass
            for name, _ in files:
                if formats[name] != "dxf":
                    peer.run(CORPUS / name, formats[name])
        for _ in range(args.rounds):
            for name, options in files:
                ours_same[name].append(run_cadml(blobs[name], Path(name).name, options, same))
                ours_full[name].append(run_cadml(blobs[name], Path(name).name, options, full))
            if peer is None:
                continue
            for name, _ in files:
                if formats[name] == "dxf":
                    continue
                result = peer.run(CORPUS / name, formats[name])
                if isinstance(result, float):
                    theirs[name].append(result)
                else:
                    failures[name] = result
    finally:
        if peer is not None:
            peer.close()

    def med(values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")

    print(f"upload corpus: {len(files)} valid files, {args.rounds} alternating rounds")
    print(f"python {sys.version.split()[0]}; times are per-file medians in ms")
    print(f"  {'file':30s} {'fmt':6s} {'cadml':>9s} {'cadml all':>10s} {'FreeCAD':>9s}")
    for name, _ in files:
        print(
            f"  {name:30s} {formats[name]:6s} {med(ours_same[name]):9.2f} "
            f"{med(ours_full[name]):10.2f} {med(theirs[name]):9.2f}"
            + (f"  FreeCAD: {failures[name]}" if name in failures else "")
        )
    compared = [n for n, _ in files if theirs[n] and n not in failures]
    all_same = [med(ours_same[n]) for n, _ in files]
    all_full = [med(ours_full[n]) for n, _ in files]
    print(
        f"cadml import+STEP+STL, all {len(files)} files: {len(files) / (sum(all_same) / 1000):.1f} "
        f"files/s, median {statistics.median(all_same):.2f} ms/file"
    )
    print(
        f"cadml import+all {len(full)} exports:          {len(files) / (sum(all_full) / 1000):.1f} "
        f"files/s, median {statistics.median(all_full):.2f} ms/file"
    )
    if compared:
        ours_c = [med(ours_same[n]) for n in compared]
        full_c = [med(ours_full[n]) for n in compared]
        theirs_c = [med(theirs[n]) for n in compared]
        ratios = [o / t for o, t in zip(ours_c, theirs_c, strict=True)]
        kinds = ", ".join(sorted({formats[n] for n in compared}))
        print(f"on the {len(compared)} files both read ({kinds}):")
        print(
            f"  cadml   import+STEP+STL {len(compared) / (sum(ours_c) / 1000):7.1f} files/s, "
            f"median {statistics.median(ours_c):.2f} ms/file"
        )
        print(
            f"  FreeCAD import+STEP+STL {len(compared) / (sum(theirs_c) / 1000):7.1f} files/s, "
            f"median {statistics.median(theirs_c):.2f} ms/file"
        )
        print(
            f"  ratio cadml/FreeCAD: total time {sum(ours_c) / sum(theirs_c):.2f}, "
            f"median of per-file ratios {statistics.median(ratios):.2f} "
            f"(range {min(ratios):.2f}-{max(ratios):.2f}); with all 5 exports "
            f"{sum(full_c) / sum(theirs_c):.2f}"
        )
    if failures:
        print(f"FreeCAD failed on: {json.dumps(failures, sort_keys=True)}")
    if args.mesh_sizes:
        scale_meshes(args.mesh_sizes, peer_wanted=peer is not None)


def scale_meshes(subdivisions: list[int], *, peer_wanted: bool) -> None:
    """Time large meshes: icospheres of 20 · 4^k triangles as binary STL (import only
    for the phases; import + STEP + STL for the FreeCAD comparison)."""
    import tempfile

    import trimesh

    from cadml.geometry.importers import ImportOptions, import_cad

    print("large meshes (binary STL icospheres, r = 50 mm, one run each):")
    peer = FreeCADPeer() if peer_wanted else None
    try:
        with tempfile.TemporaryDirectory() as folder:
            for k in subdivisions:
                sphere = trimesh.creation.icosphere(subdivisions=k, radius=50.0)
                data = sphere.export(file_type="stl")
                path = Path(folder) / f"ico{k}.stl"
                path.write_bytes(data)
                start = time.perf_counter()
                part = import_cad(data, path.name, ImportOptions(units="mm"))
                imported = (time.perf_counter() - start) * 1000.0
                total = run_cadml(data, path.name, {"units": "mm"}, ("step", "stl"))
                line = (
                    f"  {len(sphere.faces):7d} triangles: cadml import {imported:9.1f} ms "
                    f"(BRepCheck {part.report['brep_check'][:7]}), import+STEP+STL {total:9.1f} ms"
                )
                if peer is not None:
                    theirs = peer.run(path, "stl")
                    line += (
                        f", FreeCAD import+STEP+STL {theirs:9.1f} ms"
                        if isinstance(theirs, float)
                        else f", FreeCAD {theirs}"
                    )
                print(line, flush=True)
    finally:
        if peer is not None:
            peer.close()


if __name__ == "__main__":
    main()
