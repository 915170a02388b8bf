"""Payload and gripper checks against hand-computed cases (g = 9.81 m/s²)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from cadml.errors import ValidationError
from cadml.physics.inertia import MassProperties
from cadml.physics.robot import (
    REASON_TEXTS,
    RobotSpec,
    gripper_force,
    payload_check,
)

G = 9.81


def codes(report) -> list[str]:
    return [r.code for r in report.reasons]


def test_five_kg_at_a_tenth_of_a_metre():
    payload = MassProperties.point_mass(5.0, (0.1, 0.0, 0.0))
    report = payload_check(payload, RobotSpec("r", rated_payload_kg=10.0))
    assert report.static_moment_nm == pytest.approx(4.905, rel=1e-12)
    # Offset along x: no moment about x, bending about y and torsion about z.
    assert report.static_moments_nm == pytest.approx((0.0, 4.905, 4.905), rel=1e-12)
    assert report.dynamic_moments_nm == report.static_moments_nm
    assert report.feasible and report.reasons == ()
    assert report.utilisation == {"mass": 0.5}


def test_dynamic_moments_scale_with_g_plus_a():
    payload = MassProperties.point_mass(2.0, (0.0, 0.03, 0.04))
    report = payload_check(payload, RobotSpec("r", 10.0), acceleration_m_s2=5.0)
    # Arms: about x √(0.03² + 0.04²) = 0.05; about y 0.04; about z 0.03.
    assert report.static_moments_nm == pytest.approx((2 * G * 0.05, 2 * G * 0.04, 2 * G * 0.03))
    assert report.dynamic_moments_nm == pytest.approx(
        (2 * (G + 5) * 0.05, 2 * (G + 5) * 0.04, 2 * (G + 5) * 0.03)
    )
    assert report.com_offset_m == pytest.approx(0.05)


def test_the_wrist_offset_lengthens_the_bending_arms():
    payload = MassProperties.point_mass(1.0, (0.0, 0.0, 0.05))
    spec = RobotSpec("r", 10.0, wrist_offset_m=0.1, max_wrist_moment_nm=(2.0, 2.0, 1.0))
    report = payload_check(payload, spec)
    assert report.static_moments_nm == pytest.approx((G * 0.15, G * 0.15, 0.0))
    assert report.utilisation["wrist_moment_x"] == pytest.approx(G * 0.15 / 2.0)
    assert report.feasible


def test_too_heavy_is_infeasible_with_the_mass_reason():
    report = payload_check(MassProperties.point_mass(12.0, (0, 0, 0.05)), RobotSpec("r", 10.0))
    assert not report.feasible
    assert codes(report) == ["ROBOT_PAYLOAD_MASS_EXCEEDED"]
    reason = report.reasons[0]
    assert (reason.value, reason.limit, reason.unit) == (12.0, 10.0, "kg")
    assert "12" in reason.message_en and "10" in reason.message_tr


def test_com_offset_and_wrist_moment_reasons():
    spec = RobotSpec(
        "r",
        rated_payload_kg=10.0,
        max_com_offset_m=0.2,
        max_wrist_moment_nm=(20.0, 20.0, 10.0),
    )
    payload = MassProperties.point_mass(5.0, (0.25, 0.0, 0.0))
    report = payload_check(payload, spec)
    # m g r = 5 · 9.81 · 0.25 = 12.2625 N·m: over the 10 N·m torsion limit only.
    assert codes(report) == ["ROBOT_COM_OFFSET_EXCEEDED", "ROBOT_WRIST_MOMENT_EXCEEDED"]
    assert report.reasons[1].criterion == "wrist_moment_z"
    assert report.utilisation["wrist_moment_z"] == pytest.approx(1.22625)
    assert report.utilisation["wrist_moment_y"] == pytest.approx(12.2625 / 20)
    assert report.utilisation["com_offset"] == pytest.approx(1.25)


def test_acceleration_can_make_a_feasible_payload_infeasible():
    spec = RobotSpec("r", 10.0, max_wrist_moment_nm=(10.0, 10.0, 10.0))
    payload = MassProperties.point_mass(5.0, (0.0, 0.0, 0.15))  # static 7.3575 N·m
    assert payload_check(payload, spec).feasible
    fast = payload_check(payload, spec, acceleration_m_s2=5.0)  # 5 · 14.81 · 0.15 = 11.1
    assert codes(fast) == ["ROBOT_WRIST_MOMENT_EXCEEDED", "ROBOT_WRIST_MOMENT_EXCEEDED"]
    assert [r.criterion for r in fast.reasons] == ["wrist_moment_x", "wrist_moment_y"]


def test_wrist_inertia_uses_the_parallel_axis_theorem():
    # A 2 kg cube of 0.1 m side, centre 0.1 m along the flange axis.
    k = 2.0 * (0.1**2 * 2) / 12
    payload = MassProperties.point_mass(2.0, (0.0, 0.0, 0.1), np.eye(3) * k)
    spec = RobotSpec("r", 10.0, max_wrist_inertia_kg_m2=(0.02, 0.03, 0.01))
    report = payload_check(payload, spec)
    assert report.wrist_inertia_kg_m2 == pytest.approx((k + 0.02, k + 0.02, k))
    assert codes(report) == ["ROBOT_WRIST_INERTIA_EXCEEDED"]
    assert report.reasons[0].criterion == "wrist_inertia_x"


def test_load_diagram_interpolates_and_ends():
    spec = RobotSpec("r", 10.0, load_diagram=((0.05, 10.0), (0.15, 6.0), (0.25, 0.0)))
    at = MassProperties.point_mass
    assert payload_check(at(8.0, (0.1, 0.0, 0.0)), spec).utilisation["load_diagram"] == 1.0
    over = payload_check(at(7.0, (0.15, 0.05, 0.0)), spec)  # |r| = 0.158, allows 5.51 kg
    assert codes(over) == ["ROBOT_LOAD_DIAGRAM_EXCEEDED"]
    assert over.reasons[0].limit == pytest.approx(6.0 - 60.0 * (math.hypot(0.15, 0.05) - 0.15))
    beyond = payload_check(at(0.5, (0.0, 0.0, 0.3)), spec)
    assert codes(beyond) == ["ROBOT_LOAD_DIAGRAM_OUT_OF_RANGE"]
    assert beyond.utilisation["load_diagram"] is None and not beyond.feasible
    at_end = payload_check(at(0.5, (0.0, 0.0, 0.25)), spec)
    assert codes(at_end) == ["ROBOT_LOAD_DIAGRAM_EXCEEDED"] and not at_end.feasible


def test_report_is_json_ready_and_every_reason_has_two_languages():
    spec = RobotSpec("r", 1.0, max_com_offset_m=0.1, max_wrist_moment_nm=(1, 1, 1))
    report = payload_check(MassProperties.point_mass(3.0, (0.2, 0.1, 0.3)), spec)
    body = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert body["feasible"] is False
    assert {r["code"] for r in body["reasons"]} <= set(REASON_TEXTS)
    for en, tr in REASON_TEXTS.values():
        assert en != tr


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"rated_payload_kg": 0.0}, "rated_payload_kg"),
        ({"max_com_offset_m": -0.1}, "max_com_offset_m"),
        ({"max_wrist_moment_nm": (1.0, 1.0)}, "max_wrist_moment_nm"),
        ({"max_wrist_inertia_kg_m2": (1.0, 0.0, 1.0)}, "max_wrist_inertia_kg_m2[1]"),
        ({"load_diagram": ((0.2, 5.0), (0.1, 3.0))}, "load_diagram[1].offset_m"),
        ({"wrist_offset_m": float("inf")}, "wrist_offset_m"),
    ],
)
def test_bad_robot_specs_are_refused(kwargs, field):
    args = {"name": "r", "rated_payload_kg": 5.0, **kwargs}
    with pytest.raises(ValidationError) as info:
        RobotSpec(**args)
    assert info.value.code == "PHYSICS_ROBOT_INVALID_INPUT"
    assert info.value.details["field"] == field


def test_negative_acceleration_is_refused():
    with pytest.raises(ValidationError) as info:
        payload_check(MassProperties.point_mass(1.0, (0, 0, 0)), RobotSpec("r", 5.0), -1.0)
    assert info.value.code == "PHYSICS_ROBOT_INVALID_INPUT"


def test_gripper_vertical_lift():
    report = gripper_force(2.0, 0.4, 5.0, 2.0, n_fingers=2, gravity_m_s2=G)
    assert report.required_force_n == pytest.approx(74.05, rel=1e-12)
    assert report.total_force_n == pytest.approx(148.1, rel=1e-12)
    assert report.formula == "F = m·(g + a)·S / (μ·n)"
    assert report.inputs == {
        "mass_kg": 2.0,
        "friction_coefficient": 0.4,
        "acceleration_m_s2": 5.0,
        "safety_factor": 2.0,
        "n_fingers": 2,
        "gravity_m_s2": G,
    }
    assert report.feasible is None


def test_gripper_horizontal_motion_adds_the_loads_as_vectors():
    report = gripper_force(2.0, 0.4, 5.0, 2.0, orientation="horizontal")
    assert report.required_force_n == pytest.approx(2 * math.hypot(G, 5.0) * 2 / 0.8)
    assert report.required_force_n < gripper_force(2.0, 0.4, 5.0, 2.0).required_force_n


def test_gripper_against_its_rated_force():
    ok = gripper_force(1.0, 0.5, 0.0, 1.0, n_fingers=3, available_force_n=10.0)
    assert ok.required_force_n == pytest.approx(G / 1.5)
    assert ok.feasible is True and ok.utilisation == pytest.approx(G / 15)
    weak = gripper_force(2.0, 0.4, 5.0, 2.0, available_force_n=50.0)
    assert weak.feasible is False and weak.utilisation == pytest.approx(74.05 / 50)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"mass_kg": 0.0}, "mass_kg"),
        ({"friction_coefficient": 0.0}, "friction_coefficient"),
        ({"friction_coefficient": -0.2}, "friction_coefficient"),
        ({"safety_factor": 0.9}, "safety_factor"),
        ({"acceleration_m_s2": -1.0}, "acceleration_m_s2"),
        ({"n_fingers": 1}, "n_fingers"),
        ({"n_fingers": 2.0}, "n_fingers"),
        ({"orientation": "sideways"}, "orientation"),
        ({"available_force_n": 0.0}, "available_force_n"),
        ({"mass_kg": float("nan")}, "mass_kg"),
    ],
)
def test_bad_gripper_inputs_are_refused(kwargs, field):
    args = {
        "mass_kg": 2.0,
        "friction_coefficient": 0.4,
        "acceleration_m_s2": 5.0,
        "safety_factor": 2.0,
        **kwargs,
    }
    with pytest.raises(ValidationError) as info:
        gripper_force(**args)
    assert info.value.code == "PHYSICS_GRIPPER_INVALID_INPUT"
    assert info.value.details["field"] == field
