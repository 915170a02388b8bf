"""Benchmark: cadml's design pipeline against FreeCAD 0.20 doing the same job.

Both sides make the prism with a hole and write FCStd, STEP, STL and BREP (cadml
also writes GLB). FreeCAD runs in Debian's ``/usr/bin/python3`` with
``freecad-python3``, imported once; cadml runs warm in this process, as a worker
would. Figures are printed, not asserted.

Run: ``.venv/bin/python bench/freecad_peer.py --repeats 50``
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "FREECAD_LIB",
    "FreeCADPeer",
    "time_alternating",
    "time_cadml_inworker",
    "time_cadml_steps",
    "time_freecad",
]

FREECAD_LIB = Path("/usr/lib/freecad-python3/lib")
SYSTEM_PYTHON = Path("/usr/bin/python3")


def time_freecad(params: Mapping[str, float], repeats: int) -> list[float]:
    """Time FreeCAD making the part and writing FCStd, STEP, STL and BREP.

    Args:
        params: ``length``, ``width``, ``height``, ``hole_diameter`` in mm.
        repeats: number of timed iterations (FreeCAD is imported once, untimed).

    Returns:
        Milliseconds per iteration.

    Raises:
        FileNotFoundError: if Debian's freecad-python3 is not installed.
    """
    peer = FreeCADPeer(params)
    try:
        return [peer.run() for _ in range(repeats)]
    finally:
        peer.close()


_FREECAD_SERVER = """
import json, os, sys, tempfile, time
sys.path.append(sys.argv[1])
params = json.loads(sys.argv[2])
import FreeCAD, Part, Mesh, MeshPart
L, W, H, d = params["length"], params["width"], params["height"], params["hole_diameter"]
out = tempfile.mkdtemp()
print("ready", flush=True)
for _ in sys.stdin:
    start = time.perf_counter()
    doc = FreeCAD.newDocument("bench")
    block = Part.makeBox(L, W, H)
    hole = Part.makeCylinder(d / 2, H, FreeCAD.Vector(L / 2, W / 2, 0))
    shape = block.cut(hole)
    feature = doc.addObject("Part::Feature", "prism_with_hole")
    feature.Shape = shape
    doc.recompute()
    doc.saveAs(os.path.join(out, "part.FCStd"))
    shape.exportStep(os.path.join(out, "part.step"))
    mesh = MeshPart.meshFromShape(Shape=shape, LinearDeflection=0.01, AngularDeflection=0.1)
    mesh.write(os.path.join(out, "part.stl"))
    shape.exportBrep(os.path.join(out, "part.brep"))
    FreeCAD.closeDocument(doc.Name)
    print("ms", (time.perf_counter() - start) * 1000.0, flush=True)
"""


class FreeCADPeer:
    """A long-lived FreeCAD process that makes and writes the part once per :meth:`run`.

    Args:
        params: ``length``, ``width``, ``height``, ``hole_diameter`` in mm.

    Raises:
        FileNotFoundError: if Debian's freecad-python3 is not installed.
    """

    def __init__(self, params: Mapping[str, float]) -> None:
        if not (FREECAD_LIB / "FreeCAD.so").exists():
            raise FileNotFoundError(f"FreeCAD is not installed at {FREECAD_LIB}")
        numeric = {k: float(params[k]) for k in ("length", "width", "height", "hole_diameter")}
        self._proc = subprocess.Popen(
            [str(SYSTEM_PYTHON), "-c", _FREECAD_SERVER, str(FREECAD_LIB), json.dumps(numeric)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._read("ready")

    def _read(self, prefix: str) -> str:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:  # FreeCAD may print lines of its own
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
        raise RuntimeError(f"FreeCAD exited with {self._proc.wait()}")

    def run(self) -> float:
        """One timed iteration in FreeCAD; milliseconds as FreeCAD measured them."""
        assert self._proc.stdin is not None
        self._proc.stdin.write("go\n")
        self._proc.stdin.flush()
        return float(self._read("ms "))

    def close(self) -> None:
        """End the FreeCAD process."""
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait(timeout=30)


PEER_STEPS = ("validate", "build", "check", "mesh", "export_")
"""Pipeline steps whose work FreeCAD's side also does (drawing and the DFM report it does not)."""


