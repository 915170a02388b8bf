"""Device rules, presence, retention resolution and query parsing."""

from __future__ import annotations

import pytest

from cadml.errors import ValidationError
from cadml.twin.devices import (
    RetentionPolicy,
    check_device_id,
    check_retention_days,
    check_tags,
    presence,
)
from cadml.twin.query import (
    check_fn,
    check_range,
    field_name,
    parse_fields,
    parse_time,
    parse_window,
)


@pytest.mark.parametrize("good", ["press-7", "line_2.cell:3", "ölçüm-1", "x" * 128, "7"])
def test_valid_device_ids(good: str) -> None:
    assert check_device_id(good) == good


@pytest.mark.parametrize("bad", ["", "a/b", "a+", "a#", "a b", "x" * 129, "tab\t"])
def test_ids_mqtt_topics_cannot_carry_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_device_id(bad)
    assert info.value.code == "TWIN_DEVICE_INVALID"


def test_tags_must_be_flat_scalars() -> None:
    assert check_tags({"line": "2", "cell": 3, "ok": True, "note": None}) == {
        "line": "2",
        "cell": 3,
        "ok": True,
        "note": None,
    }
    for bad in ({"a": [1]}, {"": "x"}, {"a": "x" * 257}, {f"t{i}": i for i in range(51)}):
        with pytest.raises(ValidationError):
            check_tags(bad)


def test_retention_days() -> None:
    assert check_retention_days(None, "r") is None
    assert check_retention_days(7, "r") == 7.0
    for bad in (0, -1, float("inf"), True, "7"):
        with pytest.raises(ValidationError):
            check_retention_days(bad, "r")  # type: ignore[arg-type]


def test_presence_uses_the_heartbeat_timeout() -> None:
    assert presence(100.0, now=160.0, timeout_s=60.0) == "online"
    assert presence(100.0, now=160.1, timeout_s=60.0) == "offline"
    assert presence(None, now=0.0, timeout_s=60.0) == "never_seen"


def test_retention_layers_device_then_type_then_default() -> None:
    policy = RetentionPolicy.resolve((None, None), (3.0, None), default=(30.0, 365.0))
    assert policy == RetentionPolicy(3.0, 365.0)
    assert RetentionPolicy.resolve((1.0, 2.0), (3.0, 4.0), (5.0, 6.0)) == RetentionPolicy(1, 2)
    assert RetentionPolicy.resolve((None, None), None, (None, None)).cutoffs(1e6) == (None, None)
    assert RetentionPolicy(1.0, 2.0).cutoffs(3 * 86400.0) == (2 * 86400.0, 86400.0)


def test_time_parsing() -> None:
    assert parse_time(None) is None and parse_time("") is None
    assert parse_time(12) == 12.0
    assert parse_time("2025-12-01T00:00:00") == 1_764_547_200.0  # naive = UTC
    assert parse_time("2025-12-01T03:00:00+03:00") == 1_764_547_200.0
    for bad in ("yesterday", "-5", "nan"):
        with pytest.raises(ValidationError) as info:
            parse_time(bad)
        assert info.value.code == "TWIN_QUERY_INVALID"


def test_window_parsing() -> None:
    assert [parse_window(w) for w in ("1s", "30s", "5m", "1h", "1d", "1w", "2.5m")] == [
        1.0,
        30.0,
        300.0,
        3600.0,
        86400.0,
        604800.0,
        150.0,
    ]
    for bad in ("", "5 minutes", "-5m", "500ms", "m"):
        with pytest.raises(ValidationError):
            parse_window(bad)


def test_fields_functions_and_ranges() -> None:
    assert field_name("temperature") == "sensors.temperature"
    assert field_name("metrics.cycle") == "metrics.cycle"
    assert parse_fields("temperature, metrics.cycle") == ["sensors.temperature", "metrics.cycle"]
    assert parse_fields(None) is None and parse_fields("") is None
    for bad in ("status.x", "a.b.c", "sensors.", ""):
        with pytest.raises(ValidationError):
            field_name(bad)
    assert check_fn("stddev") == "stddev"
    with pytest.raises(ValidationError):
        check_fn("median")
    check_range(1.0, 2.0)
    check_range(None, 2.0)
    with pytest.raises(ValidationError):
        check_range(2.0, 2.0)
