"""Robot checks: can a robot carry a payload, and how hard must a gripper squeeze?

Pure functions on SI numbers. The payload is a :class:`MassProperties` in the robot's
flange (tool) frame: origin at the flange centre, ``z`` along the flange normal
(pointing away from the robot), ``x``/``y`` in the flange plane.

**Payload.** With ``m`` the payload mass, ``r = (x, y, z)`` its centre of mass and ``d``
the distance from the wrist's bending axes down to the flange (``wrist_offset_m``, 0 by
default, i.e. arms measured from the flange), the lever arms are

* about the flange ``x`` axis (bending): ``L_x = √(y² + (z + d)²)``
* about the flange ``y`` axis (bending): ``L_y = √(x² + (z + d)²)``
* about the flange ``z`` axis (torsion, J6): ``L_z = √(x² + y²)``

Each is the *worst case over all orientations of the flange*: the moment of the weight
about an axis ``e`` is ``m g (e × r)·u`` for a gravity direction ``u``, largest when
``u ⟂ e, r``, where it equals ``m g |e × r|``. The static moment is ``M = m g L`` and,
with a tool acceleration ``a`` (m/s², taken along the worst direction), the dynamic
moment is ``M = m (g + a) L``. Wrist inertias are the payload's moments of inertia about
those axes: ``I_c + m (|d|² E − d dᵀ)`` (parallel-axis theorem). The checks:

* ``mass``: ``m`` against ``rated_payload_kg``;
* ``com_offset``: ``|r|`` against ``max_com_offset_m``;
* ``load_diagram``: ``m`` against the diagram's allowed mass at ``|r|``;
* ``wrist_moment_x``, ``_y``, ``_z``: ``m (g + a) L`` against ``max_wrist_moment_nm``;
* ``wrist_inertia_x``, ``_y``, ``_z``: the inertia about the wrist axis against
  ``max_wrist_inertia_kg_m2``.

Utilisation is value / limit; the payload is feasible when every utilisation is ≤ 1.
Data sheets list wrist limits per joint (J4, J5: bending; J6: torsion); give the bending
limit for both ``x`` and ``y`` when only one is listed.

**Gripper.** A friction grip with ``n`` fingers, each pressing with normal force ``F``,
holds by friction ``μ n F``. It must carry the tangential load times a safety factor
``S``:

* ``"vertical"``: the part hangs between fingers whose contact normals are horizontal
  and is lifted with acceleration ``a``: ``F = m (g + a) S / (μ n)``. Also the usual
  conservative choice when the direction of motion is unknown.
* ``"horizontal"``: the same grip moved horizontally with ``a`` in the contact plane;
  friction carries the vector sum of weight and inertial force:
  ``F = m √(g² + a²) S / (μ n)``.

``F`` is the force per finger (what a parallel gripper's data sheet calls gripping force
per jaw); the total is ``n F``.

Examples:
    >>> round(gripper_force(2.0, 0.4, 5.0, 2.0).required_force_n, 2)
    74.05
    >>> spec = RobotSpec("demo", rated_payload_kg=10.0)
    >>> report = payload_check(MassProperties.point_mass(5.0, (0.1, 0.0, 0.0)), spec)
    >>> report.feasible, round(report.static_moment_nm, 3)
    (True, 4.905)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cadml.errors import ValidationError
from cadml.physics.inertia import MassProperties

__all__ = [
    "GRAVITY_M_S2",
    "ORIENTATIONS",
    "REASON_TEXTS",
    "Criterion",
    "GripperReport",
    "PayloadReport",
    "Reason",
    "RobotSpec",
    "gripper_force",
    "payload_check",
]

GRAVITY_M_S2 = 9.81
"""Gravity used by default, as in robot and gripper vendors' sizing formulas (m/s²).

