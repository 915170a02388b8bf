"""Benchmark: collision check of 100 placed parts, against trimesh's CollisionManager.

Builds 100 closed meshes of 1k-5k well-shaped triangles (UV spheres, subdivided
cylinders, capsules, tori and subdivided boxes; every part its own geometry), places them at seeded
random poses in a 1 m cube and forces ``--overlaps`` pairs to overlap (part 2k+1 is
moved next to part 2k so that they share volume). Then it measures:

- kernel load: the first use of the compiled boundary-integral kernels in the process
  (:func:`~cadml.physics.collision.boundary_volume.warm_up`: loaded from numba's on-disk
  cache, or compiled when the cache is cold), before anything is timed;
- BVH build: filling a :class:`~cadml.physics.collision.BvhCache` (fcl BVH + manifold
  solid per geometry), total;
- the first check (untimed warm-up: it also builds the per-geometry boundary-integral
  arrays of the parts that interfere);
- the full check (:func:`~cadml.physics.collision.check_collisions`: broadphase,
  narrowphase, containment tests and interference volumes) with the cache warm: median
  of ``--repeats`` runs, which path answered each volume (the boundary integral, or the
  manifold3d boolean and why), and the same check without volumes;
- trimesh's ``CollisionManager.in_collision_internal(return_names=True)`` on the same
  scene (manager filled once; surface hits only: no containment, no volumes), median;
- fcl's ``DynamicAABBTreeCollisionManager`` broadphase (fill + pair query), median,
  against the numpy broadphase.

Timings on this shared machine move with load: compare within one run.

Usage: python bench/collision.py [--parts 100] [--overlaps 10] [--repeats 25] [--seed 7]
    [--json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from typing import Any

import fcl
import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

from cadml.geometry.mesh import Mesh, mesh_from_triangulation
from cadml.physics.clearance import ClearancePart, clearance
from cadml.physics.collision import BvhCache, CollisionPart, PairCache, check_collisions, volume
from cadml.physics.collision.boundary_volume import warm_up
from cadml.physics.collision.broadphase import candidate_pairs
from cadml.physics.collision.scene import world_aabb

__all__ = ["bench_collision", "make_meshes", "make_scene"]

CUBE_MM = 1000.0


def _to_mesh(tm: trimesh.Trimesh) -> Mesh:
    return mesh_from_triangulation(tm.vertices, tm.faces, 0.01, 0.1)


def _shape(kind: int, size: float, resolution: int) -> trimesh.Trimesh:
    if kind == 0:
        return trimesh.creation.uv_sphere(radius=size / 2, count=[resolution, resolution])
    if kind == 1:
        cylinder = trimesh.creation.cylinder(radius=size / 4, height=size, sections=48)
        return cylinder.subdivide_to_size(size / resolution, max_iter=20)
    if kind == 2:
        return trimesh.creation.capsule(height=size / 2, radius=size / 4, count=[resolution] * 2)
    if kind == 3:
        return trimesh.creation.torus(
            major_radius=size / 3,
            minor_radius=size / 9,
            major_sections=2 * resolution,
            minor_sections=max(8, resolution // 3),
        )
    return trimesh.creation.box(extents=(size, size / 2, size / 3)).subdivide_to_size(
        size / resolution, max_iter=20
    )


def make_meshes(count: int, seed: int) -> list[Mesh]:
    """``count`` closed meshes of 1k-5k triangles, 10-45 mm across, of five kinds.

    Each mesh draws a target triangle count in [1000, 5000] and takes the smallest
    resolution of its kind that reaches it.
    """
    rng = np.random.default_rng(seed)
    meshes = []
    for index in range(count):
        kind = index % 5
        size = float(rng.uniform(10.0, 45.0))
        target = int(rng.integers(1000, 5000))
        resolution = 8
        tm = _shape(kind, size, resolution)
        while len(tm.faces) < target:
            resolution += 1
            tm = _shape(kind, size, resolution)
        if len(tm.faces) > 5000:
            resolution -= 1
            tm = _shape(kind, size, resolution)
        meshes.append(_to_mesh(tm))
    return meshes


def make_scene(meshes: list[Mesh], overlaps: int, seed: int) -> list[CollisionPart]:
    """Parts at seeded random poses in a 1 m cube; pairs (2k, 2k+1), k < overlaps, overlap."""
    rng = np.random.default_rng(seed + 1)
    rotations = Rotation.random(len(meshes), random_state=seed + 2).as_matrix()
    centres = rng.uniform(50.0, CUBE_MM - 50.0, (len(meshes), 3))
    radii = [
        float(np.linalg.norm(m.vertices - m.vertices.mean(axis=0), axis=1).max()) for m in meshes
    ]
    for k in range(overlaps):
        a, b = 2 * k, 2 * k + 1
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction)
        centres[b] = centres[a] + direction * 0.3 * min(radii[a], radii[b])
    parts = []
    for index, mesh in enumerate(meshes):
        transform = np.eye(4)
        transform[:3, :3] = rotations[index]
        transform[:3, 3] = centres[index] - rotations[index] @ mesh.vertices.mean(axis=0)
        parts.append(CollisionPart(f"part{index:03d}", mesh, transform, f"geom{index:03d}"))
    return parts


def _median_ms(fn: Any, repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), result


def _trimesh_manager(parts: list[CollisionPart]) -> trimesh.collision.CollisionManager:
    manager = trimesh.collision.CollisionManager()
    for p in parts:
        tm = trimesh.Trimesh(p.mesh.vertices, p.mesh.triangles, process=False)
        manager.add_object(p.id, tm, transform=np.asarray(p.transform_mm))
    return manager


def _fcl_broadphase(objects: list[Any]) -> int:
    """Fill a DynamicAABBTreeCollisionManager and list its box-overlapping pairs."""
    manager = fcl.DynamicAABBTreeCollisionManager()
    manager.registerObjects(objects)
    manager.setup()
    found: list[tuple[Any, Any]] = []

    def collect(o1: Any, o2: Any, data: Any) -> bool:
        found.append((o1, o2))
        return False

    manager.collide(None, collect)
    return len(found)


def _incremental(
    scene: list[CollisionPart], cache: BvhCache, memo: PairCache, repeats: int, seed: int
) -> list[float]:
    """Per check: move one random part by 10 µm, re-check with the pair memo (ms)."""
    rng = np.random.default_rng(seed + 3)
    parts = list(scene)
    times = []
    for _ in range(repeats):
        index = int(rng.integers(len(parts)))
        moved = np.array(parts[index].transform_mm)
        moved[:3, 3] += rng.normal(size=3) * 0.01
        old = parts[index]
        parts[index] = CollisionPart(old.id, old.mesh, moved, old.geometry_key)
        start = time.perf_counter()
        check_collisions(parts, cache=cache, pair_cache=memo)
        times.append((time.perf_counter() - start) * 1e3)
    return times


def bench_collision(parts: int, overlaps: int, repeats: int, seed: int) -> dict[str, Any]:
    """Run the benchmark and return its figures (ms)."""
    kernel_load_ms = warm_up() * 1e3
    meshes = make_meshes(parts, seed)
    scene = make_scene(meshes, overlaps, seed)
    triangles = [m.triangle_count for m in meshes]
    cache = BvhCache()
    start = time.perf_counter()
    for p in scene:
        cache.get(p)
    build_ms = (time.perf_counter() - start) * 1e3

    start = time.perf_counter()
    check_collisions(scene, cache=cache)
    first_check_ms = (time.perf_counter() - start) * 1e3
    volume.PATH_COUNTS.clear()
    full_ms, report = _median_ms(lambda: check_collisions(scene, cache=cache), repeats)
    paths = {path: count / repeats for path, count in sorted(volume.PATH_COUNTS.items())}
    stage_runs = [check_collisions(scene, cache=cache).timings for _ in range(repeats)]
    memo = PairCache()
    check_collisions(scene, cache=cache, pair_cache=memo)
    warm_ms, warm = _median_ms(
        lambda: check_collisions(scene, cache=cache, pair_cache=memo), repeats
    )
    assert warm.to_dict() == report.to_dict()
    incremental_ms = _incremental(scene, cache, memo, repeats, seed)
    no_volumes_ms, _ = _median_ms(
        lambda: check_collisions(scene, cache=cache, compute_volumes=False), repeats
    )
    # all clearances under 10 mm: the bench parts are meshes (no B-rep), so this is the
    # mesh answer; B-rep parts add an exact distance for pairs near contact
    clear_parts = [
        ClearancePart(p.id, p.mesh, np.asarray(p.transform_mm), None, p.geometry_key) for p in scene
    ]
    clear_cache: dict[Any, Any] = {}
    start = time.perf_counter()
    clearance(clear_parts, threshold_mm=10.0, bvh_cache=clear_cache)
    clearance_cold_ms = (time.perf_counter() - start) * 1e3
    clearance_ms, clear_report = _median_ms(
        lambda: clearance(clear_parts, threshold_mm=10.0, bvh_cache=clear_cache), repeats
    )

    geos = [cache.get(p) for p in scene]
    boxes = [
        world_aabb(g.aabb_min, g.aabb_max, np.asarray(p.transform_mm))
        for g, p in zip(geos, scene, strict=True)
    ]
    lo, hi = np.array([b[0] for b in boxes]), np.array([b[1] for b in boxes])
    numpy_broad_ms, _ = _median_ms(lambda: candidate_pairs(lo, hi, 0.001), repeats)
    objects = [
        fcl.CollisionObject(
            g.bvh,
            fcl.Transform(np.asarray(p.transform_mm)[:3, :3], np.asarray(p.transform_mm)[:3, 3]),
        )
        for g, p in zip(geos, scene, strict=True)
    ]
    fcl_manager_ms, _ = _median_ms(lambda: _fcl_broadphase(objects), repeats)

    start = time.perf_counter()
    manager = _trimesh_manager(scene)
    trimesh_build_ms = (time.perf_counter() - start) * 1e3
    trimesh_ms, (_hit, names) = _median_ms(
        lambda: manager.in_collision_internal(return_names=True), repeats
    )
    ours = {(p.part_a, p.part_b) for p in report.pairs if p.kind != "touching"}
    theirs = {tuple(sorted(n)) for n in names}
    return {
        "parts": parts,
        "forced_overlaps": overlaps,
        "triangles_min": min(triangles),
        "triangles_max": max(triangles),
        "triangles_total": sum(triangles),
        "repeats": repeats,
        "kernel_load_ms": kernel_load_ms,
        "bvh_build_ms": build_ms,
        "first_check_ms": first_check_ms,
        "full_check_median_ms": full_ms,
        "stage_median_ms": {
            name: statistics.median(getattr(t, name) for t in stage_runs)
            for name in ("broadphase_ms", "narrowphase_ms", "volumes_ms")
        },
        "volume_paths_per_check": paths,
        "check_without_volumes_median_ms": no_volumes_ms,
        "clearance_10mm_median_ms": clearance_ms,
        "clearance_10mm_cold_ms": clearance_cold_ms,
        "clearance_10mm_pairs": len(clear_report.pairs),
        "warm_pair_memo_median_ms": warm_ms,
        "one_part_moved_median_ms": statistics.median(incremental_ms),
        "one_part_moved_max_ms": max(incremental_ms),
        "trimesh_manager_build_ms": trimesh_build_ms,
        "trimesh_in_collision_internal_median_ms": trimesh_ms,
        "ratio_full_check_to_trimesh": full_ms / trimesh_ms,
        "numpy_broadphase_median_ms": numpy_broad_ms,
        "fcl_dynamic_aabb_manager_median_ms": fcl_manager_ms,
        "pairs": {
            "candidates": report.candidate_count,
            "reported": len(report.pairs),
            "counts": report.counts(),
            "trimesh_pairs": len(theirs),
            "colliding_pairs_equal_trimesh_pairs": ours == theirs,
        },
        "pair_volumes_mm3": {
            f"{p.part_a}-{p.part_b}": p.volume_mm3 for p in report.pairs if p.kind == "overlap"
        },
        "platform": platform.platform(),
    }


def _table(r: dict[str, Any]) -> str:
    rows = [
        (
            "scene",
            f"{r['parts']} parts, {r['triangles_min']}-{r['triangles_max']} triangles each "
            f"({r['triangles_total']} total), {r['forced_overlaps']} forced overlaps",
        ),
        ("kernel load (first use in process)", f"{r['kernel_load_ms']:.1f} ms"),
        ("BVH build (total, cold cache)", f"{r['bvh_build_ms']:.1f} ms"),
        ("first check (untimed warm-up)", f"{r['first_check_ms']:.1f} ms"),
        ("full check, median (pairs + volumes)", f"{r['full_check_median_ms']:.2f} ms"),
        (
            "  broadphase / narrowphase / volumes",
            " / ".join(
                f"{r['stage_median_ms'][k]:.2f}"
                for k in ("broadphase_ms", "narrowphase_ms", "volumes_ms")
            )
            + " ms",
        ),
        (
            "  volume paths per check",
            json.dumps(r["volume_paths_per_check"]),
        ),
        ("check without volumes, median", f"{r['check_without_volumes_median_ms']:.2f} ms"),
        (
            "all clearances under 10 mm (mesh), median / first",
            f"{r['clearance_10mm_median_ms']:.2f} / {r['clearance_10mm_cold_ms']:.1f} ms"
            f" ({r['clearance_10mm_pairs']} pairs)",
        ),
        ("re-check, nothing moved (pair memo), median", f"{r['warm_pair_memo_median_ms']:.2f} ms"),
        (
            "re-check, one part moved (pair memo), median / max",
            f"{r['one_part_moved_median_ms']:.2f} / {r['one_part_moved_max_ms']:.2f} ms",
        ),
        ("trimesh CollisionManager fill", f"{r['trimesh_manager_build_ms']:.1f} ms"),
        (
            "trimesh in_collision_internal, median",
            f"{r['trimesh_in_collision_internal_median_ms']:.2f} ms",
        ),
        ("ratio full check / trimesh", f"{r['ratio_full_check_to_trimesh']:.2f}x"),
        (
            "numpy broadphase / fcl DynamicAABBTree (fill+collide)",
            f"{r['numpy_broadphase_median_ms']:.3f} / "
            f"{r['fcl_dynamic_aabb_manager_median_ms']:.3f} ms",
        ),
        (
            "pairs: candidates / reported / trimesh",
            f"{r['pairs']['candidates']} / {r['pairs']['reported']} / "
            f"{r['pairs']['trimesh_pairs']}",
        ),
        ("kinds", json.dumps(r["pairs"]["counts"]["kind"])),
        (
            "colliding pairs == trimesh's pairs",
            str(r["pairs"]["colliding_pairs_equal_trimesh_pairs"]),
        ),
    ]
    rows += [(f"  volume {pair} (mm3)", repr(v)) for pair, v in r["pair_volumes_mm3"].items()]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=100)
    parser.add_argument("--overlaps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=25)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = bench_collision(args.parts, args.overlaps, args.repeats, args.seed)
    print(json.dumps(result, indent=2) if args.json else _table(result))


if __name__ == "__main__":
    main()
