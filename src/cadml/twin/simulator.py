"""A seeded, deterministic model of a CNC machine that emits telemetry frames.

One :class:`MachineSimulator` is one machine (device). Each :meth:`~MachineSimulator.step`
advances it by one sample period and returns a :class:`~cadml.twin.frame.TelemetryFrame`
whose timestamp is exactly ``start + k / rate_hz`` (computed from the index, never
accumulated, so a long run does not drift). Nothing here reads a clock or does I/O: the
CLI's pacer decides *when* a frame is sent, this module decides *what* it says.

The physics, deliberately simple but with the right shapes:

* **Load** follows CNC jobs: a job runs a program for several cycles, each cycle a list of
  segments (load %, spindle on/off); between jobs the machine idles for minutes.
* **Temperature** (``sensors.temperature_c``, spindle housing) is a first-order lag with
  time constant ``thermal_tau_s`` towards ``ambient + rise × load``; the ambient follows a
  daily sine wave of the UTC time of day.
* **Vibration RMS** (``sensors.vibration_rms_mm_s``, ISO 10816 velocity) grows with load
  and with bearing wear, which drifts upwards by ``wear_rate_mm_s_per_h`` per running hour
  (monotone); with the spindle stopped only a background floor remains.
* **Spindle current** (``sensors.spindle_current_a``) is proportional to load plus noise.
* **Metrics**: ``metrics.cycle`` (completed cycles, a counter), ``metrics.load_pct`` and
  ``metrics.spindle_rpm``. **Status**: ``state`` (``running`` | ``idle`` | ``fault``),
  ``program`` (name or None) and ``fault`` (the active injected fault's name or None).

Injected faults (:class:`FaultKind`) come from an explicit schedule of
:class:`FaultWindow` s and/or at random with a rate per device-hour. They are the ground
truth for tests and ML: a frame carries ``status.fault == kind`` exactly when a window
covers its timestamp (``start <= t < end``), and :meth:`MachineSimulator.fault_windows`
lists every window injected so far. Machine faults (bearing, overheating, current spike)
set ``status.state`` to ``fault``; sensor faults (dropout, stuck value) do not, because
the controller does not know about them.

Faults draw from their own random stream, so the same seed gives the same signals with
and without faults up to the first fault.

Examples:
    >>> sim = MachineSimulator("cnc-1", rate_hz=10, start=1000.0, seed=7)
    >>> frames = sim.frames(3)
    >>> [f.timestamp for f in frames]
    [1000.0, 1000.1, 1000.2]
    >>> sorted(frames[0].sensors)
    ['spindle_current_a', 'temperature_c', 'vibration_rms_mm_s']
    >>> MachineSimulator("cnc-1", rate_hz=10, start=1000.0, seed=7).frames(3) == frames
    True
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from cadml.twin.frame import TelemetryFrame

__all__ = [
    "DEFAULT_FAULT_DURATIONS_S",
    "PROGRAMS",
    "SENSOR_NAMES",
    "FaultKind",
    "FaultWindow",
    "MachineProfile",
    "MachineSimulator",
    "Program",
    "device_ids",
]

SENSOR_NAMES = ("temperature_c", "vibration_rms_mm_s", "spindle_current_a")
"""The sensors every simulated machine reports (when no sensor fault hides one)."""

_DAY_S = 86400.0


class FaultKind(StrEnum):
    """The faults the simulator can inject; the value is the label in ``status.fault``."""

    BEARING = "bearing_fault"
    """Vibration steps up, then keeps rising until the bearing is replaced."""
    OVERHEATING = "overheating"
    """Coolant loss: the temperature target rises; the housing heats with its time constant."""
    CURRENT_SPIKE = "current_spike"
    """A stall or jam: the spindle current jumps for a few seconds."""
    SENSOR_DROPOUT = "sensor_dropout"
    """One sensor is missing from the frames."""
    SENSOR_STUCK = "sensor_stuck"
    """One sensor repeats the value it had when the fault began."""

    @property
    def is_sensor_fault(self) -> bool:
        """Whether the fault is in a sensor (the machine itself keeps its state)."""
        return self in (FaultKind.SENSOR_DROPOUT, FaultKind.SENSOR_STUCK)


DEFAULT_FAULT_DURATIONS_S: dict[FaultKind, float] = {
    FaultKind.BEARING: 1200.0,
    FaultKind.OVERHEATING: 600.0,
    FaultKind.CURRENT_SPIKE: 3.0,
    FaultKind.SENSOR_DROPOUT: 60.0,
    FaultKind.SENSOR_STUCK: 120.0,
}
"""How long a randomly injected fault lasts, in seconds (at least two samples)."""


@dataclass(frozen=True, slots=True)
class FaultWindow:
    """One injected fault: a kind and the half-open interval ``[start, end)`` it covers.

    Args:
        kind: what fails.
        start: unix seconds of the first affected frame.
        end: unix seconds after the last affected frame (exclusive).
        sensor: for sensor faults, the affected sensor (one of :data:`SENSOR_NAMES`);
            ``None`` in a schedule lets the simulator choose one.

    Examples:
        >>> w = FaultWindow(FaultKind.BEARING, 10.0, 20.0)
        >>> w.covers(10.0), w.covers(20.0)
        (True, False)
    """

    kind: FaultKind
    start: float
    end: float
    sensor: str | None = None

    def covers(self, timestamp: float) -> bool:
        """Whether a frame at ``timestamp`` is inside the window."""
        return self.start <= timestamp < self.end

    def to_dict(self) -> dict[str, object]:
        """The window as plain data (a label record)."""
        return {
            "kind": str(self.kind),
            "start": self.start,
            "end": self.end,
            "sensor": self.sensor,
        }


@dataclass(frozen=True, slots=True)
class Program:
    """A CNC program: its cycle time, spindle speed and load profile.

    Args:
        name: shown in ``status.program``.
        cycle_s: duration of one cycle, in seconds.
        rpm: spindle speed while cutting.
        segments: ``(fraction of the cycle, load %)`` pairs summing to 1; a load of 0
            means the spindle is stopped (tool or part change).
    """

    name: str
    cycle_s: float
    rpm: float
    segments: tuple[tuple[float, float], ...]


PROGRAMS: tuple[Program, ...] = (
    Program("O1001-roughing", 60.0, 6000.0, ((0.1, 25.0), (0.6, 85.0), (0.2, 55.0), (0.1, 0.0))),
    Program("O1002-finishing", 45.0, 12000.0, ((0.1, 20.0), (0.7, 40.0), (0.1, 30.0), (0.1, 0.0))),
    Program(
        "O1003-drilling",
        30.0,
        3000.0,
        ((0.2, 60.0), (0.2, 10.0), (0.2, 65.0), (0.2, 10.0), (0.2, 0.0)),
    ),
)
"""The programs a simulated machine runs, chosen at random per job."""


@dataclass(frozen=True, slots=True)
class MachineProfile:
    """The physical constants of a simulated machine (SI-ish units named in each field).

    The defaults resemble a 15 kW machining-centre spindle: 40 °C rise at full load with a
    10-minute thermal time constant, about 1.5 mm/s vibration at half load (ISO 10816
    "satisfactory"), 18 A at full load.
    """

    ambient_c: float = 22.0
    ambient_swing_c: float = 3.0
    thermal_tau_s: float = 600.0
    temp_rise_full_load_c: float = 40.0
    temp_noise_c: float = 0.05
    vibration_base_mm_s: float = 0.9
    vibration_full_load_mm_s: float = 1.0
    vibration_idle_mm_s: float = 0.08
    vibration_noise_rel: float = 0.04
    initial_wear_max_mm_s: float = 0.3
    wear_rate_mm_s_per_h: float = 0.02
    current_idle_a: float = 0.4
    current_base_a: float = 1.5
    current_full_load_a: float = 18.0
    current_noise_a: float = 0.2
    load_noise_pct: float = 2.0
    cycles_per_job: tuple[int, int] = (5, 20)
    idle_between_jobs_s: tuple[float, float] = (60.0, 600.0)
    initial_idle_max_s: float = 120.0
    bearing_step_mm_s: float = 2.5
    bearing_rise_mm_s: float = 4.0
    overheat_rise_c: float = 45.0
    spike_factor: float = 2.5
    spike_offset_a: float = 6.0
    programs: tuple[Program, ...] = field(default=PROGRAMS)


def device_ids(prefix: str, count: int) -> list[str]:
    """The ids of ``count`` simulated devices: the prefix and a zero-padded number from 1.

    Examples:
        >>> device_ids("sim-", 3)
        ['sim-001', 'sim-002', 'sim-003']
    """
    width = max(3, len(str(count)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, count + 1)]


class MachineSimulator:
    """One simulated CNC machine producing a frame per sample period.

    Args:
        device_id: the frames' device id.
        rate_hz: samples per second (> 0).
        start: unix seconds of the first frame.
        seed: the run's seed; combined with the device id, so devices differ but a
            run is reproducible.
        profile: the machine's constants.
        fault_rate_per_h: expected random faults per device-hour (0 for none). A
            random fault starts only when no other fault is active.
        fault_kinds: the kinds drawn at random (uniformly).
        fault_durations_s: how long each random kind lasts (defaults from
            :data:`DEFAULT_FAULT_DURATIONS_S`; stretched to at least two samples).
        schedule: explicit fault windows, which must not overlap each other.

    Raises:
        ValueError: a non-positive rate, a negative fault rate, an unknown sensor or
            overlapping scheduled windows.
    """

    def __init__(
        self,
        device_id: str,
        *,
        rate_hz: float,
        start: float,
        seed: int = 0,
        profile: MachineProfile | None = None,
        fault_rate_per_h: float = 0.0,
        fault_kinds: Sequence[FaultKind] = tuple(FaultKind),
        fault_durations_s: dict[FaultKind, float] | None = None,
        schedule: Sequence[FaultWindow] = (),
    ) -> None:
        if not (rate_hz > 0 and math.isfinite(rate_hz)):
            raise ValueError(f"rate_hz must be a positive number, not {rate_hz!r}")
        if not (fault_rate_per_h >= 0 and math.isfinite(fault_rate_per_h)):
            raise ValueError(f"fault_rate_per_h must be ≥ 0, not {fault_rate_per_h!r}")
        if fault_rate_per_h > 0 and not fault_kinds:
            raise ValueError("a fault rate needs at least one fault kind")
        self.device_id = device_id
        self.rate_hz = float(rate_hz)
        self.start = float(start)
        self.profile = profile or MachineProfile()
        self.index = 0
        period = 1.0 / self.rate_hz
        self._period = period
        self._rng = random.Random(f"cadml-sim:{seed}:{device_id}")
        self._fault_rng = random.Random(f"cadml-sim-faults:{seed}:{device_id}")
        self._fault_p = -math.expm1(-fault_rate_per_h * period / 3600.0)
        self._fault_kinds = tuple(FaultKind(k) for k in fault_kinds)
        durations = dict(DEFAULT_FAULT_DURATIONS_S)
        durations.update(fault_durations_s or {})
        self._durations = {k: max(v, 2 * period) for k, v in durations.items()}
        self._schedule = self._resolve_schedule(schedule)
        self._next_scheduled = 0
        self._windows: list[FaultWindow] = []
        self._active: FaultWindow | None = None
        self._stuck_value: float | None = None
        self._alpha = -math.expm1(-period / self.profile.thermal_tau_s)
        p = self.profile
        rng = self._rng
        self._wear = rng.uniform(0.0, p.initial_wear_max_mm_s)
        self._temp = self._ambient(self.start) + rng.uniform(0.0, 5.0)
        self._cycles = 0
        self._program: Program | None = None
        self._cycles_left = 0
        self._cycle_pos = 0.0
        # Devices start out of phase: a short random idle before the first job.
        self._idle_left = rng.uniform(0.0, p.initial_idle_max_s)
        self._last: dict[str, float] = {}

    @property
    def period_s(self) -> float:
        """Seconds between two frames."""
        return self._period

    def timestamp(self, index: int) -> float:
        """The exact timestamp of frame ``index`` (``start + index / rate_hz``)."""
        return self.start + index / self.rate_hz

    def fault_windows(self) -> list[FaultWindow]:
        """Every fault window that has begun so far, in start order (the ground truth).

        A window still open when the run stops keeps its planned end.
        """
        return list(self._windows)

    def frames(self, count: int) -> list[TelemetryFrame]:
        """The next ``count`` frames."""
        return [self.step() for _ in range(count)]

    def step(self) -> TelemetryFrame:
        """Advance one sample period and return the frame for it."""
        t = self.timestamp(self.index)
        self.index += 1
        fault = self._update_fault(t)
        load, rpm, state, program = self._advance_load()
        p = self.profile
        rng = self._rng
        dt = self._period
        kind = fault.kind if fault is not None else None

        target = self._ambient(t) + p.temp_rise_full_load_c * load / 100.0
        if kind is FaultKind.OVERHEATING:
            target += p.overheat_rise_c
        self._temp += (target - self._temp) * self._alpha
        temperature = self._temp + rng.gauss(0.0, p.temp_noise_c)

        if rpm > 0:
            self._wear += p.wear_rate_mm_s_per_h * dt / 3600.0
            vib = p.vibration_base_mm_s + p.vibration_full_load_mm_s * load / 100.0 + self._wear
            if kind is FaultKind.BEARING:
                assert fault is not None
                progress = (t - fault.start) / (fault.end - fault.start)
                vib += p.bearing_step_mm_s + p.bearing_rise_mm_s * progress
            vib *= 1.0 + rng.gauss(0.0, p.vibration_noise_rel)
            current = p.current_base_a + (p.current_full_load_a - p.current_base_a) * load / 100.0
            current += rng.gauss(0.0, p.current_noise_a)
        else:
            vib = p.vibration_idle_mm_s * (1.0 + rng.gauss(0.0, 0.25))
            current = p.current_idle_a + rng.gauss(0.0, 0.03)
        if kind is FaultKind.CURRENT_SPIKE:
            current = current * p.spike_factor + p.spike_offset_a

        sensors = {
            "temperature_c": round(temperature, 3),
            "vibration_rms_mm_s": round(max(vib, 0.0), 4),
            "spindle_current_a": round(max(current, 0.0), 3),
        }
        if fault is not None and fault.sensor is not None:
            if kind is FaultKind.SENSOR_DROPOUT:
                del sensors[fault.sensor]
            elif kind is FaultKind.SENSOR_STUCK:
                if self._stuck_value is None:
                    self._stuck_value = self._last.get(fault.sensor, sensors[fault.sensor])
                sensors[fault.sensor] = self._stuck_value
        self._last.update(sensors)

        if fault is not None and not fault.kind.is_sensor_fault:
            state = "fault"
        status = {
            "state": state,
            "program": program,
            "fault": str(kind) if kind is not None else None,
        }
        metrics = {
            "cycle": float(self._cycles),
            "load_pct": round(load, 2),
            "spindle_rpm": rpm,
        }
        return TelemetryFrame(t, self.device_id, sensors, metrics, status)

    # -- internals -------------------------------------------------------------------

    def _resolve_schedule(self, schedule: Sequence[FaultWindow]) -> list[FaultWindow]:
        resolved: list[FaultWindow] = []
        for w in sorted(schedule, key=lambda w: w.start):
            kind = FaultKind(w.kind)
            if not w.end > w.start:
                raise ValueError(f"fault window {w} ends before it starts")
            sensor = w.sensor
            if kind.is_sensor_fault:
                if sensor is None:
                    sensor = self._fault_rng.choice(SENSOR_NAMES)
                elif sensor not in SENSOR_NAMES:
                    raise ValueError(f"unknown sensor {sensor!r}; use one of {SENSOR_NAMES}")
            else:
                sensor = None
            if resolved and w.start < resolved[-1].end:
                raise ValueError(f"fault windows overlap: {resolved[-1]} and {w}")
            resolved.append(FaultWindow(kind, float(w.start), float(w.end), sensor))
        return resolved

    def _update_fault(self, t: float) -> FaultWindow | None:
        active = self._active
        if active is not None and not active.covers(t):
            active = self._active = None
            self._stuck_value = None
        schedule = self._schedule
        while self._next_scheduled < len(schedule) and schedule[self._next_scheduled].end <= t:
            self._next_scheduled += 1  # wholly in the past (or skipped by an earlier one)
        if self._next_scheduled < len(schedule):
            nxt = schedule[self._next_scheduled]
            if nxt.covers(t):
                self._next_scheduled += 1
                if active is not None:  # a random fault gives way to the schedule
                    self._windows[-1] = FaultWindow(active.kind, active.start, t, active.sensor)
                    self._stuck_value = None
                self._active = nxt
                self._windows.append(nxt)
                return nxt
        if active is not None:
            return active
        if self._fault_p > 0 and self._fault_rng.random() < self._fault_p:
            kind = self._fault_rng.choice(self._fault_kinds)
            sensor = self._fault_rng.choice(SENSOR_NAMES) if kind.is_sensor_fault else None
            end = t + self._durations[kind]
            if self._next_scheduled < len(schedule):
                end = min(end, schedule[self._next_scheduled].start)
            window = FaultWindow(kind, t, end, sensor)
            self._active = window
            self._windows.append(window)
            return window
        return None

    def _ambient(self, t: float) -> float:
        # Warmest mid-afternoon (15:00 UTC), coolest before dawn.
        phase = 2.0 * math.pi * ((t % _DAY_S) - 9.0 * 3600.0) / _DAY_S
        return self.profile.ambient_c + self.profile.ambient_swing_c * math.sin(phase)

    def _advance_load(self) -> tuple[float, float, str, str | None]:
        """Move the job/cycle state machine by one period.

        Returns:
            ``(load %, rpm, state, program name)`` for the frame.
        """
        p = self.profile
        rng = self._rng
        dt = self._period
        if self._program is None:
            if self._idle_left > 0:
                self._idle_left -= dt
                return 0.0, 0.0, "idle", None
            self._program = rng.choice(p.programs)
            self._cycles_left = rng.randint(*p.cycles_per_job)
            self._cycle_pos = 0.0
        program = self._program
        fraction = self._cycle_pos / program.cycle_s
        load_nominal = program.segments[-1][1]
        edge = 0.0
        for share, seg_load in program.segments:
            edge += share
            if fraction < edge:
                load_nominal = seg_load
                break
        self._cycle_pos += dt
        # A slow sample rate may span several cycles in one period.
        while self._program is not None and self._cycle_pos >= program.cycle_s:
            self._cycle_pos -= program.cycle_s
            self._cycles += 1
            self._cycles_left -= 1
            if self._cycles_left <= 0:
                self._program = None
                self._idle_left = rng.uniform(*p.idle_between_jobs_s)
        if load_nominal <= 0:
            return 0.0, 0.0, "running", program.name
        load = min(100.0, max(0.0, load_nominal + rng.gauss(0.0, p.load_noise_pct)))
        return load, program.rpm, "running", program.name
