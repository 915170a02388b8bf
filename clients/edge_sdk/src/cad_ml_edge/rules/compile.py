"""Compile a rule set once into a plan, and bind the plan to one device's state.

Compiling groups the rules so a frame's field is read once however many rules use it:

* thresholds on a field → one :class:`~cad_ml_edge.rules.conditions.Bank` for the
  ordering operators (checked inline), one for ``==`` and one for ``!=``;
* windows on (kind, field, size) → one shared window whose aggregates (one stream per
  ``fn``) feed banks split the same way;
* rates on (field, per_s) → one shared rate feeding its banks;
* geofences on (lat_field, lon_field) → one :class:`~cad_ml_edge.rules.geofence.FenceGroup`.

Binding (the first frame of a device, or a restore) gives each unit its state and returns
a :class:`Device` whose ``run(frame)`` reads each field once and calls precomputed
closures: no rule configuration is looked up per frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cad_ml_edge.rules.conditions import NO_CHECK, Bank, Check, Feed
from cad_ml_edge.rules.geofence import Circle, FenceGroup, Polygon
from cad_ml_edge.rules.rates import Rate
from cad_ml_edge.rules.spec import Geofence, RateOfChange, Rule, Window
from cad_ml_edge.rules.targets import Target, build_targets
from cad_ml_edge.rules.windows import SlidingWindow, TumblingWindow

__all__ = ["Device", "Plan", "compile_rules"]

_NUMBER = (int, float)
_INF = math.inf


class Device:
    """One device's bound plan: ``run(frame)`` and its state.

    ``run`` returns the fired ``(target, value, kind)`` triples, or None for a frame
    older than the last one processed (frames must come in timestamp order).
    """

    __slots__ = ("device_id", "last_ts", "run", "units")

    def __init__(self, device_id: str, last_ts: float) -> None:
        self.device_id = device_id
        self.last_ts = last_ts
        self.run: Callable[[Any], list | None] = _unbound
        self.units: list[tuple[Any, Any]] = []

    def dump(self) -> dict[str, Any]:
        """This device's state as plain JSON data."""
        entries: dict[str, Any] = {}
        for unit, state in self.units:
            entries.update(unit.dump(state))
        return {"last_ts": self.last_ts, "units": entries}


def _unbound(frame: Any) -> None:  # pragma: no cover - replaced in Plan.bind
    raise AssertionError("device not bound")


class _FieldUse:
    """What reads one field: its ordering threshold bank, windows/rates, ``==``/``!=`` banks."""

    __slots__ = ("bank", "loose", "numeric")

    def __init__(self) -> None:
        self.bank: Bank | None = None
        self.numeric: list[tuple[Any, ...]] = []  # ("window", unit, streams) | ("rate", ...)
        self.loose: list[Bank] = []


