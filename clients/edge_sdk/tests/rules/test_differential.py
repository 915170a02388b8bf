"""The engine against the naive reference on seeded streams: same events, same frames.

The reference (``conftest.ReferenceEngine``) recomputes every window from the full
history and runs one state machine per rule; the engine shares windows, gates banks,
keeps lazy min/max deques and skips geofences within their margin. Any divergence in
which rule fires on which frame fails here.
"""

from __future__ import annotations

from typing import Any

import pytest

from cad_ml_edge.rules import RuleEngine

SITE = [
    [40.9998, 28.9998],
    [40.9998, 29.0003],
    [41.0003, 29.0003],
    [41.0001, 29.0],
    [41.0003, 28.9998],
]


def rule_set(variant: int) -> list[dict[str, Any]]:
    ops = [">", ">=", "<", "<="]
    rules: list[dict[str, Any]] = []
    for i, op in enumerate(ops):
        up = op.startswith(">")
        rules.append(
            {
                "id": f"t{i}",
                "field": "sensors.temp",
                "op": op,
                "value": 52.0 + variant if up else 48.0 - variant,
                "hysteresis": [0.0, 1.0, 2.5][(i + variant) % 3],
                "debounce_s": [0.0, 0.5, 2.0][(i * 2 + variant) % 3],
            }
        )
    rules += [
        {"id": "load", "field": "metrics.load", "op": ">", "value": 90, "debounce_s": 1.0},
        {"id": "fault", "field": "status.mode", "op": "==", "value": "fault"},
        {"id": "manual", "field": "status.mode", "op": "!=", "value": "auto", "debounce_s": 1},
        {"id": "north", "field": "status.lat", "op": ">", "value": 41.0001, "hysteresis": 0.0001},
        {"id": "eq", "field": "sensors.vib", "op": "==", "value": 1.0},
    ]
    for j, (kind, size) in enumerate(
        [("sliding", 2.0), ("sliding", 7.5), ("tumbling", 5.0), ("tumbling", 30.0)]
    ):
        for fn, op, value in [
            ("avg", ">", 51.0),
            ("max", ">", 53.0 + variant),
            ("min", "<", 47.0),
            ("sum", ">", 500.0 * size),
            ("count", "<", size * 0.8),
            ("stddev", ">", 1.5 + variant * 0.5),
        ]:
            field = "sensors.vib" if fn in ("stddev",) and j % 2 else "sensors.temp"
            rules.append(
                {
                    "id": f"w{j}-{fn}",
                    "window": {"kind": kind, "size_s": size, "fn": fn, "field": field},
                    "op": op,
                    "value": value,
                    "hysteresis": 0.5 if fn != "count" else 0.0,
                    "debounce_s": [0.0, 1.0][(j + variant) % 2],
                }
            )
    rules += [
        {
            "id": "w-ne",
            "window": {"kind": "sliding", "size_s": 3, "fn": "max", "field": "sensors.vib"},
            "op": "!=",
            "value": 1.0,
        },
        {
            "id": "w-eq",
            "window": {"kind": "sliding", "size_s": 3, "fn": "count", "field": "sensors.vib"},
            "op": "==",
            "value": 3,
        },
        {
            "id": "rate-s",
            "rate_of_change": {"field": "sensors.temp"},
            "op": ">",
            "value": 3.0,
            "hysteresis": 1.0,
        },
        {
            "id": "rate-f",
            "rate_of_change": {"field": "sensors.temp", "per_s": False},
            "op": "<",
            "value": -2.5,
            "debounce_s": 0.5,
        },
        {
            "id": "rate-eq",
            "rate_of_change": {"field": "metrics.load", "per_s": False},
            "op": "!=",
            "value": 0.0,
        },
        {
            "id": "site",
            "geofence": {"shape": "polygon", "points": SITE},
            "debounce_s": variant * 0.5,
        },
        {
            "id": "gate",
            "geofence": {"shape": "circle", "center": [41.0, 29.0], "radius_m": 25},
            "event": ["both", "enter", "exit"][variant % 3],
        },
        {
            "id": "far",
            "geofence": {"shape": "circle", "center": [41.01, 29.0], "radius_m": 10},
            "event": "enter",
        },
    ]
    return rules


@pytest.mark.parametrize("variant", range(3))
@pytest.mark.parametrize("seed", range(4))
def test_engine_matches_reference(variant: int, seed: int, reference: Any, stream: Any):
    rules = rule_set(variant)
    frames = stream(seed, 1500, devices=2)
    engine, ref = RuleEngine(rules), reference(rules)
    got, want = [], []
    for i, frame in enumerate(frames):
        got += [(i, e.rule_id, e.kind, e.value) for e in engine.process(frame)]
        want += [(i, rule_id, kind, value) for rule_id, value, kind in ref.process(frame)]
    assert [g[:3] for g in got] == [w[:3] for w in want]
    for g, w in zip(got, want, strict=True):
        if isinstance(w[3], str):
            assert g[3] == w[3]
        else:
            assert g[3] == pytest.approx(w[3], rel=1e-9, abs=1e-9), g[:3]
    # the streams exercise every kind of rule
    assert {g[1].split("-")[0][0] for g in got} >= {"t", "w", "r", "s", "g", "f", "m", "n"}


def test_exact_indices_on_a_seeded_stream(stream: Any):
    """Pinned results on one seeded stream (river style): any change in semantics shows."""
    rules = [
        {"id": "hot", "field": "sensors.temp", "op": ">", "value": 55.0, "hysteresis": 2.0},
        {
            "id": "vib-avg",
            "window": {"kind": "sliding", "size_s": 5, "fn": "avg", "field": "sensors.vib"},
            "op": ">",
            "value": 1.6,
        },
        {"id": "cool-fast", "rate_of_change": {"field": "sensors.temp"}, "op": "<", "value": -4.0},
    ]
    engine = RuleEngine(rules)
    fired: dict[str, list[int]] = {}
    for i, frame in enumerate(stream(11, 400)):
        for event in engine.process(frame):
            fired.setdefault(event.rule_id, []).append(i)
    assert fired == PINNED


PINNED = {
    "hot": [1, 5],
    "cool-fast": [
        3,
        6,
        14,
        20,
        51,
        69,
        92,
        95,
        102,
        108,
        116,
        125,
        132,
        140,
        154,
        157,
        161,
        180,
        193,
        196,
        218,
        220,
        245,
        255,
        262,
        267,
        271,
        274,
        280,
        284,
        296,
        313,
        315,
        326,
        335,
        339,
        342,
        347,
        352,
        361,
        367,
        388,
    ],
    "vib-avg": [25, 27, 72, 90, 148, 160, 192, 229, 247, 280, 305, 320, 329, 341, 364, 371],
}
