"""The robot-check request: a payload, a robot's limits and an optional gripper.

``POST /api/v1/physics/robot-check`` takes::

    {"payload": {"mass_kg": 5.0, "center_of_mass_m": [0, 0, 0.1],
                 "inertia_kg_m2": [[0.01, 0, 0], [0, 0.01, 0], [0, 0, 0.005]]},
     "robot": {"name": "UR10e", "rated_payload_kg": 12.5, "max_com_offset_m": 0.3,
               "max_wrist_moment_nm": [30, 30, 20]},
     "acceleration_m_s2": 5.0,
     "gripper": {"friction_coefficient": 0.4, "safety_factor": 2, "n_fingers": 2}}

The payload is given in the flange frame (metres), e.g. from ``/mass-properties``;
``inertia_kg_m2`` is central and optional (a point mass without it). Pure Python.

Examples:
    >>> out = robot_check({"payload": {"mass_kg": 5, "center_of_mass_m": [0, 0, 0.1]},
    ...                    "robot": {"name": "r", "rated_payload_kg": 10}})
    >>> out["payload"]["feasible"]
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cadml.errors import ValidationError
from cadml.physics.inertia import MassProperties
from cadml.physics.robot import RobotSpec, gripper_force, payload_check

__all__ = ["robot_check"]

_FIELDS = ("payload", "robot", "acceleration_m_s2", "gripper")
_PAYLOAD = ("mass_kg", "center_of_mass_m", "inertia_kg_m2")
_ROBOT = (
    "name",
    "rated_payload_kg",
    "max_com_offset_m",
    "load_diagram",
    "max_wrist_moment_nm",
    "max_wrist_inertia_kg_m2",
    "wrist_offset_m",
)
_GRIPPER = (
    "friction_coefficient",
    "safety_factor",
    "n_fingers",
    "orientation",
    "available_force_n",
)


def _object(field: str, value: Any, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": field, "reason": "expected an object", "value": value},
        )
    for name in sorted(value, key=str):
        if name not in allowed:
            raise ValidationError(
                "VALIDATION_UNKNOWN_PARAMETER",
                details={
                    "field": f"{field}.{name}" if field != "body" else name,
                    "family": "robot-check",
                    "allowed": ", ".join(allowed),
                },
            )
    return value


def _required(field: str, body: Mapping[str, Any], name: str) -> Any:
    if body.get(name) is None:
        label = name if field == "body" else f"{field}.{name}"
        raise ValidationError("VALIDATION_MISSING_FIELD", details={"field": label})
    return body[name]


def robot_check(body: Any) -> dict[str, Any]:
    """Check a payload against a robot and, optionally, size a friction grip.

    Returns:
        ``{"payload": PayloadReport.to_dict(), "gripper": GripperReport.to_dict() | None}``.

    Raises:
        ValidationError: ``VALIDATION_*`` for the request's shape,
            ``PHYSICS_ROBOT_INVALID_INPUT`` / ``PHYSICS_GRIPPER_INVALID_INPUT`` /
            ``PHYSICS_MASS_INVALID_INPUT`` for values out of their physical range.
    """
    body = _object("body", body, _FIELDS)
    payload = _object("payload", _required("body", body, "payload"), _PAYLOAD)
    robot = _object("robot", _required("body", body, "robot"), _ROBOT)
    mass = MassProperties.point_mass(
        _required("payload", payload, "mass_kg"),
        _required("payload", payload, "center_of_mass_m"),
        payload.get("inertia_kg_m2"),
    )
    diagram = robot.get("load_diagram")
    spec = RobotSpec(
        name=str(robot.get("name") or "robot"),
        rated_payload_kg=_required("robot", robot, "rated_payload_kg"),
        max_com_offset_m=robot.get("max_com_offset_m"),
        load_diagram=None if diagram is None else tuple(tuple(p) for p in diagram),
        max_wrist_moment_nm=robot.get("max_wrist_moment_nm"),
        max_wrist_inertia_kg_m2=robot.get("max_wrist_inertia_kg_m2"),
        wrist_offset_m=robot.get("wrist_offset_m") or 0.0,
    )
    acceleration = body.get("acceleration_m_s2", 0.0)
    report = payload_check(mass, spec, acceleration_m_s2=acceleration)
    grip = None
    if body.get("gripper") is not None:
        gripper = _object("gripper", body["gripper"], _GRIPPER)
        grip = gripper_force(
            mass.mass_kg,
            _required("gripper", gripper, "friction_coefficient"),
            acceleration,
            _required("gripper", gripper, "safety_factor"),
            n_fingers=gripper.get("n_fingers", 2),
            orientation=gripper.get("orientation", "vertical"),
            available_force_n=gripper.get("available_force_n"),
        ).to_dict()
    return {"payload": report.to_dict(), "gripper": grip}
