"""The robot-check request: shape errors and a hand-computed answer."""

from __future__ import annotations

from typing import Any

import pytest

from cadml.errors import ValidationError
from cadml.physics.robot_request import robot_check

BODY: dict[str, Any] = {
    "payload": {"mass_kg": 5.0, "center_of_mass_m": [0.0, 0.0, 0.1]},
    "robot": {"name": "arm", "rated_payload_kg": 10.0, "max_wrist_moment_nm": [10, 10, 5]},
    "gripper": {"friction_coefficient": 0.4, "safety_factor": 2.0},
}


def test_hand_computed_payload_and_grip() -> None:
    out = robot_check({**BODY, "acceleration_m_s2": 5.0})
    report = out["payload"]
    assert report["feasible"] is True
    assert report["static_moment_nm"] == pytest.approx(5.0 * 9.81 * 0.1)
    assert report["dynamic_moments_nm"][0] == pytest.approx(5.0 * (9.81 + 5.0) * 0.1)
    assert out["gripper"]["required_force_n"] == pytest.approx(5.0 * (9.81 + 5.0) * 2 / 0.8)


def test_an_overload_is_infeasible_with_a_coded_reason() -> None:
    body = {**BODY, "payload": {"mass_kg": 12.0, "center_of_mass_m": [0, 0, 0.1]}}
    report = robot_check(body)["payload"]
    assert report["feasible"] is False
    assert "ROBOT_PAYLOAD_MASS_EXCEEDED" in {r["code"] for r in report["reasons"]}


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ([], "VALIDATION_INVALID_VALUE", "body"),
        ({"robot": BODY["robot"]}, "VALIDATION_MISSING_FIELD", "payload"),
        ({"payload": BODY["payload"]}, "VALIDATION_MISSING_FIELD", "robot"),
        ({**BODY, "extra": 1}, "VALIDATION_UNKNOWN_PARAMETER", "extra"),
        (
            {**BODY, "payload": {"center_of_mass_m": [0, 0, 0]}},
            "VALIDATION_MISSING_FIELD",
            "payload.mass_kg",
        ),
        (
            {**BODY, "robot": {"name": "x", "rated_payload_kg": 5, "speed": 1}},
            "VALIDATION_UNKNOWN_PARAMETER",
            "robot.speed",
        ),
        (
            {**BODY, "gripper": {"safety_factor": 2}},
            "VALIDATION_MISSING_FIELD",
            "gripper.friction_coefficient",
        ),
    ],
)
def test_bad_requests_name_the_field(body: Any, code: str, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        robot_check(body)
    assert info.value.code == code
    assert info.value.details["field"] == field


def test_physical_nonsense_gets_a_physics_code() -> None:
    with pytest.raises(ValidationError) as info:
        robot_check({**BODY, "gripper": {"friction_coefficient": 0, "safety_factor": 2}})
    assert info.value.code == "PHYSICS_GRIPPER_INVALID_INPUT"
    with pytest.raises(ValidationError) as info:
        robot_check({**BODY, "robot": {"name": "x", "rated_payload_kg": -1}})
    assert info.value.code == "PHYSICS_ROBOT_INVALID_INPUT"
