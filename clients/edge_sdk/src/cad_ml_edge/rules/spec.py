"""The rule format: plain dicts (JSON/TOML friendly) parsed into frozen dataclasses.

The platform stores and ships rules in exactly this format, so this module is pure:
no state, no I/O. :func:`parse_rule` validates one dict and returns a :class:`Rule`;
:meth:`Rule.to_dict` gives the canonical dict back (``parse_rule(r.to_dict()) == r``).
Every problem is a :class:`~cad_ml_edge.errors.RuleError` naming the rule and the field.
The format is documented with examples in ``docs/rules.md``.

Examples:
    >>> r = parse_rule({"id": "hot", "field": "sensors.temperature", "op": ">", "value": 80})
    >>> r.kind, r.source, r.condition
    ('threshold', 'sensors.temperature', Condition(op='>', value=80.0, hysteresis=0.0))
    >>> try:
    ...     parse_rule({"id": "hot", "field": "sensors.temperature", "op": "=>", "value": 80})
    ... except RuleError as err:
    ...     print(err.details["rule"], "|", err.details["detail"])
    hot | op: must be one of >, >=, <, <=, ==, != (got '=>')
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cad_ml_edge.errors import RuleError

__all__ = [
    "ACTION_TYPES",
    "GEOFENCE_EVENTS",
    "OPS",
    "SEVERITIES",
    "WINDOW_FNS",
    "WINDOW_KINDS",
    "Action",
    "Condition",
    "Geofence",
    "RateOfChange",
    "Rule",
    "Window",
    "parse_rule",
    "parse_rules",
    "rule_fingerprint",
]

OPS = (">", ">=", "<", "<=", "==", "!=")
SEVERITIES = ("info", "warning", "critical")
WINDOW_KINDS = ("sliding", "tumbling")
WINDOW_FNS = ("avg", "min", "max", "sum", "count", "stddev")
ACTION_TYPES = ("alert", "command", "callback")
GEOFENCE_EVENTS = ("enter", "exit", "both")
FIELD_GROUPS = ("sensors", "metrics", "status")
MESSAGE_FIELDS = ("rule_id", "device_id", "value", "threshold", "op", "source")

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$")
_SOURCE_KEYS = {"field": "threshold", "window": "window", "rate_of_change": "rate"}
_COMMON = {"id", "severity", "actions", "message", "description", "debounce_s"}
_CONDITION = {"op", "value", "hysteresis"}
_ALLOWED = {
    "threshold": _COMMON | _CONDITION | {"field"},
    "window": _COMMON | _CONDITION | {"window"},
    "rate": _COMMON | _CONDITION | {"rate_of_change"},
    "geofence": _COMMON | {"geofence", "lat_field", "lon_field", "event"},
}


@dataclass(frozen=True)
class Condition:
    """Compare a value stream with ``value``; re-arm past ``value`` ∓ ``hysteresis``.

    ``value`` is a float, or a string/bool for ``==``/``!=`` on ``status`` fields.
    """

    op: str
    value: Any
    hysteresis: float = 0.0


@dataclass(frozen=True)
class Window:
    """An aggregate over a time window of one field (``size_s`` seconds of frame time)."""

    kind: str
    size_s: float
    fn: str
    field: str


@dataclass(frozen=True)
class RateOfChange:
    """The change of ``field`` since the previous frame, per second or per frame."""

    field: str
    per_s: bool = True


@dataclass(frozen=True)
class Geofence:
    """A polygon (``points``) or a circle (``center``, ``radius_m``) in lat/lon degrees."""

    shape: str
    points: tuple[tuple[float, float], ...] = ()
    center: tuple[float, float] | None = None
    radius_m: float | None = None
    lat_field: str = "status.lat"
    lon_field: str = "status.lon"
    event: str = "both"


@dataclass(frozen=True)
class Action:
    """What to do when a rule fires: send the alert uplink, run a command, call back."""

    type: str
    name: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)


Source = str | Window | RateOfChange | Geofence


@dataclass(frozen=True)
class Rule:
    """One validated rule; build it with :func:`parse_rule`.

    Attributes:
        id: unique within a rule set; names the rule in events and saved state.
        kind: ``threshold``, ``window``, ``rate`` or ``geofence``.
        source: a field path (threshold) or a :class:`Window`, :class:`RateOfChange`
            or :class:`Geofence`.
        condition: what fires the rule (None for geofences, which fire on enter/exit).
        debounce_s: how long (frame time) the condition must hold before firing.
        severity: ``info``, ``warning`` or ``critical``.
        actions: run in order when the rule fires.
        message: an optional template (``{value}``, ``{threshold}``, ``{device_id}``...).
        description: free text for people; ignored by the engine.
    """

    id: str
    kind: str
    source: Source
    condition: Condition | None
    debounce_s: float = 0.0
    severity: str = "warning"
    actions: tuple[Action, ...] = (Action("alert"),)
    message: str | None = None
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The canonical dict of this rule (defaults included, no ``None`` values)."""
        out: dict[str, Any] = {"id": self.id}
        src = self.source
        if isinstance(src, str):
            out["field"] = src
        elif isinstance(src, Window):
            out["window"] = {"kind": src.kind, "size_s": src.size_s, "fn": src.fn}
            out["window"]["field"] = src.field
        elif isinstance(src, RateOfChange):
            out["rate_of_change"] = {"field": src.field, "per_s": src.per_s}
        else:
            shape: dict[str, Any] = {"shape": src.shape}
            if src.shape == "polygon":
                shape["points"] = [list(p) for p in src.points]
            else:
                shape["center"] = list(src.center or ())
                shape["radius_m"] = src.radius_m
            out.update(geofence=shape, lat_field=src.lat_field, lon_field=src.lon_field)
            out["event"] = src.event
        if self.condition is not None:
            out.update(op=self.condition.op, value=self.condition.value)
            out["hysteresis"] = self.condition.hysteresis
        out.update(debounce_s=self.debounce_s, severity=self.severity)
        out["actions"] = [_action_dict(a) for a in self.actions]
        if self.message is not None:
            out["message"] = self.message
        if self.description is not None:
            out["description"] = self.description
        return out


