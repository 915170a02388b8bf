"""The telemetry simulator: determinism, exact timestamps, physics, drift and fault labels."""

from __future__ import annotations

import itertools
import math
import statistics
from dataclasses import replace

import pytest

from cadml.cli.publishers import Pacer, parse_mqtt_url
from cadml.cli.simulate import parse_duration, parse_start
from cadml.twin.frame import TelemetryFrame, decode_batch, encode_frames, frame_from_dict
from cadml.twin.simulator import (
    SENSOR_NAMES,
    FaultKind,
    FaultWindow,
    MachineProfile,
    MachineSimulator,
    Program,
    device_ids,
)

START = 1_704_067_200.0  # 2024-01-01T00:00:00Z

# A machine with a closed-form behaviour: always cutting at exactly 50 % load, no noise,
# constant ambient.
STEADY = MachineProfile(
    ambient_swing_c=0.0,
    temp_noise_c=0.0,
    vibration_noise_rel=0.0,
    current_noise_a=0.0,
    load_noise_pct=0.0,
    initial_idle_max_s=0.0,
    idle_between_jobs_s=(0.0, 0.0),
    programs=(Program("steady", 60.0, 6000.0, ((1.0, 50.0),)),),
)


def run(n: int, **kwargs: object) -> list[TelemetryFrame]:
    args: dict[str, object] = {"rate_hz": 1.0, "start": START, "seed": 3}
    args.update(kwargs)
    device = str(args.pop("device_id", "cnc-1"))
    return MachineSimulator(device, **args).frames(n)  # type: ignore[arg-type]


# -- determinism and timestamps ---------------------------------------------------------


def test_same_seed_gives_identical_frames_and_other_seeds_differ() -> None:
    a = run(600, fault_rate_per_h=10.0)
    assert a == run(600, fault_rate_per_h=10.0)
    assert a != run(600, fault_rate_per_h=10.0, seed=4)
    other = run(600, fault_rate_per_h=10.0, device_id="cnc-2")
    assert [f.sensors for f in a] != [f.sensors for f in other]


@pytest.mark.parametrize("rate", [0.2, 1.0, 10.0, 1000.0, 3.0])
def test_timestamps_are_exactly_start_plus_k_over_rate(rate: float) -> None:
    frames = run(2000, rate_hz=rate)
    assert [f.timestamp for f in frames] == [START + k / rate for k in range(2000)]
    gaps = [b.timestamp - a.timestamp for a, b in itertools.pairwise(frames)]
    # float spacing at 1.7e9 s is 2.4e-7 s, so every gap is the period to within that
    assert max(abs(g - 1 / rate) for g in gaps) < 1e-6
    # no accumulated drift: the last frame is where k / rate says
    assert frames[-1].timestamp - START == pytest.approx(1999 / rate, abs=1e-6)


def test_frames_are_valid_wire_frames() -> None:
    frames = run(300, fault_rate_per_h=30.0)
    for f in frames:
        assert frame_from_dict(f.to_dict()) == f
    assert decode_batch(encode_frames(frames)).frames == frames
    assert decode_batch(encode_frames(frames, codec="json")).frames == frames


def test_device_ids() -> None:
    assert device_ids("m-", 2) == ["m-001", "m-002"]
    assert device_ids("m-", 1000)[-1] == "m-1000"


# -- physics ----------------------------------------------------------------------------


def test_values_stay_in_physically_sensible_ranges() -> None:
    frames = run(4 * 3600, rate_hz=0.5, fault_rate_per_h=0.0)
    p = MachineProfile()
    states = {f.status["state"] for f in frames}
    assert states == {"running", "idle"}
    for f in frames:
        assert set(f.sensors) == set(SENSOR_NAMES)
        t = f.sensors["temperature_c"]
        low = p.ambient_c - p.ambient_swing_c - 1.0
        assert low < t < p.ambient_c + p.ambient_swing_c + p.temp_rise_full_load_c + 6.0
        assert 0.0 <= f.sensors["vibration_rms_mm_s"] < 4.5  # below ISO 10816 "unacceptable"
        assert 0.0 <= f.sensors["spindle_current_a"] < p.current_full_load_a + 1.5
        assert 0.0 <= f.metrics["load_pct"] <= 100.0
        assert f.status["fault"] is None
        if f.status["state"] == "idle":
            assert f.metrics["spindle_rpm"] == 0.0 and f.status["program"] is None
    cycles = [f.metrics["cycle"] for f in frames]
    assert all(b >= a for a, b in itertools.pairwise(cycles))
    assert cycles[-1] > 50  # hours of 30-60 s cycles
    running = [f for f in frames if f.metrics["spindle_rpm"] > 0]
    idle = [f for f in frames if f.status["state"] == "idle"]
    # the spindle heats and draws current when it cuts
    assert statistics.mean(f.sensors["spindle_current_a"] for f in running) > 5.0
    assert statistics.mean(f.sensors["spindle_current_a"] for f in idle) < 1.0


