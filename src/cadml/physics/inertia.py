"""Mass properties of a rigid body: mass, centre of mass and inertia tensor, in SI.

:class:`MassProperties` is the one answer every source gives: the exact B-rep integrals
(:func:`cadml.geometry.massprops.brep_mass_properties`), the exact polyhedral integrals
of a mesh (:func:`cadml.physics.polyhedral.mesh_mass_properties`) and assemblies
(:func:`combine`). Pure numpy; no kernel.

Conventions:

* SI inside: kg, m³, m², m, kg·m². :meth:`MassProperties.to_dict` gives an mm view
  (mm³, mm², mm, kg·mm²) for the CAD boundary.
* The inertia tensor is taken about the centre of mass, along the axes of the frame the
  body is described in: ``I = ∫ ρ (|r|² E − r rᵀ) dV`` with ``r`` measured from the
  centre of mass. Off-diagonal entries are the *negated* products of inertia
  (``I_xy = −∫ ρ x y dV``), the convention of OCCT's ``GProp`` and of most textbooks.
* Parallel-axis theorem (Huygens–Steiner): about a point ``o`` with ``d = c − o``,
  ``I_o = I_c + m (|d|² E − d dᵀ)``.
* A rigid motion ``x ↦ R x + t`` moves the centre of mass to ``R c + t`` and turns the
  tensor into ``R I Rᵀ``.

Examples:
    >>> p = MassProperties.point_mass(2.0, (1.0, 0.0, 0.0))
    >>> p.inertia_about((0.0, 0.0, 0.0)).diagonal().round(12).tolist()
    [0.0, 2.0, 2.0]
    >>> both = combine([p, MassProperties.point_mass(2.0, (-1.0, 0.0, 0.0))])
    >>> both.center_of_mass_m, np.diagonal(both.inertia_kg_m2).round(12).tolist()
    ((0.0, 0.0, 0.0), [0.0, 4.0, 4.0])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cadml.errors import ValidationError

__all__ = [
    "METHODS",
    "MassProperties",
    "combine",
    "from_unit_density_mm",
    "parallel_axis",
    "rigid_parts",
]

METHODS = ("brep", "mesh", "assembly", "point")
"""Where mass properties came from: exact B-rep, exact polyhedron, combined, given."""

_MM_PER_M = 1000.0
_RIGID_TOLERANCE = 1e-9
"""How far a rotation may be from orthonormal (max entry of ``RᵀR − E``)."""
_TENSOR_RELATIVE_TOLERANCE = 1e-9
"""Asymmetry / negative eigenvalues allowed in a given tensor, relative to its size."""

Vector3 = tuple[float, float, float]
Matrix3 = tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]


def _invalid(field: str, value: Any, reason: str) -> ValidationError:
    return ValidationError(
        "PHYSICS_MASS_INVALID_INPUT", details={"field": field, "value": value, "reason": reason}
    )


def _finite_array(field: str, value: Any, shape: tuple[int, ...]) -> npt.NDArray[np.float64]:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise _invalid(field, value, f"expected numbers of shape {shape}") from exc
    if array.shape != shape:
        raise _invalid(field, value, f"expected shape {shape}, got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise _invalid(field, value, "expected finite numbers")
    return array


def _vec(array: npt.ArrayLike) -> Vector3:
    # + 0.0 turns -0.0 into 0.0, so equal results serialise identically.
    a = np.asarray(array, dtype=np.float64).reshape(3)
    return (float(a[0]) + 0.0, float(a[1]) + 0.0, float(a[2]) + 0.0)


def _mat(array: npt.ArrayLike) -> Matrix3:
    a = np.asarray(array, dtype=np.float64).reshape(3, 3)
    return (_vec(a[0]), _vec(a[1]), _vec(a[2]))


def parallel_axis(mass_kg: float, offset_m: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The Steiner term ``m (|d|² E − d dᵀ)`` that moves a central tensor by ``d``.

    Args:
        mass_kg: the body's mass in kg.
        offset_m: ``(3,)`` vector ``d`` in m from the new reference point to the centre
            of mass (the sign does not matter).

    Returns:
        ``(3, 3)`` tensor in kg·m² to add to the tensor about the centre of mass.

    Examples:
        >>> parallel_axis(5.0, [0.0, 0.0, 2.0]).diagonal().tolist()
        [20.0, 20.0, 0.0]
    """
    d = np.asarray(offset_m, dtype=np.float64).reshape(3)
    return float(mass_kg) * (float(d @ d) * np.eye(3) - np.outer(d, d))


