"""Local rules: thresholds, windows, rates of change and geofences, compiled once.

The format (plain dicts, JSON/TOML friendly) is in :mod:`cad_ml_edge.rules.spec` and
``docs/rules.md``; the platform uses the same format. :class:`RuleEngine` evaluates a
rule set on :class:`~cad_ml_edge.wire.TelemetryFrame` objects and emits
:class:`AlertEvent` objects; its state survives restarts through :meth:`RuleEngine.snapshot`.
"""

from cad_ml_edge.errors import RuleError
from cad_ml_edge.rules.engine import RuleEngine
from cad_ml_edge.rules.events import EVENT_KINDS, AlertEvent
from cad_ml_edge.rules.spec import Rule, parse_rule, parse_rules

__all__ = [
    "EVENT_KINDS",
    "AlertEvent",
    "Rule",
    "RuleEngine",
    "RuleError",
    "parse_rule",
    "parse_rules",
]