class Plan:
    """A compiled rule set (see the module docstring); build it with :func:`compile_rules`."""

    def __init__(self, rules: Sequence[Rule], targets: Sequence[Target]) -> None:
        self.rules = tuple(rules)
        self.targets = tuple(targets)
        self.fields: dict[tuple[str, str], _FieldUse] = {}
        self.fences: list[FenceGroup] = []
        threshold: dict[str, list[int]] = {}
        windows: dict[tuple[str, str, float], list[int]] = {}
        rates: dict[tuple[str, bool], list[int]] = {}
        fences: dict[tuple[str, str], list[int]] = {}
        for i, rule in enumerate(self.rules):
            src = rule.source
            if isinstance(src, str):
                threshold.setdefault(src, []).append(i)
            elif isinstance(src, Window):
                windows.setdefault((src.kind, src.field, src.size_s), []).append(i)
            elif isinstance(src, RateOfChange):
                rates.setdefault((src.field, src.per_s), []).append(i)
            else:
                fences.setdefault((src.lat_field, src.lon_field), []).append(i)
        for field, idx in threshold.items():
            use = self._use(field)
            use.bank, use.loose = self._banks(idx)
        for (kind, field, size), idx in windows.items():
            by_fn: dict[str, list[int]] = {}
            for i in idx:
                by_fn.setdefault(self.rules[i].source.fn, []).append(i)  # type: ignore[union-attr]
            cls = SlidingWindow if kind == "sliding" else TumblingWindow
            unit: Any = cls(field, size, by_fn)
            streams = [(fn, *self._banks(sub)) for fn, sub in by_fn.items()]
            self._use(field).numeric.append(("window", unit, streams))
        for (field, per_s), idx in rates.items():
            self._use(field).numeric.append(("rate", Rate(field, per_s), *self._banks(idx)))
        for (lat_field, lon_field), idx in fences.items():
            items = []
            for i in idx:
                geo: Geofence = self.rules[i].source  # type: ignore[assignment]
                shape = (
                    Polygon(geo.points)
                    if geo.shape == "polygon"
                    else Circle(geo.center, geo.radius_m)  # type: ignore[arg-type]
                )
                items.append((self.targets[i], shape, geo.event, self.rules[i].debounce_s))
            self.fences.append(FenceGroup(lat_field, lon_field, items))

    def _use(self, field: str) -> _FieldUse:
        group, _, name = field.partition(".")
        return self.fields.setdefault((group, name), _FieldUse())

    def _banks(self, idx: Sequence[int]) -> tuple[Bank | None, list[Bank]]:
        """The ordering bank (or None) and the ``==``/``!=`` banks of some rules."""
        by_family: dict[str, list[int]] = {}
        for i in idx:
            op = self.rules[i].condition.op  # type: ignore[union-attr]
            by_family.setdefault(op if op in ("==", "!=") else "order", []).append(i)
        banks = {}
        for family, sub in by_family.items():
            conds = [self.rules[i].condition for i in sub]
            banks[family] = Bank(
                [self.targets[i] for i in sub],
                [c.op for c in conds],  # type: ignore[union-attr]
                [c.value for c in conds],  # type: ignore[union-attr]
                [c.hysteresis for c in conds],  # type: ignore[union-attr]
                [self.rules[i].debounce_s for i in sub],
            )
        order = banks.pop("order", None)
        return order, list(banks.values())

    # ------------------------------------------------------------------ binding
    def bind(self, device_id: str, saved: Mapping[str, Any] | None = None) -> Device:
        """A :class:`Device` with fresh state, or the state in ``saved`` (see ``Device.dump``).

        Raises:
            ValueError, KeyError, TypeError: when ``saved`` is malformed.
        """
        entries: Mapping[str, Any] = {} if saved is None else saved["units"]
        last_ts = -1.0 if saved is None else float(saved["last_ts"])
        device = Device(device_id, last_ts)

        def state_of(unit: Any) -> Any:
            state = unit.load(entries)
            device.units.append((unit, state))
            return state

        def check(bank: Bank | None) -> Check:
            return NO_CHECK if bank is None else bank.check(state_of(bank))

        def feeds(banks: Sequence[Bank]) -> list[Feed]:
            return [bank.bind(state_of(bank)) for bank in banks]

        per_group: dict[tuple[str, bool], list[tuple[Any, ...]]] = {}
        for (group, name), use in self.fields.items():
            numeric: list[Feed] = []
            for what, unit, *rest in use.numeric:
                if what == "window":
                    streams = [(fn, check(bank), feeds(loose)) for fn, bank, loose in rest[0]]
                    numeric.append(unit.bind(state_of(unit), streams))
                else:
                    numeric.append(unit.bind(state_of(unit), check(rest[0]), feeds(rest[1])))
            gate = check(use.bank)
            loose = feeds(use.loose)
            if group == "status":  # only status values can be non-numbers or non-finite
                if use.bank is not None or numeric:
                    per_group.setdefault((group, True), []).append((name, *gate, tuple(numeric)))
                if loose:
                    per_group.setdefault((group, False), []).append((name, *NO_CHECK, tuple(loose)))
            else:
                per_group.setdefault((group, False), []).append((name, *gate, (*numeric, *loose)))
        fences: list[tuple[Any, ...]] = [
            (
                *fence.lat_field.split(".", 1),
                *fence.lon_field.split(".", 1),
                fence.bind(state_of(fence)),
            )
            for fence in self.fences
        ]
        device.run = _runner(device, per_group, fences)
        return device


