"""The rule engine: compile once, evaluate each frame, run actions, save and restore state.

Examples:
    >>> from cad_ml_edge.wire import TelemetryFrame
    >>> rule = {"id": "hot", "field": "sensors.temperature", "op": ">", "value": 80.0,
    ...         "hysteresis": 2.0, "severity": "critical"}
    >>> engine = RuleEngine([rule])
    >>> [e.rule_id for e in engine.process(TelemetryFrame(1.0, "press-1", {"temperature": 81.0}))]
    ['hot']
    >>> engine.process(TelemetryFrame(2.0, "press-1", {"temperature": 79.0}))  # not re-armed
    []
    >>> engine.process(TelemetryFrame(3.0, "press-1", {"temperature": 78.0}))  # re-armed
    []
    >>> [e.value for e in engine.process(TelemetryFrame(4.0, "press-1", {"temperature": 85.0}))]
    [85.0]
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cad_ml_edge.rules.compile import Device, compile_rules
from cad_ml_edge.rules.events import AlertEvent
from cad_ml_edge.rules.spec import Rule, parse_rules
from cad_ml_edge.rules.state import dump_snapshot, load_snapshot
from cad_ml_edge.wire import TelemetryFrame

__all__ = ["RuleEngine"]

log = logging.getLogger("cad_ml_edge.rules")


def _order(fired: tuple[Any, Any, str]) -> int:
    return fired[0].index  # type: ignore[no-any-return]


class RuleEngine:
    """Evaluates a rule set on telemetry frames, with state per (rule, device).

    Rules are parsed, validated and compiled once, here. A device's first frame binds
    the compiled plan to fresh state for that device. An engine is not thread-safe:
    call it from one thread (the agent serialises ``process`` and ``snapshot``).

    Args:
        rules: rule dicts (see ``docs/rules.md``) or parsed :class:`Rule` objects.
        callbacks: callables that ``{"type": "callback", "name": ...}`` actions name;
            each is called with the :class:`AlertEvent`.
        command_hook: called as ``command_hook(name, context)`` for command actions;
            ``context`` holds the event's fields and the action's ``args``.
        alert_sink: called with each event of a rule with an ``alert`` action (the
            uplink); without it, events are only returned.

    Raises:
        RuleError: an invalid rule, a duplicate id, a callback name that ``callbacks``
            lacks, or a command action without ``command_hook``.

    Attributes:
        out_of_order: frames ignored because they were older than the device's last one.
        action_errors: actions that raised (logged on ``cad_ml_edge.rules``; processing
            goes on).
        events_emitted: events produced so far.
    """

    def __init__(
        self,
        rules: Iterable[Mapping[str, Any] | Rule],
        *,
        callbacks: Mapping[str, Callable[[AlertEvent], None]] | None = None,
        command_hook: Callable[[str, dict[str, Any]], None] | None = None,
        alert_sink: Callable[[AlertEvent], None] | None = None,
    ) -> None:
        self.rules = parse_rules(rules)
        self._plan = compile_rules(
            self.rules, callbacks=callbacks, command_hook=command_hook, alert_sink=alert_sink
        )
        self._devices: dict[str, Device] = {}
        self._runs: dict[str, Callable[[TelemetryFrame], list | None]] = {}
        self.out_of_order = 0
        self.action_errors = 0
        self.events_emitted = 0

    @classmethod
    def restore(
        cls,
        rules: Iterable[Mapping[str, Any] | Rule],
        snapshot: Mapping[str, Any],
        **kwargs: Any,
    ) -> RuleEngine:
        """A new engine (same arguments as the constructor) continuing from ``snapshot``."""
        engine = cls(rules, **kwargs)
        engine.load_state(snapshot)
        return engine

    def process(self, frame: TelemetryFrame) -> list[AlertEvent]:
        """Evaluate every rule on ``frame``, run the actions of those that fire.

        Frames must arrive in timestamp order per device; an older frame is ignored and
        counted in :attr:`out_of_order`. A rule whose field the frame lacks skips it.

        Returns:
            The events fired by this frame, in rule-set order.
        """
        run = self._runs.get(frame.device_id)
        if run is None:
            run = self._add_device(frame.device_id)
        fired = run(frame)
        if not fired:
            if fired is None:
                self.out_of_order += 1
                return []
            return fired
        return self._emit(fired, frame)

    def _add_device(self, device_id: str) -> Callable[[TelemetryFrame], list | None]:
        device = self._plan.bind(device_id)
        self._devices[device_id] = device
        self._runs[device_id] = device.run
        return device.run

    def _emit(self, fired: list, frame: TelemetryFrame) -> list[AlertEvent]:
        if len(fired) > 1:
            fired.sort(key=_order)
        device_id, ts = frame.device_id, frame.timestamp
        events = [
            AlertEvent(
                target.rule_id,
                device_id,
                ts,
                target.severity,
                value,
                target.describe(value, device_id, kind),
                kind,
            )
            for target, value, kind in fired
        ]
        self.events_emitted += len(events)
        for event, (target, _, _) in zip(events, fired, strict=True):
            for action in target.actions:
                try:
                    action(event)
                except Exception:
                    self.action_errors += 1
                    log.exception("action of rule %r failed", event.rule_id)
        return events

    def snapshot(self) -> dict[str, Any]:
        """Every device's window, hysteresis, rate and geofence state as JSON data."""
        return dump_snapshot(self._devices)

    def load_state(self, snapshot: Mapping[str, Any]) -> None:
        """Replace all device state with ``snapshot`` (from :meth:`snapshot`).

        Raises:
            RuleError: ``EDGE_RULE_STATE_INVALID``; the engine's state is then unchanged.
        """
        devices = load_snapshot(self._plan, snapshot)
        self._devices = devices
        self._runs = {device_id: device.run for device_id, device in devices.items()}

    @property
    def devices(self) -> tuple[str, ...]:
        """The devices seen (or restored) so far."""
        return tuple(self._devices)
