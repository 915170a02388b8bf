"""A part placed in a collision scene: its mesh, its rigid placement and its geometry key.

Plain data plus the small amount of rigid-transform arithmetic every stage needs
(world bounding boxes, relative poses). Lengths are millimetres (the CAD boundary):
interferences of micrometres are compared with tolerances of one, so values stay in the
units the designer wrote them in.

Examples:
    >>> import numpy as np
    >>> from cadml.geometry.mesh import Mesh
    >>> tri = Mesh(np.eye(3), np.array([[0, 1, 2]]), 0.01, 0.1)
    >>> part = CollisionPart("p", tri, np.eye(4), "k")
    >>> part.id, part.transform_mm.shape
    ('p', (4, 4))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from cadml.errors import ValidationError
from cadml.geometry.mesh import Mesh

__all__ = [
    "RIGID_TOLERANCE",
    "CollisionPart",
    "check_parts",
    "relative_transform",
    "world_aabb",
    "world_aabbs",
]

RIGID_TOLERANCE = 1e-6
"""Largest deviation of ``RᵀR`` from the identity accepted for a rotation block."""


@dataclass(frozen=True, eq=False)
class CollisionPart:
    """A part placed in the world.

    Args:
        id: unique name of the part in the check.
        mesh: its closed tessellation in its own frame, mm, ideally with ``face_ids``.
        transform_mm: ``(4, 4)`` rigid placement: rotation block and translation in mm.
        geometry_key: identity of the geometry (for example the sha256 of the BREP or
            mesh). Parts with the same key share one cached BVH and solid; two parts
            with different meshes must not share a key.
    """

    id: str
    mesh: Mesh
    transform_mm: npt.NDArray[np.float64] = field(repr=False)
    geometry_key: str

    @property
    def rotation(self) -> npt.NDArray[np.float64]:
        """The ``(3, 3)`` rotation block of the placement."""
        return np.asarray(self.transform_mm, dtype=np.float64)[:3, :3]

    @property
    def translation_mm(self) -> npt.NDArray[np.float64]:
        """The ``(3,)`` translation of the placement, mm."""
        return np.asarray(self.transform_mm, dtype=np.float64)[:3, 3]


def _check_transform(part: CollisionPart) -> None:
    matrix = np.asarray(part.transform_mm, dtype=np.float64)
    reason = ""
    if matrix.shape != (4, 4):
        reason = f"shape {matrix.shape} is not (4, 4)"
    elif not np.all(np.isfinite(matrix)):
        reason = "it contains NaN or infinity"
    elif not np.allclose(matrix[3], (0.0, 0.0, 0.0, 1.0), rtol=0.0, atol=1e-12):
        reason = "the last row is not (0, 0, 0, 1)"
    else:
        rot = matrix[:3, :3]
        if np.abs(rot.T @ rot - np.eye(3)).max() > RIGID_TOLERANCE or np.linalg.det(rot) <= 0:
            reason = "the 3x3 block is not a proper rotation (scaling or mirroring)"
    if reason:
        raise ValidationError(
            "PHYSICS_COLLISION_INVALID_TRANSFORM", details={"part": part.id, "reason": reason}
        )


def check_parts(parts: Sequence[CollisionPart]) -> None:
    """Validate a scene: unique ids, rigid transforms, non-empty meshes.

    The transforms are checked together in numpy; the first bad one is named.

    Raises:
        ValidationError: ``PHYSICS_COLLISION_DUPLICATE_PART``,
            ``PHYSICS_COLLISION_INVALID_TRANSFORM`` or ``PHYSICS_COLLISION_EMPTY_MESH``.
    """
    seen: set[str] = set()
    for part in parts:
        if part.id in seen:
            raise ValidationError("PHYSICS_COLLISION_DUPLICATE_PART", details={"part": part.id})
        seen.add(part.id)
        if np.shape(part.transform_mm) != (4, 4):
            _check_transform(part)
        if part.mesh.triangle_count == 0:
            raise ValidationError("PHYSICS_COLLISION_EMPTY_MESH", details={"part": part.id})
    if not parts:
        return
    stack = np.array([p.transform_mm for p in parts], dtype=np.float64)
    rot = stack[:, :3, :3]
    with np.errstate(invalid="ignore"):
        gram = np.abs(np.einsum("nji,njk->nik", rot, rot) - np.eye(3)).max(axis=(1, 2))
        bad = (
            ~np.all(np.isfinite(stack), axis=(1, 2))
            | np.any(np.abs(stack[:, 3] - (0.0, 0.0, 0.0, 1.0)) > 1e-12, axis=1)
            | ~(gram <= RIGID_TOLERANCE)
            | ~(np.linalg.det(np.nan_to_num(rot)) > 0)
        )
    if bad.any():
        _check_transform(parts[int(np.argmax(bad))])


def world_aabb(
    local_min: npt.NDArray[np.float64],
    local_max: npt.NDArray[np.float64],
    transform_mm: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """A world box containing a local box moved by a rigid transform (exact for the box).

    Examples:
        >>> import numpy as np
        >>> t = np.eye(4); t[:3, 3] = (10, 0, 0)
        >>> lo, hi = world_aabb(np.zeros(3), np.ones(3), t)
        >>> lo.tolist(), hi.tolist()
        ([10.0, 0.0, 0.0], [11.0, 1.0, 1.0])
    """
    rot = transform_mm[:3, :3]
    centre = rot @ ((local_min + local_max) * 0.5) + transform_mm[:3, 3]
    half = np.abs(rot) @ ((local_max - local_min) * 0.5)
    return centre - half, centre + half


def world_aabbs(
    local_min: npt.NDArray[np.float64],
    local_max: npt.NDArray[np.float64],
    transforms_mm: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """:func:`world_aabb` for ``N`` boxes at once: ``(N, 3)`` minima, maxima, ``(N, 4, 4)``.

    Examples:
        >>> import numpy as np
        >>> lo, hi = world_aabbs(np.zeros((2, 3)), np.ones((2, 3)), np.stack([np.eye(4)] * 2))
        >>> hi.tolist()
        [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    rot = transforms_mm[:, :3, :3]
    centre = np.einsum("nij,nj->ni", rot, (local_min + local_max) * 0.5) + transforms_mm[:, :3, 3]
    half = np.einsum("nij,nj->ni", np.abs(rot), (local_max - local_min) * 0.5)
    return centre - half, centre + half


def relative_transform(
    frame_mm: npt.NDArray[np.float64], other_mm: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The pose of ``other`` expressed in ``frame``'s local coordinates: ``frame⁻¹ · other``.

    Examples:
        >>> import numpy as np
        >>> a = np.eye(4); a[:3, 3] = (1, 2, 3)
        >>> relative_transform(a, a).round(12).tolist() == np.eye(4).tolist()
        True
    """
    rot = frame_mm[:3, :3]
    inverse = np.eye(4)
    inverse[:3, :3] = rot.T
    inverse[:3, 3] = -rot.T @ frame_mm[:3, 3]
    return np.asarray(inverse @ other_mm, dtype=np.float64)
