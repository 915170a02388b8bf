"""Stream policies and capacity alerts."""

from __future__ import annotations

import logging

import pytest

from cad_ml_edge.errors import ConfigError
from cad_ml_edge.queue import Priority, StreamPolicy
from cad_ml_edge.queue.alerts import CapacityAlarm


def test_defaults_and_int_priority() -> None:
    policy = StreamPolicy("s", 1)  # type: ignore[arg-type]
    assert policy.priority is Priority.HIGH
    assert (policy.on_full, policy.ttl_s) == ("reject", None)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": ""}, "non-empty"),
        ({"name": 3}, "non-empty"),
        ({"name": "s", "priority": 7}, "priority 7 is not 0-3"),
        ({"name": "s", "on_full": "drop_newest"}, "on_full 'drop_newest'"),
        ({"name": "s", "ttl_s": 0}, "ttl_s must be > 0"),
        ({"name": "s", "ttl_s": float("inf")}, "ttl_s must be > 0"),
    ],
)
def test_invalid_policy(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match) as caught:
        StreamPolicy(**kwargs)  # type: ignore[arg-type]
    assert caught.value.code == "EDGE_CONFIG_INVALID"
    assert isinstance(caught.value, ValueError)


def test_alarm_fires_once_per_crossing_and_rearms() -> None:
    seen: list[tuple[str, float]] = []
    alarm = CapacityAlarm((0.95, 0.8), lambda name, usage: seen.append((name, usage)))
    assert alarm.thresholds == (0.8, 0.95)
    for usage in (0.1, 0.8, 0.85, 0.99, 0.96, 0.79, 0.5, 0.96):
        alarm.update(usage)
    assert seen == [
        ("queue_capacity_80", 0.8),
        ("queue_capacity_95", 0.99),
        ("queue_capacity_80", 0.96),
        ("queue_capacity_95", 0.96),
    ]


def test_alarm_without_callback_only_logs(caplog: pytest.LogCaptureFixture) -> None:
    alarm = CapacityAlarm((0.5,), None)
    with caplog.at_level(logging.WARNING, logger="cad_ml_edge.queue"):
        alarm.update(0.6)
    assert "queue_capacity_50: the queue is at 60.0 % of its capacity" in caplog.text


def test_failing_callback_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def boom(name: str, usage: float) -> None:
        raise RuntimeError("pager down")

    alarm = CapacityAlarm((0.5,), boom)
    with caplog.at_level(logging.ERROR, logger="cad_ml_edge.queue"):
        alarm.update(0.7)
    assert "queue alert callback failed for queue_capacity_50" in caplog.text
    assert "pager down" in caplog.text


@pytest.mark.parametrize("thresholds", [(0.0,), (1.5,), (0.5, -0.1)])
def test_invalid_thresholds(thresholds: tuple[float, ...]) -> None:
    with pytest.raises(ConfigError, match="alert thresholds"):
        CapacityAlarm(thresholds, None)
