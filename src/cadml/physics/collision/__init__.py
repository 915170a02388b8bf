"""Collision checking of placed parts: overlap, containment and touching, with volumes.

Kernel-free: meshes in, a report out. The exact B-rep common volume, when wanted, comes
in through the ``exact`` callable (see :mod:`cadml.geometry.interference`).

Public API:
    - :class:`CollisionPart` — a part placed in the world (mesh, 4×4 placement, key).
    - :class:`BvhCache` / :class:`CachedGeometry` — per-geometry BVH (fcl OBBRSS),
      manifold3d solid, volume and box, LRU by geometry key; reusable by other checks:
      ``cache.get(part).bvh`` is an fcl ``BVHModel`` in the part's local frame.
    - :func:`check_collisions` — the check; :class:`CollisionReport` its answer.
    - :class:`PairCache` — optional memo of pair answers across checks of a scene in
      which few parts move.
"""

from cadml.physics.collision.cache import BvhCache, CachedGeometry, build_geometry
from cadml.physics.collision.check import (
    DEFAULT_TOLERANCE_MM,
    ExactCommonFn,
    ExactPolicy,
    check_collisions,
)
from cadml.physics.collision.pair_cache import PairCache
from cadml.physics.collision.report import ClearedPair, CollisionPair, CollisionReport, Timings
from cadml.physics.collision.scene import CollisionPart
from cadml.physics.collision.severity import MINOR_VOLUME_FRACTION, Kind, Severity

__all__ = [
    "DEFAULT_TOLERANCE_MM",
    "MINOR_VOLUME_FRACTION",
    "BvhCache",
    "CachedGeometry",
    "ClearedPair",
    "CollisionPair",
    "CollisionPart",
    "CollisionReport",
    "ExactCommonFn",
    "ExactPolicy",
    "Kind",
    "PairCache",
    "Severity",
    "Timings",
    "build_geometry",
    "check_collisions",
]
