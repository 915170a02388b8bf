"""The condition state machine (threshold, hysteresis, debounce), evaluated in banks.

Every non-geofence rule turns a value stream (a field, a window aggregate, a rate) into
events with the same machine, per (rule, device):

* ``idle`` → ``pending`` when the condition becomes true (at frame time ``since``);
* ``pending`` → ``fired`` (one event) on the first frame with the condition still true
  and ``timestamp - since ≥ debounce_s``; ``pending`` → ``idle`` when it turns false;
* ``fired`` → ``idle`` (re-armed) when the condition is false against ``value ∓
  hysteresis``: for ``>`` that is ``v ≤ value - hysteresis``, for ``>=`` it is ``v < value -
  hysteresis``, mirrored for ``<``/``<=``; ``==``/``!=`` take no hysteresis.

A :class:`Bank` holds all rules reading the same value stream whose operators are all
ordering operators (``< <= > >=``), or all ``==``, or all ``!=``. An ordering bank has a
*quiet interval* ``(lo, hi)``: ``lo`` is the highest threshold of its ``<``/``<=`` rules
and ``hi`` the lowest of its ``>``/``>=`` rules. While no rule of the bank is pending or
fired and ``lo < v < hi``, nothing can change, so the caller skips the bank after one
chained comparison (:attr:`Bank.check`). That keeps 100 rules near 100 ns each.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cad_ml_edge.rules.targets import Target

__all__ = [
    "FIRED",
    "IDLE",
    "NO_CHECK",
    "PENDING",
    "QUIET",
    "Bank",
    "BankState",
    "Check",
    "Feed",
]

IDLE, PENDING, FIRED = 0, 1, 2

Feed = Callable[[Any, float, list], None]
"""``feed(value, timestamp, out)``: advance state; append ``(target, value, kind)`` on fire."""

_CMP: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


class BankState:
    """Per-device state of a bank: one phase and one ``since`` per rule."""

    __slots__ = ("active", "phase", "since")

    def __init__(self, phase: list[int], since: list[float]) -> None:
        self.phase = phase
        self.since = since
        self.active = sum(1 for p in phase if p != IDLE)


QUIET = BankState([], [])
"""The state of no bank: never active (pairs with an infinite interval)."""


def _never(v: Any, ts: float, out: list) -> None:  # pragma: no cover - gated off
    raise AssertionError("the empty check is never called")


Check = tuple[float, float, BankState, Feed]
"""``(lo, hi, state, slow)``: call ``slow`` unless ``lo < v < hi and not state.active``."""

NO_CHECK: Check = (-math.inf, math.inf, QUIET, _never)
"""A check that never calls: for streams without ordering rules."""


class Bank:
    """Rules reading one value stream: all ordering operators, or all ``==``, or all ``!=``.

    Args:
        targets: the rules, in rule-set order.
        ops: each rule's operator.
        thresholds: each rule's ``value``.
        hysteresis: each rule's hysteresis (0 for ``==``/``!=``).
        debounce_s: each rule's debounce.
    """

    def __init__(
        self,
        targets: Sequence[Target],
        ops: Sequence[str],
        thresholds: Sequence[Any],
        hysteresis: Sequence[float],
        debounce_s: Sequence[float],
    ) -> None:
        families = {op if op in ("==", "!=") else "order" for op in ops}
        if len(families) != 1:
            raise ValueError(f"a bank takes one family of operators, not {sorted(families)}")
        self.family = families.pop()
        self.targets = tuple(targets)
        self.ops = tuple(ops)
        self.thresholds = tuple(thresholds)
        self.rearm = tuple(
            t + (-h if op in (">", ">=") else h) if h else t
            for op, t, h in zip(ops, thresholds, hysteresis, strict=True)
        )
        self.debounce_s = tuple(debounce_s)
        lows = [t for op, t in zip(ops, thresholds, strict=True) if op in ("<", "<=")]
        highs = [t for op, t in zip(ops, thresholds, strict=True) if op in (">", ">=")]
        self.lo = max(lows, default=-math.inf)
        self.hi = min(highs, default=math.inf)

    # ------------------------------------------------------------- state
    def new_state(self) -> BankState:
        """Every rule idle."""
        n = len(self.targets)
        return BankState([IDLE] * n, [0.0] * n)

    def load(self, entries: Mapping[str, Any]) -> BankState:
        """State from saved entries (``rule:<id>``); a rule whose fingerprint differs is idle."""
        state = self.new_state()
        for i, target in enumerate(self.targets):
            saved = entries.get(f"rule:{target.rule_id}")
            if saved is not None and saved["fp"] == target.fingerprint:
                phase, since = saved["phase"], saved["since"]
                if phase not in (IDLE, PENDING, FIRED) or not isinstance(since, (int, float)):
                    raise ValueError(f"bad state for rule {target.rule_id!r}")
                state.phase[i] = phase
                state.since[i] = since
        state.active = sum(1 for p in state.phase if p != IDLE)
        return state

    def dump(self, state: BankState) -> dict[str, Any]:
        """Entries ``rule:<id>`` → ``{"fp", "phase", "since"}``."""
        return {
            f"rule:{t.rule_id}": {"fp": t.fingerprint, "phase": p, "since": s}
            for t, p, s in zip(self.targets, state.phase, state.since, strict=True)
        }

    # ------------------------------------------------------------- evaluation
    def slow(self, state: BankState) -> Feed:
        """The full state machine over every rule of the bank, for one device."""
        cmps = tuple(_CMP[op] for op in self.ops)
        targets, thresholds, rearm = self.targets, self.thresholds, self.rearm
        debounce = self.debounce_s
        phase, since = state.phase, state.since
        n_range = range(len(targets))

        def slow(v: Any, ts: float, out: list) -> None:
            for i in n_range:
                p = phase[i]
                if p == FIRED:
                    if not cmps[i](v, rearm[i]):
                        phase[i] = IDLE
                        state.active -= 1
                elif cmps[i](v, thresholds[i]):
                    if p == IDLE:
                        phase[i] = PENDING
                        since[i] = ts
                        state.active += 1
                    if ts - since[i] >= debounce[i]:
                        phase[i] = FIRED
                        target = targets[i]
                        out.append((target, v, target.kind))
                elif p == PENDING:
                    phase[i] = IDLE
                    state.active -= 1

        return slow

    def check(self, state: BankState) -> Check:
        """The inline gate of an ordering bank: ``(lo, hi, state, slow)``."""
        if self.family != "order":
            raise ValueError("only ordering banks have a quiet interval")
        return (self.lo, self.hi, state, self.slow(state))

    def bind(self, state: BankState) -> Feed:
        """A gated feed for one device (any family)."""
        slow = self.slow(state)
        if self.family == "order":
            lo, hi = self.lo, self.hi

            def feed(v: Any, ts: float, out: list) -> None:
                if not lo < v < hi or state.active:
                    slow(v, ts, out)

            return feed
        thresholds = self.thresholds
        if self.family == "==":

            def feed_eq(v: Any, ts: float, out: list) -> None:
                if state.active or v in thresholds:
                    slow(v, ts, out)

            return feed_eq
        if len(set(map(repr, thresholds))) == 1:
            # every != rule compares with one value (say status.door != "closed"):
            # quiet while nothing is active and the value equals it
            only = thresholds[0]

            def feed_ne(v: Any, ts: float, out: list) -> None:
                if state.active or v != only:
                    slow(v, ts, out)

            return feed_ne
        return slow