def same_work_ms(durations_ms: Mapping[str, float]) -> float:
    """The part of a ``run_design`` that matches the peer's work: build, check, mesh, export."""
    return sum(v for k, v in durations_ms.items() if k.startswith(PEER_STEPS))


def time_alternating(
    canonical: Mapping[str, Any], repeats: int, warm: int = 5
) -> tuple[list[float], list[float], list[float]]:
    """Alternate one cadml ``run_design`` and one FreeCAD iteration, ``repeats`` times.

    The machine's load drifts; alternating single runs exposes both sides to the same
    drift, so their ratio is steadier than that of two separate batches.

    Returns:
        cadml milliseconds for the whole run (drawing and manufacturability report
        included), cadml milliseconds for the same work as the peer (its steps'
        durations, :func:`same_work_ms`) and FreeCAD milliseconds, pairwise.
    """
    from cadml.geometry.pipeline import run_design, warm_up

    warm_up()
    peer = FreeCADPeer(canonical["params"])
    try:
        for _ in range(warm):
            peer.run()
            run_design(canonical)
        ours, same, theirs = [], [], []
        for _ in range(repeats):
            start = time.perf_counter()
            result = run_design(canonical)
            ours.append((time.perf_counter() - start) * 1000.0)
            same.append(same_work_ms(result.metrics["durations_ms"]))
            theirs.append(peer.run())
    finally:
        peer.close()
    return ours, same, theirs


def time_cadml_steps(canonical: Mapping[str, Any], repeats: int) -> list[dict[str, float]]:
    """Per-step durations (ms) of ``repeats`` warm ``run_design`` calls in this process."""
    from cadml.geometry.pipeline import run_design, warm_up

    warm_up()
    return [dict(run_design(canonical).metrics["durations_ms"]) for _ in range(repeats)]


def time_cadml_inworker(canonical: Mapping[str, Any], repeats: int) -> list[float]:
    """Time warm ``run_design`` calls in this process, as a pre-started worker runs them.

    Args:
        canonical: a canonical params request.
        repeats: number of timed calls (the kernel import and a warm-up run are untimed).

    Returns:
        Milliseconds per call, measured around the whole call.
    """
    from cadml.geometry.pipeline import run_design, warm_up

    warm_up()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run_design(canonical)
        times.append((time.perf_counter() - start) * 1000.0)
    return times


def main() -> None:
    """Print the medians side by side, and cadml's per-step breakdown."""
    from cadml.designs import canonicalize_params_request

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    params = {"length": 100.0, "width": 50.0, "height": 30.0, "hole_diameter": 10.0}
    canonical = canonicalize_params_request({"family": "prism_with_hole", "params": params})

    cadml_ms = time_cadml_inworker(canonical, args.repeats)
    steps = time_cadml_steps(canonical, args.repeats)
    try:
        freecad_ms: list[float] | None = time_freecad(params, args.repeats)
    except FileNotFoundError as exc:
        print(f"FreeCAD peer skipped: {exc}")
        freecad_ms = None

    print(f"prism_with_hole 100x50x30 d10, {args.repeats} warm runs each (median ms)")
    rows = [("cadml run_design (STEP+STL+GLB+BREP+FCStd+metrics)", cadml_ms)]
    if freecad_ms:
        rows.append(("FreeCAD 0.20 (FCStd+STEP+STL+BREP)", freecad_ms))
    for label, times in rows:
        print(f"  {label:52s} {statistics.median(times):8.2f}")
    print("  cadml per step (median ms):")
    for name in steps[0]:
        print(f"    {name:14s} {statistics.median(s[name] for s in steps):8.3f}")


if __name__ == "__main__":
    main()
