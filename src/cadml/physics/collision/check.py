"""The collision check of a scene of placed parts.

Stages, each timed in the report:

1. **Broadphase** (:mod:`.broadphase`): world boxes of every part (its local box moved by
   its placement) and the pairs whose boxes come within the tolerance.
2. **Narrowphase**: ``fcl.collide`` on the two BVHs asking for ONE contact (asking for
   all contacts is 100-300× slower). Pairs whose surfaces do not meet get an explicit
   containment test (a surface BVH cannot see a part inside another: one vertex of each
   part is tested against the other with the winding number, :mod:`.containment`) and,
   failing that, an fcl distance query to find touches and near misses.
3. **Volumes** (:mod:`.volume`): the common region of every surface hit (an exact boundary
   integral in compiled kernels, manifold3d when that cannot decide), giving the common
   volume, the depth estimate ``2V/S``, the centroid and the faces involved. A hit's
   volume starts on one of two pool threads as soon as the narrowphase finds it (the
   kernels release the GIL), so volumes and the narrowphase of the next pairs run on both
   cores; the stage's time is what is left to wait after the narrowphase. A containment
   needs no boolean: the common region is the inner part.
4. **Exact** (optional): meshes deviate from the exact surface by up to their deflection,
   so an answer inside the band ``δa + δb + tolerance`` may be an artefact (a 5 µm
   pin-in-hole clearance reads as a 2.1 mm³ interference at δ = 0.1 mm). With an
   ``exact`` callable (B-rep common volume, for example built on
   :func:`cadml.geometry.interference.common_volume_mm3`) such pairs are decided
   exactly: a common volume ≤ tolerance³ clears the pair (listed in
   ``report.cleared``), anything larger is an overlap with the exact volume. With
   ``exact_policy="all"`` every overlap and containment also gets its exact volume.
   Without ``exact``, band answers are reported with severity ``uncertain`` and
   ``confirmed=False``; tessellating finer (δ well below the clearance) is the other cure.

Examples:
    >>> import numpy as np
    >>> from cadml.geometry.mesh import Mesh
    >>> v = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], float)
    >>> t = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
    ...               [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    >>> cube = Mesh(v, t, 0.0, 0.1)
    >>> moved = np.eye(4); moved[:3, 3] = (0.5, 0.5, 0.5)
    >>> parts = [CollisionPart("a", cube, np.eye(4), "cube"),
    ...          CollisionPart("b", cube, moved, "cube")]
    >>> report = check_collisions(parts, cache=BvhCache())
    >>> pair = report.pairs[0]
    >>> pair.kind, pair.severity, round(pair.volume_mm3, 9)
    ('overlap', 'major', 0.125)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import fcl
import numpy as np
import numpy.typing as npt

from cadml.errors import ValidationError
from cadml.physics.collision.broadphase import candidate_pairs
from cadml.physics.collision.cache import BvhCache, CachedGeometry
from cadml.physics.collision.contact_faces import area_contact_faces
from cadml.physics.collision.containment import point_inside
from cadml.physics.collision.pair_cache import MISS, PairCache
from cadml.physics.collision.report import ClearedPair, CollisionPair, CollisionReport, Timings
from cadml.physics.collision.scene import (
    CollisionPart,
    check_parts,
    relative_transform,
    world_aabbs,
)
from cadml.physics.collision.severity import Kind, classify
from cadml.physics.collision.volume import Interference, intersect

__all__ = ["DEFAULT_TOLERANCE_MM", "ExactCommonFn", "ExactPolicy", "check_collisions"]

DEFAULT_TOLERANCE_MM = 0.001
"""Surfaces closer than this (mm), or a common film thinner than it, count as touching."""

ExactCommonFn = Callable[[CollisionPart, CollisionPart], float]
"""``exact(part_a, part_b) -> common volume (mm³)`` of the two placed exact B-reps."""

ExactPolicy = Literal["near", "all"]
_POLICIES = ("near", "all")
_VOLUME_THREADS = 2
"""Threads computing interference volumes (this platform's machines have 2 cores). The
boundary-integral kernels release the GIL: on the collision bench the volumes stage went
from 22 to 12 ms, and the narrowphase runs meanwhile."""


class _Stage:
    """Accumulates wall-clock time of a stage across pairs."""

    __slots__ = ("_start", "seconds")

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0

    def __enter__(self) -> _Stage:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds += time.perf_counter() - self._start


def _fcl_object(geo: CachedGeometry, transform: npt.NDArray[np.float64]) -> Any:
    return fcl.CollisionObject(
        geo.bvh, fcl.Transform(np.ascontiguousarray(transform[:3, :3]), transform[:3, 3].copy())
    )


def _world(point: npt.ArrayLike) -> tuple[float, float, float]:
    p = np.asarray(point, dtype=np.float64).reshape(3)
    return (float(p[0]), float(p[1]), float(p[2]))


def _inside(
    inner: CachedGeometry,
    inner_tf: npt.NDArray[np.float64],
    outer: CachedGeometry,
    outer_tf: npt.NDArray[np.float64],
    outer_lo: npt.NDArray[np.float64],
    outer_hi: npt.NDArray[np.float64],
) -> bool:
    point = inner_tf[:3, :3] @ inner.mesh.vertices[0] + inner_tf[:3, 3]
    if np.any(point < outer_lo) or np.any(point > outer_hi):
        return False
    local = outer_tf[:3, :3].T @ (point - outer_tf[:3, 3])
    return point_inside(outer.corners, local)


def _contained_region(
    inner: CachedGeometry, inner_tf: npt.NDArray[np.float64]
) -> tuple[tuple[float, float, float], tuple[int, ...]]:
    local, faces = inner.solid_region
    return _world(inner_tf[:3, :3] @ local + inner_tf[:3, 3]), faces


def _touch_faces(
    ctx: _PairContext,
    geos: tuple[CachedGeometry, CachedGeometry],
    tf_a: npt.NDArray[np.float64],
    tf_b: npt.NDArray[np.float64],
    fallback: tuple[tuple[int, ...], tuple[int, ...]],
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    with ctx.narrow:
        faces = area_contact_faces(
            geos[0].corners,
            geos[0].face_ids,
            tf_a,
            geos[1].corners,
            geos[1].face_ids,
            tf_b,
            ctx.tol,
        )
    return faces if faces[0] and faces[1] else fallback


def _validate(tolerance_mm: float, exact_policy: str) -> None:
    if not np.isfinite(tolerance_mm) or tolerance_mm < 0:
        raise ValidationError(
            "PHYSICS_COLLISION_INVALID_OPTION",
            details={"field": "tolerance_mm", "value": tolerance_mm, "allowed": ">= 0 mm"},
        )
    if exact_policy not in _POLICIES:
        raise ValidationError(
            "PHYSICS_COLLISION_INVALID_OPTION",
            details={"field": "exact_policy", "value": exact_policy, "allowed": "near, all"},
        )


class _PairContext:
    """What the per-pair decision needs, shared across the pairs of one check."""

    def __init__(
        self,
        tolerance_mm: float,
        compute_volumes: bool,
        exact: ExactCommonFn | None,
        exact_policy: str,
    ) -> None:
        self.tol = tolerance_mm
        self.compute_volumes = compute_volumes
        self.exact = exact
        self.policy = exact_policy
        self.narrow = _Stage()
        self.volumes = _Stage()
        self.exact_stage = _Stage()
        self.request = fcl.CollisionRequest(num_max_contacts=1, enable_contact=True)
        self.distance_request = fcl.DistanceRequest(enable_nearest_points=True)

    def exact_volume(self, a: CollisionPart, b: CollisionPart) -> float:
        assert self.exact is not None
        with self.exact_stage:
            return float(self.exact(a, b))


@dataclass(slots=True)
class _Hit:
    """A pair whose surfaces meet, waiting for its common volume."""

    parts: tuple[CollisionPart, CollisionPart]
    geos: tuple[CachedGeometry, CachedGeometry]
    tf_a: npt.NDArray[np.float64]
    tf_b: npt.NDArray[np.float64]
    contact_point: tuple[float, float, float]
    touch_faces: tuple[tuple[int, ...], tuple[int, ...]]

    def volume(self) -> Interference:
        """The common region (compiled kernels that release the GIL: thread-safe)."""
        geo_a, geo_b = self.geos
        return intersect(geo_a, self.tf_a, geo_b, relative_transform(self.tf_a, self.tf_b))


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _volume_pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=_VOLUME_THREADS, thread_name_prefix="volume")
        return _POOL


def _pair(
    ctx: _PairContext,
    parts: tuple[CollisionPart, CollisionPart],
    geos: tuple[CachedGeometry, CachedGeometry],
    objects: tuple[Any, Any],
    boxes: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
) -> CollisionPair | ClearedPair | _Hit | None:
    """The pair's answer, or a :class:`_Hit` when its common volume is still needed."""
    part_a, part_b = parts
    geo_a, geo_b = geos
    tf_a = np.asarray(part_a.transform_mm, dtype=np.float64)
    tf_b = np.asarray(part_b.transform_mm, dtype=np.float64)
    band = geo_a.deflection_mm + geo_b.deflection_mm
    tol = ctx.tol
    with ctx.narrow:
        result = fcl.CollisionResult()
        hit = fcl.collide(objects[0], objects[1], ctx.request, result) > 0
    kind: Kind
    exact_volume: float | None = None
    volume: float | None = None
    depth: float | None = None
    centroid: tuple[float, float, float] | None = None
    faces_a: tuple[int, ...] = ()
    faces_b: tuple[int, ...] = ()
    if hit:
        contact = result.contacts[0]
        contact_point: tuple[float, float, float] | None = _world(contact.pos)
        touch_faces = ((int(geo_a.face_ids[contact.b1]),), (int(geo_b.face_ids[contact.b2]),))
        if ctx.compute_volumes:
            assert contact_point is not None
            return _Hit(parts, geos, tf_a, tf_b, contact_point, touch_faces)
        kind, confirmed = "overlap", False
        faces_a, faces_b = touch_faces
    else:
        (lo_a, hi_a), (lo_b, hi_b) = boxes
        with ctx.narrow:
            a_in_b = _inside(geo_a, tf_a, geo_b, tf_b, lo_b, hi_b)
            b_in_a = not a_in_b and _inside(geo_b, tf_b, geo_a, tf_a, lo_a, hi_a)
        if a_in_b or b_in_a:
            kind, confirmed = "containment", True
            inner, inner_tf = (geo_a, tf_a) if a_in_b else (geo_b, tf_b)
            centroid, inner_faces = _contained_region(inner, inner_tf)
            volume = inner.volume_mm3
            faces_a, faces_b = (inner_faces, ()) if a_in_b else ((), inner_faces)
            contact_point = None
        else:
            with ctx.narrow:
                dres = fcl.DistanceResult()
                gap = fcl.distance(objects[0], objects[1], ctx.distance_request, dres)
            if gap <= tol:
                kind, confirmed = "touching", band <= tol
                mid = 0.5 * (
                    np.asarray(dres.nearest_points[0]) + np.asarray(dres.nearest_points[1])
                )
                contact_point = _world(mid)
                nearest = ((int(geo_a.face_ids[dres.b1]),), (int(geo_b.face_ids[dres.b2]),))
                faces_a, faces_b = _touch_faces(ctx, geos, tf_a, tf_b, nearest)
                volume = 0.0 if ctx.compute_volumes else None
                depth = 0.0 if ctx.compute_volumes else None
            elif gap <= band and ctx.exact is not None:
                exact_volume = ctx.exact_volume(part_a, part_b)
                if exact_volume <= tol**3:
                    return None
                kind, confirmed, contact_point = "overlap", True, None
                volume = 0.0
            else:
                return None
    return _answer(
        ctx, parts, geos, kind, confirmed, exact_volume, volume, depth, contact_point, centroid,
        (faces_a, faces_b),
    )  # fmt: skip


def _after_volume(
    ctx: _PairContext, hit: _Hit, region: Interference
) -> CollisionPair | ClearedPair:
    """The answer of a hit once its common region is known."""
    part_a, part_b = hit.parts
    geo_a, geo_b = hit.geos
    tol = ctx.tol
    band = geo_a.deflection_mm + geo_b.deflection_mm
    volume, depth, centroid = region.volume_mm3, region.depth_mm, region.centroid_mm
    faces = (region.faces_a, region.faces_b) if volume > 0 else hit.touch_faces
    exact_volume: float | None = None
    kind: Kind
    if depth <= tol:
        kind, confirmed = "touching", band <= tol
        if volume == 0:
            faces = _touch_faces(ctx, hit.geos, hit.tf_a, hit.tf_b, hit.touch_faces)
    elif depth <= band + tol and ctx.exact is not None:
        exact_volume = ctx.exact_volume(part_a, part_b)
        if exact_volume <= tol**3:
            return ClearedPair(part_a.id, part_b.id, volume, exact_volume)
        kind, confirmed = "overlap", True
    else:
        kind, confirmed = "overlap", depth > band + tol
    return _answer(
        ctx, hit.parts, hit.geos, kind, confirmed, exact_volume, volume, depth,
        hit.contact_point, centroid, faces,
    )  # fmt: skip


def _answer(
    ctx: _PairContext,
    parts: tuple[CollisionPart, CollisionPart],
    geos: tuple[CachedGeometry, CachedGeometry],
    kind: Kind,
    confirmed: bool,
    exact_volume: float | None,
    volume: float | None,
    depth: float | None,
    contact_point: tuple[float, float, float] | None,
    centroid: tuple[float, float, float] | None,
    faces: tuple[tuple[int, ...], tuple[int, ...]],
) -> CollisionPair | ClearedPair:
    """The pair's report entry (with the exact volume when the policy asks for it)."""
    part_a, part_b = parts
    tol = ctx.tol
    if (
        ctx.exact is not None
        and ctx.policy == "all"
        and exact_volume is None
        and kind != "touching"
    ):
        exact_volume = ctx.exact_volume(part_a, part_b)
        if exact_volume <= tol**3:
            return ClearedPair(part_a.id, part_b.id, volume or 0.0, exact_volume)
        confirmed = True
    common = exact_volume if exact_volume is not None else volume
    smaller = min(geos[0].volume_mm3, geos[1].volume_mm3)
    fraction = None if common is None or smaller <= 0 else common / smaller
    return CollisionPair(
        part_a=part_a.id,
        part_b=part_b.id,
        kind=kind,
        severity=classify(kind, volume_fraction=fraction, confirmed=confirmed),
        confirmed=confirmed,
        volume_mm3=volume,
        exact_volume_mm3=exact_volume,
        volume_fraction=fraction,
        depth_mm=depth,
        contact_point_mm=contact_point,
        centroid_mm=centroid,
        faces_a=faces[0],
        faces_b=faces[1],
    )


def _collect(answer: object, found: list[CollisionPair], cleared: list[ClearedPair]) -> None:
    if isinstance(answer, CollisionPair):
        found.append(answer)
    elif isinstance(answer, ClearedPair):
        cleared.append(answer)


def check_collisions(
    parts: Sequence[CollisionPart],
    *,
    cache: BvhCache,
    tolerance_mm: float = DEFAULT_TOLERANCE_MM,
    compute_volumes: bool = True,
    exact: ExactCommonFn | None = None,
    exact_policy: ExactPolicy = "near",
    pair_cache: PairCache | None = None,
) -> CollisionReport:
    """Find every pair of parts that overlap, nest or touch.

    Args:
        parts: the placed parts (unique ids, rigid transforms, closed meshes).
        cache: geometry cache; parts sharing a ``geometry_key`` share its BVH.
        tolerance_mm: surfaces closer than this, or a common film thinner than this,
            count as touching rather than overlapping.
        compute_volumes: compute the common volume of every surface hit. Without it a
            surface hit is reported as an ``overlap`` of unknown volume and severity
            ``uncertain`` (touching and overlapping cannot be told apart).
        exact: optional exact B-rep common volume of two placed parts (see module doc).
        exact_policy: ``"near"`` consults ``exact`` only inside the tessellation band;
            ``"all"`` for every overlap and containment too.
        pair_cache: optional memo of pair answers across checks: pairs whose two parts
            kept their placements (byte for byte) are not recomputed
            (:mod:`.pair_cache`).

    Returns:
        The report, pairs sorted by ``(part_a, part_b)`` with ``part_a < part_b``.

    Raises:
        ValidationError: for invalid parts or options (``PHYSICS_COLLISION_*``).
    """
    start = time.perf_counter()
    _validate(tolerance_mm, exact_policy)
    check_parts(parts)
    ordered = sorted(parts, key=lambda p: p.id)
    geos = [cache.get(p) for p in ordered]
    broad = time.perf_counter()
    stack = np.array([p.transform_mm for p in ordered], dtype=np.float64).reshape(-1, 4, 4)
    transforms = list(stack)
    lo, hi = world_aabbs(
        np.array([g.aabb_min for g in geos]).reshape(-1, 3),
        np.array([g.aabb_max for g in geos]).reshape(-1, 3),
        stack,
    )
    boxes = list(zip(lo, hi, strict=True))
    candidates = candidate_pairs(lo, hi, tolerance_mm)
    broad_s = time.perf_counter() - broad
    ctx = _PairContext(tolerance_mm, compute_volumes, exact, exact_policy)
    objects: dict[int, Any] = {}
    found: list[CollisionPair] = []
    cleared: list[ClearedPair] = []
    options = (tolerance_mm, compute_volumes, exact is not None, exact_policy)
    placements = [t.tobytes() for t in transforms] if pair_cache is not None else []
    hits: list[_Hit] = []
    jobs: list[Future[Interference]] = []
    pending: list[tuple[int, tuple[Any, ...]]] = []  # (index in answers, memo key) per hit
    answers: list[object] = []  # in candidate order
    for i, j in candidates:
        key: tuple[Any, ...] = ()
        if pair_cache is not None:
            key = (ordered[i].id, ordered[j].id, geos[i].key, geos[j].key)
            key += (placements[i], placements[j], options)
            answer = pair_cache.get(key)
            if answer is not MISS:
                answers.append(answer)
                continue
        with ctx.narrow:
            for k in (i, j):
                if k not in objects:
                    objects[k] = _fcl_object(geos[k], transforms[k])
        answer = _pair(
            ctx,
            (ordered[i], ordered[j]),
            (geos[i], geos[j]),
            (objects[i], objects[j]),
            (boxes[i], boxes[j]),
        )
        if isinstance(answer, _Hit):
            # started at once: the volume runs on a pool thread (its kernels release the
            # GIL) while this thread goes on with the narrowphase of the next pairs
            jobs.append(_volume_pool().submit(answer.volume))
            hits.append(answer)
            pending.append((len(answers), key))
        elif pair_cache is not None:
            pair_cache.put(key, answer)
        answers.append(answer)
    # the volumes of all hits at once (two threads), then their answers in order
    with ctx.volumes:  # what is left of the volumes once the narrowphase is done
        regions = [job.result() for job in jobs]
    for hit, region, (index, key) in zip(hits, regions, pending, strict=True):
        answers[index] = _after_volume(ctx, hit, region)
        if pair_cache is not None:
            pair_cache.put(key, answers[index])
    for answer in answers:
        _collect(answer, found, cleared)
    timings = Timings(
        broadphase_ms=broad_s * 1e3,
        narrowphase_ms=ctx.narrow.seconds * 1e3,
        volumes_ms=ctx.volumes.seconds * 1e3,
        exact_ms=ctx.exact_stage.seconds * 1e3,
        total_ms=(time.perf_counter() - start) * 1e3,
    )
    return CollisionReport(
        pairs=tuple(found),
        cleared=tuple(cleared),
        part_count=len(ordered),
        candidate_count=len(candidates),
        tolerance_mm=float(tolerance_mm),
        timings=timings,
    )