def test_temperature_is_a_first_order_lag_with_the_thermal_time_constant() -> None:
    dt = 2.0
    frames = run(1500, rate_hz=1 / dt, profile=STEADY)
    target = STEADY.ambient_c + STEADY.temp_rise_full_load_c * 0.5  # 42 °C at 50 % load
    decay = math.exp(-dt / STEADY.thermal_tau_s)
    temps = [f.sensors["temperature_c"] for f in frames]
    for a, b in itertools.pairwise(temps):
        # (T_k+1 - target) = exp(-dt/τ) (T_k - target), up to the 1e-3 rounding of the wire
        assert b - target == pytest.approx((a - target) * decay, abs=2e-3)
    # and over the whole run (3000 s = 5 τ) in closed form
    assert temps[-1] - target == pytest.approx((temps[0] - target) * decay**1499, abs=2e-3)
    assert abs(temps[-1] - target) < 0.01 * abs(temps[0] - target)


def test_current_is_proportional_to_load() -> None:
    frames = run(20, profile=STEADY)
    p = STEADY
    expected = p.current_base_a + (p.current_full_load_a - p.current_base_a) * 0.5
    assert all(f.sensors["spindle_current_a"] == pytest.approx(expected) for f in frames)


def test_bearing_wear_drift_is_monotone() -> None:
    rate = 0.5  # mm/s per running hour
    profile = replace(STEADY, wear_rate_mm_s_per_h=rate)
    frames = run(3600, profile=profile)
    vib = [f.sensors["vibration_rms_mm_s"] for f in frames]
    assert all(b >= a for a, b in itertools.pairwise(vib))
    assert vib[-1] - vib[0] == pytest.approx(rate * 3599 / 3600, abs=1e-3)


def test_drift_is_monotone_on_average_with_noise_and_jobs() -> None:
    profile = MachineProfile(wear_rate_mm_s_per_h=0.5)
    frames = run(6 * 3600 // 5, rate_hz=0.2, profile=profile)

    def hourly_mean(hour: int) -> float:
        return statistics.mean(
            f.sensors["vibration_rms_mm_s"] / (1.0 + f.metrics["load_pct"] / 100.0)
            for f in frames
            if f.metrics["spindle_rpm"] > 0
            and hour * 3600 <= f.timestamp - START < (hour + 1) * 3600
        )

    means = [hourly_mean(h) for h in range(6)]
    assert all(b > a for a, b in itertools.pairwise(means)), means


# -- faults -----------------------------------------------------------------------------


def window(
    kind: FaultKind, start_s: float, length_s: float, sensor: str | None = None
) -> FaultWindow:
    return FaultWindow(kind, START + start_s, START + start_s + length_s, sensor)


def split(
    frames: list[TelemetryFrame], w: FaultWindow
) -> tuple[list[TelemetryFrame], list[TelemetryFrame]]:
    inside = [f for f in frames if w.covers(f.timestamp)]
    before = [f for f in frames if f.timestamp < w.start]
    return inside, before


def test_labels_match_the_windows_and_faults_do_not_change_what_came_before() -> None:
    w = window(FaultKind.BEARING, 600, 300)
    sim = MachineSimulator("cnc-1", rate_hz=1.0, start=START, seed=3, schedule=[w])
    frames = sim.frames(1200)
    assert sim.fault_windows() == [w]
    for f in frames:
        assert f.status["fault"] == ("bearing_fault" if w.covers(f.timestamp) else None)
        if w.covers(f.timestamp):
            assert f.status["state"] == "fault"
    clean = run(1200)
    assert frames[:600] == clean[:600]
    assert frames[600:900] != clean[600:900]


def test_bearing_fault_steps_the_vibration_up_and_keeps_rising() -> None:
    w = window(FaultKind.BEARING, 300, 600)
    frames = run(1200, profile=STEADY, schedule=[w])
    inside, before = split(frames, w)
    vib_in = [f.sensors["vibration_rms_mm_s"] for f in inside]
    assert vib_in[0] - before[-1].sensors["vibration_rms_mm_s"] > 0.9 * STEADY.bearing_step_mm_s
    assert vib_in[-1] - vib_in[0] == pytest.approx(STEADY.bearing_rise_mm_s, rel=0.01)
    assert all(b > a for a, b in itertools.pairwise(vib_in))


def test_overheating_heats_with_the_thermal_time_constant() -> None:
    w = window(FaultKind.OVERHEATING, 3000, 600)  # after the housing has settled
    frames = run(3600, rate_hz=1.0, profile=STEADY, schedule=[w])
    inside, before = split(frames, w)
    rise = inside[-1].sensors["temperature_c"] - before[-1].sensors["temperature_c"]
    expected = STEADY.overheat_rise_c * (1 - math.exp(-600 / STEADY.thermal_tau_s))
    assert rise == pytest.approx(expected, abs=0.5)
    assert all(f.status["state"] == "fault" for f in inside)


def test_current_spike_exceeds_every_normal_reading() -> None:
    w = window(FaultKind.CURRENT_SPIKE, 100, 3)
    frames = run(3600, fault_rate_per_h=0.0, schedule=[w])
    inside, _ = split(frames, w)
    assert len(inside) == 3
    normal = max(f.sensors["spindle_current_a"] for f in frames if not w.covers(f.timestamp))
    assert min(f.sensors["spindle_current_a"] for f in inside) > normal


def test_sensor_dropout_removes_the_sensor_only_inside_the_window() -> None:
    w = window(FaultKind.SENSOR_DROPOUT, 50, 20, "temperature_c")
    frames = run(200, schedule=[w])
    for f in frames:
        assert ("temperature_c" in f.sensors) is not w.covers(f.timestamp)
        assert f.status["state"] != "fault"  # a sensor fault, not a machine fault
    assert sum(f.status["fault"] == "sensor_dropout" for f in frames) == 20


def test_sensor_stuck_repeats_the_last_good_value() -> None:
    w = window(FaultKind.SENSOR_STUCK, 50, 30, "spindle_current_a")
    frames = run(200, profile=replace(MachineProfile(), initial_idle_max_s=0.0), schedule=[w])
    inside, before = split(frames, w)
    assert {f.sensors["spindle_current_a"] for f in inside} == {
        before[-1].sensors["spindle_current_a"]
    }
    after = [f.sensors["spindle_current_a"] for f in frames if f.timestamp >= w.end]
    assert len(set(after)) > 1


def test_scheduled_sensor_fault_without_a_sensor_gets_one() -> None:
    sim = MachineSimulator(
        "cnc-1", rate_hz=1, start=START, schedule=[window(FaultKind.SENSOR_DROPOUT, 5, 5)]
    )
    sim.frames(20)
    assert sim.fault_windows()[0].sensor in SENSOR_NAMES


def test_random_faults_are_recorded_as_ground_truth() -> None:
    kinds = (FaultKind.BEARING, FaultKind.CURRENT_SPIKE, FaultKind.SENSOR_STUCK)
    sim = MachineSimulator(
        "cnc-1", rate_hz=1.0, start=START, seed=11, fault_rate_per_h=6.0, fault_kinds=kinds
    )
    frames = sim.frames(6 * 3600)
    windows = sim.fault_windows()
    assert len(windows) >= 5
    assert {w.kind for w in windows} <= set(kinds)
    for a, b in itertools.pairwise(windows):
        assert a.end <= b.start  # one fault at a time
    for f in frames:
        covering = [w for w in windows if w.covers(f.timestamp)]
        assert len(covering) <= 1
        assert f.status["fault"] == (str(covering[0].kind) if covering else None)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="rate_hz"):
        MachineSimulator("d", rate_hz=0, start=0)
    with pytest.raises(ValueError, match="fault_rate_per_h"):
        MachineSimulator("d", rate_hz=1, start=0, fault_rate_per_h=-1)
    with pytest.raises(ValueError, match="overlap"):
        MachineSimulator(
            "d",
            rate_hz=1,
            start=0,
            schedule=[FaultWindow(FaultKind.BEARING, 0, 10), FaultWindow(FaultKind.BEARING, 5, 20)],
        )
    with pytest.raises(ValueError, match="unknown sensor"):
        MachineSimulator(
            "d", rate_hz=1, start=0, schedule=[FaultWindow(FaultKind.SENSOR_STUCK, 0, 10, "rpm")]
        )


