"""The static side of a rule at fire time: identity, severity, message and actions.

Built once per rule set by :func:`build_targets`; the engine turns ``(target, value,
kind)`` into an :class:`~cad_ml_edge.rules.events.AlertEvent` and runs the target's
actions. Unknown callback names and command actions without a hook fail here, at
compile time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cad_ml_edge.errors import RuleError
from cad_ml_edge.rules.spec import RateOfChange, Rule, Window, rule_fingerprint

__all__ = ["Target", "build_targets"]

_NUMBER = (int, float)


class Target:
    """The static side of one rule at fire time: identity, severity, message and actions.

    Args:
        index: the rule's position in the rule set (events come out in this order).
        rule_id: the rule's id.
        kind: the event kind for this rule (``threshold``, ``window``, ``rate``, ``geofence``).
        severity: copied into events.
        fingerprint: the rule's fingerprint (saved state is only reused when it matches).
        describe: ``describe(value, device_id, kind) -> str``, the event message.
        actions: callables run with each event, in order.
    """

    __slots__ = ("actions", "describe", "fingerprint", "index", "kind", "rule_id", "severity")

    def __init__(
        self,
        index: int,
        rule_id: str,
        kind: str,
        severity: str,
        fingerprint: str,
        describe: Callable[[Any, str, str], str],
        actions: tuple[Callable[[Any], None], ...] = (),
    ) -> None:
        self.index = index
        self.rule_id = rule_id
        self.kind = kind
        self.severity = severity
        self.fingerprint = fingerprint
        self.describe = describe
        self.actions = actions


def _show(value: Any) -> str:
    return format(value, ".6g") if isinstance(value, _NUMBER) else repr(value)


def _source_text(rule: Rule) -> str:
    src = rule.source
    if isinstance(src, str):
        return src
    if isinstance(src, Window):
        return f"{src.fn}({src.field}) over {src.kind} {src.size_s:g} s"
    if isinstance(src, RateOfChange):
        return f"rate of {src.field} per {'s' if src.per_s else 'frame'}"
    return f"geofence {rule.id}"


def _describer(rule: Rule) -> Callable[[Any, str, str], str]:
    """``describe(value, device_id, kind) -> message`` for one rule."""
    source = _source_text(rule)
    cond = rule.condition
    threshold = cond.value if cond is not None else ""
    rule_op = cond.op if cond is not None else ""

    def default(value: Any, device_id: str, kind: str) -> str:
        if cond is None:
            verb = "entered" if kind == "geofence_enter" else "left"
            return f"{device_id} {verb} {source} at ({value[0]:.6f}, {value[1]:.6f})"
        return f"{source} {rule_op} {_show(threshold)}: {_show(value)}"

    template = rule.message
    if template is None:
        return default

    def describe(value: Any, device_id: str, kind: str) -> str:
        op = rule_op or ("enter" if kind == "geofence_enter" else "exit")
        try:
            return template.format(
                rule_id=rule.id,
                device_id=device_id,
                value=value,
                threshold=threshold,
                op=op,
                source=source,
            )
        except (ValueError, TypeError):  # e.g. {value:.1f} on a string status value
            return default(value, device_id, kind)

    return describe


def _actions(
    rule: Rule,
    callbacks: Mapping[str, Callable[[Any], None]],
    command_hook: Callable[[str, dict[str, Any]], None] | None,
    alert_sink: Callable[[Any], None] | None,
) -> tuple[Callable[[Any], None], ...]:
    out: list[Callable[[Any], None]] = []
    for i, action in enumerate(rule.actions):
        where = f"actions[{i}].name"
        if action.type == "alert":
            if alert_sink is not None:
                out.append(alert_sink)
        elif action.type == "callback":
            fn = callbacks.get(action.name or "")
            if fn is None:
                raise RuleError(
                    "EDGE_RULE_INVALID",
                    rule=rule.id,
                    field=where,
                    detail=f"{where}: no callback named {action.name!r} was given "
                    f"(known: {sorted(callbacks)})",
                )
            out.append(fn)
        else:
            if command_hook is None:
                raise RuleError(
                    "EDGE_RULE_INVALID",
                    rule=rule.id,
                    field=where,
                    detail=f"{where}: command {action.name!r} needs a command_hook",
                )
            out.append(_command(command_hook, action.name or "", dict(action.args)))
    return tuple(out)


def _command(
    hook: Callable[[str, dict[str, Any]], None], name: str, args: dict[str, Any]
) -> Callable[[Any], None]:
    def run(event: Any) -> None:
        context = {
            "rule_id": event.rule_id,
            "device_id": event.device_id,
            "timestamp": event.timestamp,
            "severity": event.severity,
            "kind": event.kind,
            "value": event.value,
            "message": event.message,
            "args": dict(args),
        }
        hook(name, context)

    return run


def build_targets(
    rules: Sequence[Rule],
    *,
    callbacks: Mapping[str, Callable[[Any], None]] | None = None,
    command_hook: Callable[[str, dict[str, Any]], None] | None = None,
    alert_sink: Callable[[Any], None] | None = None,
) -> list[Target]:
    """One :class:`Target` per rule, in rule-set order.

    Raises:
        RuleError: a callback action names no given callback, or a command action has
            no ``command_hook``.
    """
    callbacks = dict(callbacks or {})
    return [
        Target(
            i,
            rule.id,
            rule.kind,
            rule.severity,
            rule_fingerprint(rule),
            _describer(rule),
            _actions(rule, callbacks, command_hook, alert_sink),
        )
        for i, rule in enumerate(rules)
    ]
