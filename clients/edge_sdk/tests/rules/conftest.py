"""Fixtures for the rule engine tests: a frame factory and a naive reference engine.

The reference recomputes every aggregate from the full history on every frame and runs
the documented state machine per rule in the plainest code possible; the engine must
emit the same events (differential tests on seeded streams).
"""

from __future__ import annotations

import math
import operator
import random
import statistics
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from cad_ml_edge.rules.spec import Geofence, RateOfChange, Rule, Window, parse_rules
from cad_ml_edge.wire import TelemetryFrame

OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


def make_frame(t: float, device: str = "d1", **fields: Any) -> TelemetryFrame:
    """``make_frame(1.0, temp=3)`` → sensors; ``m_x=`` → metrics; ``s_x=`` → status."""
    sensors, metrics, status = {}, {}, {}
    for key, value in fields.items():
        if key.startswith("m_"):
            metrics[key[2:]] = value
        elif key.startswith("s_"):
            status[key[2:]] = value
        else:
            sensors[key] = value
    return TelemetryFrame(t, device, sensors, metrics, status)


def _number(v: Any) -> bool:
    return type(v) in (int, float) and math.isfinite(v)


def _on_segment_dist(py: float, px: float, ay: float, ax: float, by: float, bx: float) -> float:
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    u = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + u * dx), py - (ay + u * dy))


def reference_inside(geo: Geofence, lat: float, lon: float) -> bool:
    """A plain, independent inside test (boundary inclusive)."""
    if geo.shape == "circle":
        lat1, lon1 = geo.center  # type: ignore[misc]
        p1, p2 = math.radians(lat1), math.radians(lat)
        a = (
            math.sin((p2 - p1) / 2) ** 2
            + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon - lon1) / 2) ** 2
        )
        return 2 * 6_371_008.8 * math.asin(math.sqrt(a)) <= geo.radius_m  # type: ignore[operator]
    pts = list(geo.points)
    edges = list(zip(pts, pts[1:] + pts[:1], strict=True))
    for (ay, ax), (by, bx) in edges:
        if (ay, ax) != (by, bx) and _on_segment_dist(lat, lon, ay, ax, by, bx) <= 1e-9:
            return True
    crossings = 0
    for (ay, ax), (by, bx) in edges:
        if (ay > lat) != (by > lat):
            x = ax + (lat - ay) * (bx - ax) / (by - ay)
            if lon < x:
                crossings += 1
    return crossings % 2 == 1


class _Machine:
    """The documented threshold state machine, per rule and device, plainly."""

    def __init__(self, rule: Rule) -> None:
        cond = rule.condition
        assert cond is not None
        self.cmp = OPS[cond.op]
        self.value = cond.value
        h = cond.hysteresis
        self.rearm_at = cond.value
        if h:
            self.rearm_at = cond.value - h if cond.op in (">", ">=") else cond.value + h
        self.debounce = rule.debounce_s
        self.phase = "idle"
        self.since = 0.0

    def step(self, v: Any, t: float) -> bool:
        if self.phase == "fired":
            if not self.cmp(v, self.rearm_at):
                self.phase = "idle"
            return False
        if self.cmp(v, self.value):
            if self.phase == "idle":
                self.phase, self.since = "pending", t
            if t - self.since >= self.debounce:
                self.phase = "fired"
                return True
        else:
            self.phase = "idle"
        return False


def _aggregate(fn: str, xs: list[float]) -> float:
    if fn == "avg":
        return statistics.fmean(xs)
    if fn == "min":
        return min(xs)
    if fn == "max":
        return max(xs)
    if fn == "sum":
        return math.fsum(xs)
    if fn == "count":
        return float(len(xs))
    return statistics.pstdev(xs)