def _runner(
    device: Device,
    per_group: Mapping[tuple[str, bool], list[tuple[Any, ...]]],
    fences: Sequence[tuple[Any, ...]],
) -> Callable[[Any], list | None]:
    """The per-frame function: each entry is ``(name, lo, hi, bank, slow, feeds)``."""
    # fields read by thresholds only go round a loop of their own, with no feeds to run
    sensors = tuple(e for e in per_group.get(("sensors", False), ()) if e[5])
    metrics = tuple(e for e in per_group.get(("metrics", False), ()) if e[5])
    sensors_gated = tuple(e[:5] for e in per_group.get(("sensors", False), ()) if not e[5])
    metrics_gated = tuple(e[:5] for e in per_group.get(("metrics", False), ()) if not e[5])
    status_any = tuple(per_group.get(("status", False), ()))
    status_num = tuple(per_group.get(("status", True), ()))
    fences = tuple(fences)
    number = _NUMBER
    inf = _INF

    def run(frame: Any) -> list | None:
        ts = frame.timestamp
        if ts < device.last_ts:
            return None
        device.last_ts = ts
        out: list = []
        if sensors or sensors_gated:
            get = frame.sensors.get
            for name, lo, hi, bank, slow, feeds in sensors:
                v = get(name)
                if v is not None:
                    if not lo < v < hi or bank.active:
                        slow(v, ts, out)
                    for f in feeds:
                        f(v, ts, out)
            for name, lo, hi, bank, slow in sensors_gated:
                v = get(name)
                if v is not None and (not lo < v < hi or bank.active):
                    slow(v, ts, out)
        if metrics or metrics_gated:
            get = frame.metrics.get
            for name, lo, hi, bank, slow, feeds in metrics:
                v = get(name)
                if v is not None:
                    if not lo < v < hi or bank.active:
                        slow(v, ts, out)
                    for f in feeds:
                        f(v, ts, out)
            for name, lo, hi, bank, slow in metrics_gated:
                v = get(name)
                if v is not None and (not lo < v < hi or bank.active):
                    slow(v, ts, out)
        if status_num or status_any:
            get = frame.status.get
            for name, lo, hi, bank, slow, feeds in status_num:
                v = get(name)
                if v.__class__ in number and -inf < v < inf:
                    if not lo < v < hi or bank.active:
                        slow(v, ts, out)
                    for f in feeds:
                        f(v, ts, out)
            for name, _, _, _, _, feeds in status_any:
                v = get(name)
                if v is not None:
                    for f in feeds:
                        f(v, ts, out)
        for lat_group, lat_name, lon_group, lon_name, feed in fences:
            lat = getattr(frame, lat_group).get(lat_name)
            lon = getattr(frame, lon_group).get(lon_name)
            if (
                lat.__class__ in number
                and lon.__class__ in number
                and -90.0 <= lat <= 90.0
                and -180.0 <= lon <= 180.0
            ):
                feed(lat, lon, ts, out)
        return out

    return run


def compile_rules(
    rules: Sequence[Rule],
    *,
    callbacks: Mapping[str, Callable[[Any], None]] | None = None,
    command_hook: Callable[[str, dict[str, Any]], None] | None = None,
    alert_sink: Callable[[Any], None] | None = None,
) -> Plan:
    """Compile validated rules into a :class:`Plan` (once per rule set).

    Raises:
        RuleError: a callback action names no given callback, or a command action has
            no ``command_hook``.
    """
    targets = build_targets(
        rules, callbacks=callbacks, command_hook=command_hook, alert_sink=alert_sink
    )
    return Plan(rules, targets)