def rigid_parts(
    matrix: Any, field: str = "transform"
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Split a rigid 4×4 homogeneous transform into rotation and translation.

    Args:
        matrix: ``(4, 4)`` transform; units of the translation are the caller's.
        field: the name given in an error.

    Returns:
        ``(R, t)``: ``(3, 3)`` rotation and ``(3,)`` translation.

    Raises:
        ValidationError: ``PHYSICS_MASS_INVALID_INPUT`` if the matrix is not 4×4 and
            finite, its last row is not ``[0, 0, 0, 1]``, or its rotation is not
            orthonormal with determinant +1 (to 1e-9: scaling and mirroring refused).

    Examples:
        >>> r, t = rigid_parts([[0, -1, 0, 1], [1, 0, 0, 2], [0, 0, 1, 3], [0, 0, 0, 1]])
        >>> t.tolist()
        [1.0, 2.0, 3.0]
    """
    m = _finite_array(field, matrix, (4, 4))
    if np.max(np.abs(m[3] - np.array([0.0, 0.0, 0.0, 1.0]))) > 1e-12:
        raise _invalid(field, m.tolist(), "the last row must be [0, 0, 0, 1]")
    rotation = m[:3, :3].copy()
    if np.max(np.abs(rotation.T @ rotation - np.eye(3))) > _RIGID_TOLERANCE:
        raise _invalid(field, m.tolist(), "the rotation must be orthonormal (no scaling)")
    if np.linalg.det(rotation) < 0.0:
        raise _invalid(field, m.tolist(), "the rotation must not mirror (determinant -1)")
    return rotation, m[:3, 3].copy()


@dataclass(frozen=True)
class MassProperties:
    """Mass, centre of mass and central inertia tensor of a rigid body, in SI units.

    Args:
        mass_kg: mass in kg (> 0).
        volume_m3: volume in m³ (≥ 0; 0 for a point mass).
        area_m2: surface area in m², or ``None`` when unknown (a given payload).
        center_of_mass_m: centre of mass in m, in the body's frame.
        inertia_kg_m2: 3×3 inertia tensor in kg·m² about the centre of mass, along the
            axes of the body's frame (negated products off the diagonal). It must be
            symmetric and positive semi-definite (to 1e-9 of its largest entry); it is
            stored exactly symmetric.
        method: ``"brep"`` (exact B-rep integrals), ``"mesh"`` (exact integrals of a
            tessellated polyhedron), ``"assembly"`` (:func:`combine`) or ``"point"``
            (given by the user).
        tessellation_deflection_mm: for ``"mesh"`` (and assemblies holding meshes), the
            chordal deflection in mm of the tessellation the numbers are exact for.

    Raises:
        ValidationError: ``PHYSICS_MASS_INVALID_INPUT`` for a non-positive mass, a
            negative volume or area, non-finite numbers, a tensor that is not 3×3,
            symmetric and positive semi-definite, or an unknown method.
    """

    mass_kg: float
    volume_m3: float
    area_m2: float | None
    center_of_mass_m: Vector3
    inertia_kg_m2: Matrix3
    method: str
    tessellation_deflection_mm: float | None = None

    def __post_init__(self) -> None:
        mass = _finite_array("mass_kg", self.mass_kg, ())
        if mass <= 0.0:
            raise _invalid("mass_kg", self.mass_kg, "the mass must be positive")
        volume = _finite_array("volume_m3", self.volume_m3, ())
        if volume < 0.0:
            raise _invalid("volume_m3", self.volume_m3, "the volume must not be negative")
        if self.area_m2 is not None:
            area = _finite_array("area_m2", self.area_m2, ())
            if area < 0.0:
                raise _invalid("area_m2", self.area_m2, "the area must not be negative")
            object.__setattr__(self, "area_m2", float(area) + 0.0)
        if self.method not in METHODS:
            raise _invalid("method", self.method, f"expected one of {', '.join(METHODS)}")
        if self.tessellation_deflection_mm is not None:
            deflection = _finite_array(
                "tessellation_deflection_mm", self.tessellation_deflection_mm, ()
            )
            if deflection <= 0.0:
                raise _invalid(
                    "tessellation_deflection_mm",
                    self.tessellation_deflection_mm,
                    "the deflection must be positive",
                )
            object.__setattr__(self, "tessellation_deflection_mm", float(deflection))
        centre = _finite_array("center_of_mass_m", self.center_of_mass_m, (3,))
        tensor = _finite_array("inertia_kg_m2", self.inertia_kg_m2, (3, 3))
        scale = float(np.max(np.abs(tensor)))
        if np.max(np.abs(tensor - tensor.T)) > _TENSOR_RELATIVE_TOLERANCE * scale:
            raise _invalid("inertia_kg_m2", tensor.tolist(), "the tensor must be symmetric")
        tensor = 0.5 * (tensor + tensor.T)
        if np.linalg.eigvalsh(tensor)[0] < -_TENSOR_RELATIVE_TOLERANCE * scale:
            raise _invalid(
                "inertia_kg_m2", tensor.tolist(), "the tensor must be positive semi-definite"
            )
        object.__setattr__(self, "mass_kg", float(mass))
        object.__setattr__(self, "volume_m3", float(volume) + 0.0)
        object.__setattr__(self, "center_of_mass_m", _vec(centre))
        object.__setattr__(self, "inertia_kg_m2", _mat(tensor))

    @classmethod
    def point_mass(
        cls,
        mass_kg: float,
        center_of_mass_m: Sequence[float],
        inertia_kg_m2: npt.ArrayLike | None = None,
    ) -> MassProperties:
        """A body given by its mass, centre of mass and (optional) central inertia.

        Args:
            mass_kg: mass in kg.
            center_of_mass_m: ``(3,)`` centre of mass in m.
            inertia_kg_m2: ``(3, 3)`` central inertia in kg·m²; zero (a point) if omitted.

        Returns:
            Mass properties with ``method="point"``, no volume and no area.
        """
        tensor = np.zeros((3, 3)) if inertia_kg_m2 is None else inertia_kg_m2
        return cls(mass_kg, 0.0, None, _vec(center_of_mass_m), _mat(tensor), "point")

    @property
    def center_of_mass(self) -> npt.NDArray[np.float64]:
        """``(3,)`` centre of mass in m, as an array."""
        return np.array(self.center_of_mass_m, dtype=np.float64)

    @property
    def inertia(self) -> npt.NDArray[np.float64]:
        """``(3, 3)`` central inertia tensor in kg·m², as an array."""
        return np.array(self.inertia_kg_m2, dtype=np.float64)

    def inertia_about(
        self, origin_m: Sequence[float], rotation: npt.ArrayLike | None = None
    ) -> npt.NDArray[np.float64]:
        """The inertia tensor about a point, optionally along other axes.

        Args:
            origin_m: ``(3,)`` reference point in m, in the body's frame.
            rotation: ``(3, 3)`` orthonormal matrix whose *columns* are the new frame's
                axes expressed in the body's frame; ``None`` keeps the body's axes.

        Returns:
            ``(3, 3)`` tensor in kg·m²: ``Rᵀ (I_c + m (|d|² E − d dᵀ)) R`` with
            ``d = c − origin``.

        Raises:
            ValidationError: ``PHYSICS_MASS_INVALID_INPUT`` for a bad origin or a
                rotation that is not orthonormal with determinant +1.
        """
        origin = _finite_array("origin_m", origin_m, (3,))
        about = self.inertia + parallel_axis(self.mass_kg, self.center_of_mass - origin)
        if rotation is None:
            return about
        frame = np.eye(4)
        frame[:3, :3] = _finite_array("rotation", rotation, (3, 3))
        r, _ = rigid_parts(frame, "rotation")
        return np.asarray(r.T @ about @ r, dtype=np.float64)

    def principal(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Principal moments and axes of the central tensor.

        Returns:
            ``(moments, axes)``: ``(3,)`` moments in kg·m², ascending, and ``(3, 3)``
            orthonormal axes as *columns* (``axes[:, i]`` belongs to ``moments[i]``),
            right-handed. Each of the first two axes is signed so that its largest
            component (first on ties) is positive; the third is their cross product.
            For repeated moments (a sphere, a cylinder's transverse axes) any
            orthonormal basis of the eigenspace is correct; the one returned is
            deterministic for a given tensor.

        Examples:
            >>> p = MassProperties.point_mass(1.0, (0, 0, 0), np.diag([3.0, 1.0, 2.0]))
            >>> moments, axes = p.principal()
            >>> moments.tolist(), axes[:, 0].tolist()
            ([1.0, 2.0, 3.0], [0.0, 1.0, 0.0])
        """
        moments, vectors = np.linalg.eigh(self.inertia)
        axes = np.array(vectors, dtype=np.float64)
        for i in range(2):
            column = axes[:, i]
            if column[int(np.argmax(np.abs(column)))] < 0.0:
                axes[:, i] = -column
        axes[:, 2] = np.cross(axes[:, 0], axes[:, 1])
        return moments + 0.0, axes + 0.0

    def transformed(self, matrix4x4_m: npt.ArrayLike) -> MassProperties:
        """The same body after a rigid motion ``x ↦ R x + t``.

        Args:
            matrix4x4_m: ``(4, 4)`` homogeneous rigid transform, translation in m.

        Returns:
            Mass properties with centre ``R c + t`` and tensor ``R I Rᵀ``; mass, volume,
            area, method and deflection unchanged.

        Raises:
            ValidationError: ``PHYSICS_MASS_INVALID_INPUT`` for a transform that is not
                rigid.
        """
        r, t = rigid_parts(matrix4x4_m, "matrix4x4_m")
        return MassProperties(
            self.mass_kg,
            self.volume_m3,
            self.area_m2,
            _vec(r @ self.center_of_mass + t),
            _mat(r @ self.inertia @ r.T),
            self.method,
            self.tessellation_deflection_mm,
        )

    def to_dict(self, units: str = "si") -> dict[str, Any]:
        """A JSON-ready view.

        Args:
            units: ``"si"`` (kg, m³, m², m, kg·m²) or ``"mm"`` (kg, mm³, mm², mm,
                kg·mm²) for the CAD boundary.

        Returns:
            SI keys ``mass_kg``, ``volume_m3``, ``area_m2``, ``center_of_mass_m``,
            ``inertia_kg_m2``, ``principal_moments_kg_m2``, ``principal_axes`` (rows
            are the axes, ascending moments), ``method``,
            ``tessellation_deflection_mm``; the mm view has ``volume_mm3``,
            ``area_mm2``, ``center_of_mass_mm``, ``inertia_kg_mm2`` and
            ``principal_moments_kg_mm2`` instead. Numbers are not rounded.

        Raises:
            ValidationError: ``PHYSICS_MASS_INVALID_INPUT`` for another ``units``.

        Examples:
            >>> p = MassProperties.point_mass(1.0, (0.001, 0.0, 0.0), np.eye(3) * 1e-6)
            >>> d = p.to_dict("mm")
            >>> d["center_of_mass_mm"], d["inertia_kg_mm2"][0]
            ([1.0, 0.0, 0.0], [1.0, 0.0, 0.0])
        """
        if units not in ("si", "mm"):
            raise _invalid("units", units, "expected 'si' or 'mm'")
        moments, axes = self.principal()
        if units == "si":
            length, suffix = 1.0, "m"
        else:
            length, suffix = _MM_PER_M, "mm"
        area = None if self.area_m2 is None else self.area_m2 * length**2 + 0.0
        inertia = self.inertia * length**2
        return {
            "mass_kg": self.mass_kg,
            f"volume_{suffix}3": self.volume_m3 * length**3 + 0.0,
            f"area_{suffix}2": area,
            f"center_of_mass_{suffix}": [v * length + 0.0 for v in self.center_of_mass_m],
            f"inertia_kg_{suffix}2": [[float(v) + 0.0 for v in row] for row in inertia],
            f"principal_moments_kg_{suffix}2": [float(v) * length**2 + 0.0 for v in moments],
            "principal_axes": [[float(v) + 0.0 for v in axes[:, i]] for i in range(3)],
            "method": self.method,
            "tessellation_deflection_mm": self.tessellation_deflection_mm,
        }


def combine(parts: Sequence[MassProperties]) -> MassProperties:
    """Mass properties of an assembly of bodies given in one common frame.

    The masses, volumes and areas add; the centre of mass is the mass-weighted mean;
    each part's central tensor is moved to the assembly's centre of mass by the
    parallel-axis theorem and the tensors add. Place the parts first with
    :meth:`MassProperties.transformed`.

    Args:
        parts: at least one body, all in the same frame.

    Returns:
        ``method="assembly"``; ``area_m2`` is ``None`` if any part's is (the area is
        the sum of the parts' areas, contacts included); the deflection is the largest
        of the parts' deflections, or ``None``.

    Raises:
        ValidationError: ``PHYSICS_MASS_INVALID_INPUT`` for an empty sequence.
    """
    items = list(parts)
    if not items:
        raise _invalid("parts", "[]", "an assembly needs at least one part")
    masses = np.array([p.mass_kg for p in items], dtype=np.float64)
    total = float(masses.sum())
    centres = np.array([p.center_of_mass_m for p in items], dtype=np.float64)
    centre = (masses @ centres) / total
    tensor = np.zeros((3, 3))
    for part in items:
        tensor += part.inertia + parallel_axis(part.mass_kg, part.center_of_mass - centre)
    areas = [p.area_m2 for p in items]
    deflections = [p.tessellation_deflection_mm for p in items if p.tessellation_deflection_mm]
    return MassProperties(
        total,
        math.fsum(p.volume_m3 for p in items),
        None if any(a is None for a in areas) else math.fsum(a for a in areas if a is not None),
        _vec(centre),
        _mat(tensor),
        "assembly",
        max(deflections) if deflections else None,
    )


def from_unit_density_mm(
    volume_mm3: float,
    area_mm2: float | None,
    centroid_mm: npt.ArrayLike,
    inertia_unit_density_mm5: npt.ArrayLike,
    density_kg_m3: float,
    method: str,
    deflection: float | None = None,
) -> MassProperties:
    """Convert unit-density integrals in millimetres into SI mass properties.

    Args:
        volume_mm3: volume in mm³ (> 0).
        area_mm2: surface area in mm², or ``None``.
        centroid_mm: ``(3,)`` centroid in mm.
        inertia_unit_density_mm5: ``(3, 3)`` tensor ``∫ (|r|² E − r rᵀ) dV`` about the
            centroid, in mm⁵ (the inertia at density 1).
        density_kg_m3: density in kg/m³ (> 0).
        method: ``"brep"`` or ``"mesh"``.
        deflection: the tessellation's chordal deflection in mm, for ``"mesh"``.

    Returns:
        ``mass = ρ V · 1e-9``, centre ``c · 1e-3``, tensor ``ρ J · 1e-15``.

    Raises:
        ValidationError: ``PHYSICS_MASS_INVALID_INPUT`` for a non-positive or
            non-finite density or volume.

    Examples:
        >>> p = from_unit_density_mm(1e9, 6e6, (0, 0, 500), np.eye(3), 1000.0, "brep")
        >>> p.mass_kg, p.center_of_mass_m, p.area_m2
        (1000.0, (0.0, 0.0, 0.5), 6.0)
    """
    density = _finite_array("density_kg_m3", density_kg_m3, ())
    if density <= 0.0:
        raise _invalid("density_kg_m3", density_kg_m3, "the density must be positive")
    volume = _finite_array("volume_mm3", volume_mm3, ())
    if volume <= 0.0:
        raise _invalid("volume_mm3", volume_mm3, "the volume must be positive")
    centroid = _finite_array("centroid_mm", centroid_mm, (3,))
    tensor = _finite_array("inertia_unit_density_mm5", inertia_unit_density_mm5, (3, 3))
    rho = float(density)
    return MassProperties(
        rho * float(volume) / _MM_PER_M**3,
        float(volume) / _MM_PER_M**3,
        None if area_mm2 is None else float(area_mm2) / _MM_PER_M**2,
        _vec(centroid / _MM_PER_M),
        _mat(tensor * (rho / _MM_PER_M**5)),
        method,
        deflection,
    )