def _action_dict(action: Action) -> dict[str, Any]:
    out: dict[str, Any] = {"type": action.type}
    if action.name is not None:
        out["name"] = action.name
    if action.args:
        out["args"] = dict(action.args)
    return out


def rule_fingerprint(rule: Rule) -> str:
    """A short stable hash of the rule's canonical dict (saved state is keyed by it)."""
    text = json.dumps(rule.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ------------------------------------------------------------------ parsing
class _Parser:
    """Validates one rule dict; every failure names the rule and the field."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        raw_id = data.get("id")
        self.id = raw_id if isinstance(raw_id, str) else repr(raw_id)

    def fail(self, where: str, detail: str) -> RuleError:
        return RuleError(
            "EDGE_RULE_INVALID", rule=self.id, field=where, detail=f"{where}: {detail}"
        )

    def number(self, value: Any, where: str, *, minimum: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, f"must be a number (got {value!r})")
        if not math.isfinite(value):
            raise self.fail(where, f"must be finite (got {value!r})")
        if minimum is not None and value < minimum:
            raise self.fail(where, f"must be ≥ {minimum:g} (got {value!r})")
        return float(value)

    def choice(self, value: Any, where: str, options: tuple[str, ...]) -> str:
        if value not in options or not isinstance(value, str):
            raise self.fail(where, f"must be one of {', '.join(options)} (got {value!r})")
        return value

    def mapping(self, value: Any, where: str, keys: set[str]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(where, f"must be a table/object (got {type(value).__name__})")
        unknown = sorted(set(value) - keys)
        if unknown:
            raise self.fail(where, f"unknown keys {unknown}; allowed {sorted(keys)}")
        return value

    def field_path(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"must be a string like 'sensors.temperature' (got {value!r})")
        group, _, name = value.partition(".")
        if group not in FIELD_GROUPS or not name:
            raise self.fail(
                where, f"must be sensors.<name>, metrics.<name> or status.<name> (got {value!r})"
            )
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(where, f"must be a non-empty string (got {value!r})")
        return value

    # ------------------------------------------------------------- pieces
    def rule(self) -> Rule:
        data = self.data
        if not isinstance(data.get("id"), str) or not _ID.match(data["id"]):
            raise self.fail("id", "must be 1-128 characters of letters, digits, _ . : -")
        kinds = [k for k in (*_SOURCE_KEYS, "geofence") if k in data]
        if len(kinds) != 1:
            raise self.fail("field", "give exactly one of field, window, rate_of_change, geofence")
        kind = _SOURCE_KEYS.get(kinds[0], "geofence")
        unknown = sorted(set(data) - _ALLOWED[kind])
        if unknown:
            raise self.fail(unknown[0], f"unknown key for a {kind} rule")
        if kind == "geofence":
            source: Source = self.geofence()
            condition = None
        else:
            if kind == "threshold":
                source = self.field_path(data["field"], "field")
            elif kind == "window":
                source = self.window(data["window"])
            else:
                source = self.rate(data["rate_of_change"])
            condition = self.condition(kind, source)
        debounce = self.number(data.get("debounce_s", 0.0), "debounce_s", minimum=0.0)
        severity = self.choice(data.get("severity", "warning"), "severity", SEVERITIES)
        actions = self.actions(data.get("actions", [{"type": "alert"}]))
        message = data.get("message")
        if message is not None:
            self.template(message)
        description = data.get("description")
        if description is not None and not isinstance(description, str):
            raise self.fail("description", "must be a string")
        return Rule(
            self.id, kind, source, condition, debounce, severity, actions, message, description
        )

    def condition(self, kind: str, source: Source) -> Condition:
        data = self.data
        for key in ("op", "value"):
            if key not in data:
                raise self.fail(key, f"is required for a {kind} rule")
        op = self.choice(data["op"], "op", OPS)
        raw = data["value"]
        on_status = isinstance(source, str) and source.startswith("status.")
        if isinstance(raw, (str, bool)):
            if op not in ("==", "!=") or not on_status:
                raise self.fail(
                    "value", "strings and booleans need == or != on a status.<name> field"
                )
            value: Any = raw
        else:
            value = self.number(raw, "value")
        hysteresis = self.number(data.get("hysteresis", 0.0), "hysteresis", minimum=0.0)
        if hysteresis and op in ("==", "!="):
            raise self.fail("hysteresis", "applies to >, >=, <, <= only")
        return Condition(op, value, hysteresis)

    def window(self, raw: Any) -> Window:
        spec = self.mapping(raw, "window", {"kind", "size_s", "fn", "field"})
        for key in ("kind", "size_s", "fn", "field"):
            if key not in spec:
                raise self.fail(f"window.{key}", "is required")
        kind = self.choice(spec["kind"], "window.kind", WINDOW_KINDS)
        size = self.number(spec["size_s"], "window.size_s")
        if size <= 0:
            raise self.fail("window.size_s", f"must be > 0 (got {spec['size_s']!r})")
        fn = self.choice(spec["fn"], "window.fn", WINDOW_FNS)
        return Window(kind, size, fn, self.field_path(spec["field"], "window.field"))

    def rate(self, raw: Any) -> RateOfChange:
        spec = self.mapping(raw, "rate_of_change", {"field", "per_s"})
        if "field" not in spec:
            raise self.fail("rate_of_change.field", "is required")
        per_s = spec.get("per_s", True)
        if not isinstance(per_s, bool):
            raise self.fail("rate_of_change.per_s", f"must be true or false (got {per_s!r})")
        return RateOfChange(self.field_path(spec["field"], "rate_of_change.field"), per_s)

    def point(self, raw: Any, where: str) -> tuple[float, float]:
        if not isinstance(raw, (list, tuple)) or len(raw) != 2:
            raise self.fail(where, f"must be [lat, lon] (got {raw!r})")
        lat = self.number(raw[0], where)
        lon = self.number(raw[1], where)
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise self.fail(where, f"lat must be in [-90, 90] and lon in [-180, 180] (got {raw!r})")
        return lat, lon

    def geofence(self) -> Geofence:
        data = self.data
        spec = self.mapping(data["geofence"], "geofence", {"shape", "points", "center", "radius_m"})
        shape = self.choice(spec.get("shape"), "geofence.shape", ("polygon", "circle"))
        lat_field = self.field_path(data.get("lat_field", "status.lat"), "lat_field")
        lon_field = self.field_path(data.get("lon_field", "status.lon"), "lon_field")
        event = self.choice(data.get("event", "both"), "event", GEOFENCE_EVENTS)
        if shape == "circle":
            if "points" in spec:
                raise self.fail("geofence.points", "belongs to polygons; a circle has center")
            center = self.point(spec.get("center"), "geofence.center")
            radius = self.number(spec.get("radius_m"), "geofence.radius_m")
            if not 0 < radius <= 1_000_000:
                raise self.fail("geofence.radius_m", f"must be in (0, 1e6] m (got {radius!r})")
            return Geofence(shape, (), center, radius, lat_field, lon_field, event)
        if "center" in spec or "radius_m" in spec:
            raise self.fail("geofence.center", "belongs to circles; a polygon has points")
        raw = spec.get("points")
        if not isinstance(raw, (list, tuple)) or len(raw) < 3:
            raise self.fail("geofence.points", "must list at least 3 [lat, lon] points")
        points = [self.point(p, f"geofence.points[{i}]") for i, p in enumerate(raw)]
        if points[0] == points[-1]:
            points.pop()  # a closed ring repeats its first point; keep it open
        lons = [p[1] for p in points]
        if max(lons) - min(lons) > 180.0:
            raise self.fail(
                "geofence.points", "spans more than 180° of longitude (antimeridian): split it"
            )
        if len(points) < 3 or _area2(points) == 0.0:
            raise self.fail("geofence.points", "must enclose an area (≥ 3 distinct points)")
        return Geofence(shape, tuple(points), None, None, lat_field, lon_field, event)

    def actions(self, raw: Any) -> tuple[Action, ...]:
        if not isinstance(raw, (list, tuple)):
            raise self.fail("actions", f"must be a list (got {type(raw).__name__})")
        out = []
        for i, item in enumerate(raw):
            where = f"actions[{i}]"
            spec = self.mapping(item, where, {"type", "name", "args"})
            kind = self.choice(spec.get("type"), f"{where}.type", ACTION_TYPES)
            name = spec.get("name")
            if kind == "alert":
                if name is not None or "args" in spec:
                    raise self.fail(f"{where}.name", "an alert action takes no name or args")
                out.append(Action(kind))
                continue
            name = self.text(name, f"{where}.name")
            args = spec.get("args", {})
            if not isinstance(args, Mapping) or (args and kind == "callback"):
                raise self.fail(f"{where}.args", "must be a table, and only commands take args")
            out.append(Action(kind, name, dict(args)))
        return tuple(out)

    def template(self, message: Any) -> None:
        if not isinstance(message, str):
            raise self.fail("message", "must be a string")
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(message)]
        except ValueError as exc:
            raise self.fail("message", f"bad template: {exc}") from exc
        for name in names:
            if name is not None and name not in MESSAGE_FIELDS:
                raise self.fail(
                    "message", f"unknown placeholder {{{name}}}; use {', '.join(MESSAGE_FIELDS)}"
                )


def _area2(points: list[tuple[float, float]]) -> float:
    """Twice the signed area of a polygon (shoelace), in degrees²."""
    total = 0.0
    for (y0, x0), (y1, x1) in zip(points, points[1:] + points[:1], strict=True):
        total += x0 * y1 - x1 * y0
    return total


def parse_rule(data: Mapping[str, Any]) -> Rule:
    """Validate one rule dict.

    Args:
        data: the rule as plain data (see ``docs/rules.md``).

    Returns:
        The frozen :class:`Rule`.

    Raises:
        RuleError: naming the rule and the offending field.
    """
    if not isinstance(data, Mapping):
        raise RuleError(
            "EDGE_RULE_INVALID", rule="?", field="", detail="a rule must be a table/object"
        )
    return _Parser(data).rule()


def parse_rules(rules: Iterable[Mapping[str, Any] | Rule]) -> tuple[Rule, ...]:
    """Validate a rule set (dicts or :class:`Rule` objects); ids must be unique.

    Raises:
        RuleError: for the first invalid rule or a duplicate id.
    """
    out: list[Rule] = []
    seen: set[str] = set()
    for item in rules:
        rule = item if isinstance(item, Rule) else parse_rule(item)
        if rule.id in seen:
            raise RuleError(
                "EDGE_RULE_INVALID", rule=rule.id, field="id", detail="id: used by another rule"
            )
        seen.add(rule.id)
        out.append(rule)
    return tuple(out)