class ReferenceEngine:
    """Recomputes everything from history; ``process`` returns ``[(rule_id, value, kind)]``."""

    def __init__(self, rules: Iterable[dict[str, Any]]) -> None:
        self.rules = parse_rules(rules)
        self.state: dict[tuple[str, str], dict[str, Any]] = {}
        self.last: dict[str, float] = {}

    def _st(self, rule: Rule, device: str) -> dict[str, Any]:
        key = (rule.id, device)
        if key not in self.state:
            self.state[key] = {
                "machine": _Machine(rule) if rule.condition else None,
                "hist": [],
                "side": None,
                "since": None,
                "open": None,
            }
        return self.state[key]

    def process(self, frame: TelemetryFrame) -> list[tuple[str, Any, str]]:
        device, t = frame.device_id, frame.timestamp
        if t < self.last.get(device, -1.0):
            return []
        self.last[device] = t
        out = []
        for rule in self.rules:
            st = self._st(rule, device)
            src = rule.source
            if isinstance(src, Geofence):
                lat, lon = frame.value(src.lat_field), frame.value(src.lon_field)
                if not (_number(lat) and _number(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
                    continue
                now = reference_inside(src, lat, lon)
                if st["side"] is None:
                    st["side"] = now
                elif now == st["side"]:
                    st["since"] = None
                else:
                    if st["since"] is None:
                        st["since"] = t
                    if t - st["since"] >= rule.debounce_s:
                        st["side"], st["since"] = now, None
                        kind = "geofence_enter" if now else "geofence_exit"
                        if src.event in ("both", kind[9:]):
                            out.append((rule.id, (lat, lon), kind))
                continue
            assert rule.condition is not None
            path = src if isinstance(src, str) else src.field
            v = frame.value(path)
            numeric_needed = not (isinstance(src, str) and rule.condition.op in ("==", "!="))
            if v is None or (numeric_needed and path.startswith("status.") and not _number(v)):
                continue
            values: list[float] = []
            if isinstance(src, str):
                values = [v]
            elif isinstance(src, RateOfChange):
                hist = st["hist"]
                if hist and t <= hist[-1][0]:
                    continue
                if hist:
                    pt, px = hist[-1]
                    values = [(v - px) / (t - pt) if src.per_s else v - px]
                st["hist"] = [(t, v)]
            elif isinstance(src, Window) and src.kind == "sliding":
                st["hist"].append((t, v))
                first = st["hist"][0][0]  # the whole history is kept
                if t - first >= src.size_s:  # a whole window seen
                    window = [x for (ti, x) in st["hist"] if t - src.size_s < ti]
                    values = [_aggregate(src.fn, window)]
            else:
                assert isinstance(src, Window)
                if st["open"] is not None and t >= st["open"]:
                    if st["complete"]:
                        values = [_aggregate(src.fn, [x for _, x in st["hist"]])]
                    st["hist"] = []
                if not st["hist"]:
                    st.setdefault("first", t)
                    j = math.floor(t / src.size_s)
                    st["open"] = (j + 1) * src.size_s
                    st["complete"] = j * src.size_s >= st["first"]
                st["hist"].append((t, v))
            for value in values:
                if st["machine"].step(value, t):
                    out.append((rule.id, value, rule.kind))
        return out


@pytest.fixture
def frame() -> Callable[..., TelemetryFrame]:
    """The frame factory (see :func:`make_frame`)."""
    return make_frame


@pytest.fixture
def reference() -> type[ReferenceEngine]:
    """The naive reference engine class."""
    return ReferenceEngine


@pytest.fixture
def inside() -> Callable[[Geofence, float, float], bool]:
    """The independent inside test."""
    return reference_inside


def random_stream(
    seed: int, n: int, *, devices: int = 1, jitter: bool = True
) -> list[TelemetryFrame]:
    """A seeded stream with irregular timestamps, gaps, missing fields and excursions."""
    rnd = random.Random(seed)
    frames = []
    t = {f"d{i}": 0.0 for i in range(devices)}
    temp = {d: 50.0 for d in t}
    lat = {d: 41.0 for d in t}
    for _ in range(n):
        d = rnd.choice(list(t))
        t[d] += rnd.choice([0.1, 0.25, 0.5, 1.0, 3.0]) if jitter else 0.5
        temp[d] += rnd.gauss(0, 2.0)
        lat[d] += rnd.gauss(0, 0.0002)
        fields: dict[str, Any] = {}
        if rnd.random() > 0.1:
            fields["temp"] = round(temp[d], 3)
        if rnd.random() > 0.2:
            fields["vib"] = round(abs(rnd.gauss(1.0, 0.5)) + (5 if rnd.random() < 0.05 else 0), 3)
        fields["m_load"] = round(rnd.uniform(0, 100), 2)
        fields["s_mode"] = rnd.choice(["auto", "auto", "auto", "fault", "manual"])
        fields["s_lat"] = lat[d]
        fields["s_lon"] = 29.0 + rnd.gauss(0, 0.0002)
        if rnd.random() < 0.05:
            fields["s_lat"] = "n/a"
        frames.append(make_frame(t[d], d, **fields))
    return frames


@pytest.fixture
def stream() -> Callable[..., list[TelemetryFrame]]:
    """The seeded stream factory (see :func:`random_stream`)."""
    return random_stream