# -- pacing and parsing (the CLI side) ---------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_pacer_uses_absolute_deadlines_so_lateness_does_not_accumulate() -> None:
    fake = FakeClock()
    pacer = Pacer(0.1, clock=fake.clock, sleep=fake.sleep)
    woke = []
    for k in range(100):
        lag = pacer.wait(k)
        woke.append((fake.now, lag))
        fake.now += 0.03 if k != 10 else 0.35  # tick 10's work overruns 3.5 periods
    for k, (t, lag) in enumerate(woke):
        due = 100.0 + k * 0.1
        assert t == pytest.approx(max(due, t)), k
        if k in (11, 12, 13):
            assert lag > 0  # catching up: no sleep
        elif k > 14 or k <= 10:
            assert t == pytest.approx(due) and lag == 0.0
    assert woke[-1][0] == pytest.approx(100.0 + 99 * 0.1)


def test_parse_duration_and_start() -> None:
    assert parse_duration("1d") == 86400.0
    assert parse_duration("2m30s") == 150.0
    for bad in ("", "5x", "-1s", "0", "1h-2m"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    assert parse_start("now", now=5.0) == 5.0
    assert parse_start("-1d", now=100_000.0) == 100_000.0 - 86400.0
    assert parse_start("1700000000", now=0.0) == 1_700_000_000.0
    assert parse_start("2024-01-01T01:00:00+01:00", now=0.0) == START
    with pytest.raises(ValueError, match="start time"):
        parse_start("yesterday", now=0.0)


def test_parse_mqtt_url() -> None:
    t = parse_mqtt_url("mqtt://user:p%40ss@broker.local:1884")
    assert (t.host, t.port, t.tls, t.username, t.password) == (
        "broker.local",
        1884,
        False,
        "user",
        "p@ss",
    )
    assert parse_mqtt_url("mqtts://b").port == 8883
    with pytest.raises(ValueError):
        parse_mqtt_url("http://b:1883")