Pass ``gravity_m_s2=9.80665`` for standard gravity.
"""

ORIENTATIONS = ("vertical", "horizontal")
"""Gripper load cases, see the module docstring."""

_AXES = ("x", "y", "z")

# reason code -> (message_en, message_tr); fields: criterion, value, limit, unit.
REASON_TEXTS: dict[str, tuple[str, str]] = {
    "ROBOT_PAYLOAD_MASS_EXCEEDED": (
        "Payload mass {value} {unit} exceeds the rated payload {limit} {unit}.",
        "Yük kütlesi {value} {unit}, anma yükü {limit} {unit} değerini aşıyor.",
    ),
    "ROBOT_COM_OFFSET_EXCEEDED": (
        "Centre of mass is {value} {unit} from the flange; at most {limit} {unit} is allowed.",
        "Kütle merkezi flanşa {value} {unit} uzaklıkta; en fazla {limit} {unit} izinli.",
    ),
    "ROBOT_LOAD_DIAGRAM_EXCEEDED": (
        "Payload mass {value} {unit} exceeds the {limit} {unit} the load diagram allows at "
        "this centre-of-mass offset.",
        "Yük kütlesi {value} {unit}, yük diyagramının bu kütle merkezi uzaklığında izin "
        "verdiği {limit} {unit} değerini aşıyor.",
    ),
    "ROBOT_LOAD_DIAGRAM_OUT_OF_RANGE": (
        "Centre-of-mass offset {value} {unit} lies beyond the load diagram (up to {limit} {unit}).",
        "Kütle merkezi uzaklığı {value} {unit}, yük diyagramının dışında (en fazla {limit} "
        "{unit}).",
    ),
    "ROBOT_WRIST_MOMENT_EXCEEDED": (
        "Wrist moment {criterion} of {value} {unit} exceeds the allowed {limit} {unit}.",
        "{criterion} bilek momenti {value} {unit}, izin verilen {limit} {unit} değerini aşıyor.",
    ),
    "ROBOT_WRIST_INERTIA_EXCEEDED": (
        "Wrist inertia {criterion} of {value} {unit} exceeds the allowed {limit} {unit}.",
        "{criterion} bilek ataleti {value} {unit}, izin verilen {limit} {unit} değerini aşıyor.",
    ),
}
"""English and Turkish text of every reason a payload can be infeasible."""

_REASON_OF = {
    "mass": "ROBOT_PAYLOAD_MASS_EXCEEDED",
    "com_offset": "ROBOT_COM_OFFSET_EXCEEDED",
    "load_diagram": "ROBOT_LOAD_DIAGRAM_EXCEEDED",
    **{f"wrist_moment_{a}": "ROBOT_WRIST_MOMENT_EXCEEDED" for a in _AXES},
    **{f"wrist_inertia_{a}": "ROBOT_WRIST_INERTIA_EXCEEDED" for a in _AXES},
}


def _robot_invalid(name: str, value: Any, reason: str) -> ValidationError:
    return ValidationError(
        "PHYSICS_ROBOT_INVALID_INPUT", details={"field": name, "value": value, "reason": reason}
    )


def _gripper_invalid(name: str, value: Any, reason: str) -> ValidationError:
    return ValidationError(
        "PHYSICS_GRIPPER_INVALID_INPUT", details={"field": name, "value": value, "reason": reason}
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    number = _number(value)
    if number is None or number < 0.0 or (number == 0.0 and not allow_zero):
        raise _robot_invalid(name, value, "expected a positive finite number")
    return number


def _triple(name: str, value: Any) -> tuple[float, float, float] | None:
    if value is None:
        return None
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 3:
        raise _robot_invalid(name, value, "expected three limits (about flange x, y, z)")
    a, b, c = (_positive(f"{name}[{i}]", v) for i, v in enumerate(value))
    return (a, b, c)


@dataclass(frozen=True)
class RobotSpec:
    """A robot's payload limits, from its data sheet, in SI units.

    Args:
        name: the robot's name, echoed in the report.
        rated_payload_kg: the rated payload in kg.
        max_com_offset_m: the largest allowed distance in m of the payload's centre of
            mass from the flange centre, or ``None``.
        load_diagram: allowed mass in kg against the centre-of-mass distance in m from
            the flange centre, as ``(offset_m, allowed_kg)`` points with strictly
            increasing offsets; interpolated linearly, constant before the first point,
            and beyond the last point nothing is allowed. ``None`` for no diagram.
        max_wrist_moment_nm: allowed moments in N·m about the flange ``x``, ``y``
            (bending) and ``z`` (torsion) axes, or ``None``.
        max_wrist_inertia_kg_m2: allowed moments of inertia in kg·m² about the same
            axes, or ``None``.
        wrist_offset_m: distance in m from the wrist's bending axes to the flange along
            the flange axis, added to the bending lever arms (0: arms from the flange).

    Raises:
        ValidationError: ``PHYSICS_ROBOT_INVALID_INPUT`` for a non-positive or
            non-finite limit or a malformed load diagram.
    """

    name: str
    rated_payload_kg: float
    max_com_offset_m: float | None = None
    load_diagram: tuple[tuple[float, float], ...] | None = None
    max_wrist_moment_nm: tuple[float, float, float] | None = None
    max_wrist_inertia_kg_m2: tuple[float, float, float] | None = None
    wrist_offset_m: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "rated_payload_kg", _positive("rated_payload_kg", self.rated_payload_kg)
        )
        if self.max_com_offset_m is not None:
            object.__setattr__(
                self, "max_com_offset_m", _positive("max_com_offset_m", self.max_com_offset_m)
            )
        object.__setattr__(
            self,
            "wrist_offset_m",
            _positive("wrist_offset_m", self.wrist_offset_m, allow_zero=True),
        )
        object.__setattr__(
            self, "max_wrist_moment_nm", _triple("max_wrist_moment_nm", self.max_wrist_moment_nm)
        )
        object.__setattr__(
            self,
            "max_wrist_inertia_kg_m2",
            _triple("max_wrist_inertia_kg_m2", self.max_wrist_inertia_kg_m2),
        )
        if self.load_diagram is not None:
            object.__setattr__(self, "load_diagram", self._diagram(self.load_diagram))

    @staticmethod
    def _diagram(value: Any) -> tuple[tuple[float, float], ...]:
        if not isinstance(value, Sequence) or len(value) < 1:
            raise _robot_invalid("load_diagram", value, "expected (offset_m, allowed_kg) pairs")
        points: list[tuple[float, float]] = []
        for i, point in enumerate(value):
            if not isinstance(point, Sequence) or len(point) != 2:
                raise _robot_invalid(f"load_diagram[{i}]", point, "expected (offset_m, kg)")
            offset = _positive(f"load_diagram[{i}].offset_m", point[0], allow_zero=True)
            mass = _positive(f"load_diagram[{i}].allowed_kg", point[1], allow_zero=True)
            if points and offset <= points[-1][0]:
                raise _robot_invalid(
                    f"load_diagram[{i}].offset_m", offset, "offsets must strictly increase"
                )
            points.append((offset, mass))
        return tuple(points)

    def allowed_mass_kg(self, offset_m: float) -> float | None:
        """The load diagram's allowed mass in kg at a centre-of-mass distance in m.

        Returns:
            The linearly interpolated mass; ``None`` without a diagram or beyond its
            last point.

        Examples:
            >>> RobotSpec("r", 10.0, load_diagram=((0.1, 10.0), (0.3, 5.0))).allowed_mass_kg(0.2)
            7.5
        """
        if self.load_diagram is None or offset_m > self.load_diagram[-1][0]:
            return None
        offsets = [p[0] for p in self.load_diagram]
        masses = [p[1] for p in self.load_diagram]
        return float(np.interp(offset_m, offsets, masses))


@dataclass(frozen=True)
class Criterion:
    """One checked quantity: its value, limit, unit and utilisation (value / limit).

    ``utilisation`` is ``None`` when the load diagram allows nothing at this offset
    (beyond its last point, or an allowed mass of 0), which fails the check.
    """

    name: str
    value: float
    limit: float | None
    unit: str
    utilisation: float | None

    @property
    def ok(self) -> bool:
        """Whether the value is within the limit."""
        return self.utilisation is not None and self.utilisation <= 1.0


@dataclass(frozen=True)
class Reason:
    """Why a payload is infeasible: a stable code and its text in English and Turkish."""

    code: str
    criterion: str
    value: float
    limit: float | None
    unit: str
    message_en: str
    message_tr: str


def _reason(code: str, criterion: Criterion, limit: float | None = None) -> Reason:
    en, tr = REASON_TEXTS[code]
    shown_limit = criterion.limit if limit is None else limit
    fields = {
        "criterion": criterion.name,
        "value": f"{criterion.value:.6g}",
        "limit": "?" if shown_limit is None else f"{shown_limit:.6g}",
        "unit": criterion.unit,
    }
    return Reason(
        code,
        criterion.name,
        criterion.value,
        shown_limit,
        criterion.unit,
        en.format(**fields),
        tr.format(**fields),
    )


@dataclass(frozen=True)
class PayloadReport:
    """The result of :func:`payload_check` (SI units).

    Attributes:
        robot: the robot's name.
        feasible: whether every criterion holds.
        mass_kg: the payload's mass.
        center_of_mass_m: its centre of mass in the flange frame.
        com_offset_m: ``|r|``, the centre of mass's distance from the flange centre.
        static_moment_nm: ``m g |r|``, the largest static moment about the flange centre.
        static_moments_nm: ``m g L`` about the flange x, y, z axes (worst orientation).
        dynamic_moments_nm: ``m (g + a) L`` about the same axes.
        wrist_inertia_kg_m2: moments of inertia about the wrist x, y, z axes.
        acceleration_m_s2: the acceleration used.
        gravity_m_s2: the gravity used.
        criteria: every checked criterion, in a fixed order.
        reasons: why it is infeasible (empty when feasible).
    """

    robot: str
    feasible: bool
    mass_kg: float
    center_of_mass_m: tuple[float, float, float]
    com_offset_m: float
    static_moment_nm: float
    static_moments_nm: tuple[float, float, float]
    dynamic_moments_nm: tuple[float, float, float]
    wrist_inertia_kg_m2: tuple[float, float, float]
    acceleration_m_s2: float
    gravity_m_s2: float
    criteria: tuple[Criterion, ...]
    reasons: tuple[Reason, ...]

    @property
    def utilisation(self) -> dict[str, float | None]:
        """Utilisation per criterion name."""
        return {c.name: c.utilisation for c in self.criteria}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (SI keys)."""
        return {
            "robot": self.robot,
            "feasible": self.feasible,
            "mass_kg": self.mass_kg,
            "center_of_mass_m": list(self.center_of_mass_m),
            "com_offset_m": self.com_offset_m,
            "static_moment_nm": self.static_moment_nm,
            "static_moments_nm": list(self.static_moments_nm),
            "dynamic_moments_nm": list(self.dynamic_moments_nm),
            "wrist_inertia_kg_m2": list(self.wrist_inertia_kg_m2),
            "acceleration_m_s2": self.acceleration_m_s2,
            "gravity_m_s2": self.gravity_m_s2,
            "criteria": [
                {
                    "name": c.name,
                    "value": c.value,
                    "limit": c.limit,
                    "unit": c.unit,
                    "utilisation": c.utilisation,
                    "ok": c.ok,
                }
                for c in self.criteria
            ],
            "reasons": [
                {
                    "code": r.code,
                    "criterion": r.criterion,
                    "value": r.value,
                    "limit": r.limit,
                    "unit": r.unit,
                    "message_en": r.message_en,
                    "message_tr": r.message_tr,
                }
                for r in self.reasons
            ],
        }


def _criterion(name: str, value: float, limit: float | None, unit: str) -> Criterion:
    utilisation = None if limit is None else (value / limit)
    return Criterion(name, float(value) + 0.0, limit, unit, utilisation)


def payload_check(
    payload: MassProperties,
    robot: RobotSpec,
    acceleration_m_s2: float = 0.0,
    gravity_m_s2: float = GRAVITY_M_S2,
) -> PayloadReport:
    """Check a payload against a robot's payload, offset, moment and inertia limits.

    Args:
        payload: the payload's mass properties in the flange frame, in metres (place a
            part there with :meth:`MassProperties.transformed`).
        robot: the robot's limits.
        acceleration_m_s2: the largest tool acceleration in m/s² (≥ 0); it scales the
            moments to ``m (g + a) L``.
        gravity_m_s2: gravity in m/s².

    Returns:
        The report; see the module docstring for the formulas.

    Raises:
        ValidationError: ``PHYSICS_ROBOT_INVALID_INPUT`` for a payload that is not a
            :class:`MassProperties`, a negative acceleration or non-positive gravity.

    Examples:
        >>> spec = RobotSpec("r", 5.0, max_wrist_moment_nm=(10.0, 10.0, 4.0))
        >>> report = payload_check(MassProperties.point_mass(5.0, (0.1, 0, 0)), spec)
        >>> report.feasible, [r.code for r in report.reasons]
        (False, ['ROBOT_WRIST_MOMENT_EXCEEDED'])
    """
    if not isinstance(payload, MassProperties):
        raise _robot_invalid("payload", type(payload).__name__, "expected MassProperties")
    if not isinstance(robot, RobotSpec):
        raise _robot_invalid("robot", type(robot).__name__, "expected RobotSpec")
    accel = _positive("acceleration_m_s2", acceleration_m_s2, allow_zero=True)
    gravity = _positive("gravity_m_s2", gravity_m_s2)
    m = payload.mass_kg
    x, y, z = payload.center_of_mass_m
    zd = z + robot.wrist_offset_m
    arms = (math.hypot(y, zd), math.hypot(x, zd), math.hypot(x, y))
    offset = math.sqrt(x * x + y * y + z * z)
    static = tuple(m * gravity * arm + 0.0 for arm in arms)
    dynamic = tuple(m * (gravity + accel) * arm + 0.0 for arm in arms)
    wrist_origin = (0.0, 0.0, -robot.wrist_offset_m)
    inertia = tuple(float(v) + 0.0 for v in payload.inertia_about(wrist_origin).diagonal())

    criteria = [_criterion("mass", m, robot.rated_payload_kg, "kg")]
    reasons: list[Reason] = []
    if robot.max_com_offset_m is not None:
        criteria.append(_criterion("com_offset", offset, robot.max_com_offset_m, "m"))
    if robot.load_diagram is not None:
        allowed = robot.allowed_mass_kg(offset)
        if allowed is None:
            beyond = Criterion("load_diagram", m, None, "kg", None)
            criteria.append(beyond)
            last = robot.load_diagram[-1][0]
            reasons.append(
                _reason(
                    "ROBOT_LOAD_DIAGRAM_OUT_OF_RANGE",
                    Criterion("load_diagram", offset, last, "m", None),
                )
            )
        elif allowed == 0.0:
            nothing = Criterion("load_diagram", m, 0.0, "kg", None)
            criteria.append(nothing)
            reasons.append(_reason("ROBOT_LOAD_DIAGRAM_EXCEEDED", nothing))
        else:
            criteria.append(_criterion("load_diagram", m, allowed, "kg"))
    if robot.max_wrist_moment_nm is not None:
        for axis, value, limit in zip(_AXES, dynamic, robot.max_wrist_moment_nm, strict=True):
            criteria.append(_criterion(f"wrist_moment_{axis}", value, limit, "N·m"))
    if robot.max_wrist_inertia_kg_m2 is not None:
        for axis, value, limit in zip(_AXES, inertia, robot.max_wrist_inertia_kg_m2, strict=True):
            criteria.append(_criterion(f"wrist_inertia_{axis}", value, limit, "kg·m²"))
    for criterion in criteria:
        if criterion.utilisation is not None and criterion.utilisation > 1.0:
            reasons.append(_reason(_REASON_OF[criterion.name], criterion))
    return PayloadReport(
        robot=robot.name,
        feasible=all(c.ok for c in criteria),
        mass_kg=m,
        center_of_mass_m=payload.center_of_mass_m,
        com_offset_m=offset,
        static_moment_nm=m * gravity * offset,
        static_moments_nm=(static[0], static[1], static[2]),
        dynamic_moments_nm=(dynamic[0], dynamic[1], dynamic[2]),
        wrist_inertia_kg_m2=(inertia[0], inertia[1], inertia[2]),
        acceleration_m_s2=accel,
        gravity_m_s2=gravity,
        criteria=tuple(criteria),
        reasons=tuple(reasons),
    )


@dataclass(frozen=True)
class GripperReport:
    """The result of :func:`gripper_force` (SI units).

    Attributes:
        required_force_n: the normal force per finger ``F`` in N.
        total_force_n: ``n F``, the sum over the fingers, in N.
        orientation: the load case.
        formula: the formula used, as text.
        inputs: the inputs, echoed (``mass_kg``, ``friction_coefficient``,
            ``acceleration_m_s2``, ``safety_factor``, ``n_fingers``, ``gravity_m_s2``).
        available_force_n: the gripper's force per finger, if given.
        utilisation: ``F / available`` when the available force is given.
        feasible: whether ``F ≤ available`` (``None`` without an available force).
    """

    required_force_n: float
    total_force_n: float
    orientation: str
    formula: str
    inputs: dict[str, float | int] = field(default_factory=dict)
    available_force_n: float | None = None
    utilisation: float | None = None
    feasible: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (SI keys)."""
        return {
            "required_force_n": self.required_force_n,
            "total_force_n": self.total_force_n,
            "orientation": self.orientation,
            "formula": self.formula,
            "inputs": dict(self.inputs),
            "available_force_n": self.available_force_n,
            "utilisation": self.utilisation,
            "feasible": self.feasible,
        }


_FORMULAS = {
    "vertical": "F = m·(g + a)·S / (μ·n)",
    "horizontal": "F = m·√(g² + a²)·S / (μ·n)",
}


def gripper_force(
    mass_kg: float,
    friction_coefficient: float,
    acceleration_m_s2: float,
    safety_factor: float,
    n_fingers: int = 2,
    orientation: str = "vertical",
    gravity_m_s2: float = GRAVITY_M_S2,
    available_force_n: float | None = None,
) -> GripperReport:
    """The normal force per finger a friction grip needs.

    Args:
        mass_kg: the part's mass in kg (> 0).
        friction_coefficient: ``μ`` between finger and part (> 0).
        acceleration_m_s2: the largest acceleration in m/s² (≥ 0).
        safety_factor: ``S`` (≥ 1).
        n_fingers: the number of fingers in friction contact (≥ 2).
        orientation: ``"vertical"`` or ``"horizontal"``; see the module docstring.
        gravity_m_s2: gravity in m/s² (> 0).
        available_force_n: the gripper's rated force per finger in N, to report a
            utilisation; ``None`` to skip.

    Returns:
        The report with the force, the formula and the inputs.

    Raises:
        ValidationError: ``PHYSICS_GRIPPER_INVALID_INPUT`` naming the bad input.

    Examples:
        >>> r = gripper_force(1.0, 0.5, 0.0, 1.0, gravity_m_s2=10.0, available_force_n=20.0)
        >>> r.required_force_n, r.utilisation, r.feasible
        (10.0, 0.5, True)
    """
    mass = _number(mass_kg)
    if mass is None or mass <= 0.0:
        raise _gripper_invalid("mass_kg", mass_kg, "expected a positive mass in kg")
    mu = _number(friction_coefficient)
    if mu is None or mu <= 0.0:
        raise _gripper_invalid(
            "friction_coefficient", friction_coefficient, "expected a coefficient above 0"
        )
    accel = _number(acceleration_m_s2)
    if accel is None or accel < 0.0:
        raise _gripper_invalid(
            "acceleration_m_s2", acceleration_m_s2, "expected a non-negative acceleration"
        )
    safety = _number(safety_factor)
    if safety is None or safety < 1.0:
        raise _gripper_invalid("safety_factor", safety_factor, "expected at least 1")
    if isinstance(n_fingers, bool) or not isinstance(n_fingers, int) or n_fingers < 2:
        raise _gripper_invalid("n_fingers", n_fingers, "expected a whole number of at least 2")
    gravity = _number(gravity_m_s2)
    if gravity is None or gravity <= 0.0:
        raise _gripper_invalid("gravity_m_s2", gravity_m_s2, "expected a positive gravity")
    if orientation not in ORIENTATIONS:
        raise _gripper_invalid("orientation", orientation, "expected vertical or horizontal")
    load = gravity + accel if orientation == "vertical" else math.hypot(gravity, accel)
    force = mass * load * safety / (mu * n_fingers)
    utilisation = feasible = available = None
    if available_force_n is not None:
        available = _number(available_force_n)
        if available is None or available <= 0.0:
            raise _gripper_invalid(
                "available_force_n", available_force_n, "expected a positive force in N"
            )
        utilisation = force / available
        feasible = utilisation <= 1.0
    return GripperReport(
        required_force_n=force,
        total_force_n=force * n_fingers,
        orientation=orientation,
        formula=_FORMULAS[orientation],
        inputs={
            "mass_kg": mass,
            "friction_coefficient": mu,
            "acceleration_m_s2": accel,
            "safety_factor": safety,
            "n_fingers": n_fingers,
            "gravity_m_s2": gravity,
        },
        available_force_n=available,
        utilisation=utilisation,
        feasible=feasible,
    )
