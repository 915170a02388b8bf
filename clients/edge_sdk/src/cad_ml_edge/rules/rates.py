"""Rate of change of one field between consecutive frames that carry it.

With ``per_s`` the rate is ``(x - x_prev) / (t - t_prev)`` in units per second of frame
time, so irregular sampling is handled; without it, the change per frame ``x - x_prev``.
A frame whose timestamp equals the previous one is skipped (no rate, the previous sample
is kept): its rate is undefined. The first frame only records the sample.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cad_ml_edge.rules.conditions import Check, Feed

__all__ = ["Rate", "RateState"]


def _nothing() -> None:
    """The ``sync`` of a state no feed is bound to."""


class RateState:
    """The previous sample, or none yet (``t is None``).

    A bound feed keeps them in closure cells and writes them back on ``sync()``.
    """

    __slots__ = ("sync", "t", "x")

    def __init__(self, t: float | None = None, x: float = 0.0) -> None:
        self.t = t
        self.x = x
        self.sync: Callable[[], None] = _nothing


class Rate:
    """The rate of change of ``field``, shared by every rate rule on it.

    Args:
        field: the field path.
        per_s: per second (True) or per frame (False).
    """

    def __init__(self, field: str, per_s: bool) -> None:
        self.key = f"rate:{field}:{'s' if per_s else 'frame'}"
        self.per_s = per_s

    def new_state(self) -> RateState:
        """No previous sample."""
        return RateState()

    def load(self, entries: Mapping[str, Any]) -> RateState:
        """The saved previous sample, or none."""
        saved = entries.get(self.key)
        if saved is None:
            return RateState()
        t, x = saved["t"], saved["x"]
        if not isinstance(t, (int, float)) or not isinstance(x, (int, float)):
            raise ValueError(f"{self.key}: t and x must be numbers")
        return RateState(t, x)

    def dump(self, state: RateState) -> dict[str, Any]:
        """``{key: {"t", "x"}}``, or nothing before the first sample."""
        state.sync()
        return {} if state.t is None else {self.key: {"t": state.t, "x": state.x}}

    def bind(self, state: RateState, check: Check, feeds: Sequence[Feed]) -> Feed:
        """The rate's feed: the rate against the previous sample, checked and fed to banks."""
        lo, hi, bank, slow = check
        feeds = tuple(feeds)
        per_s = self.per_s
        prev_t, prev_x = state.t, state.x

        def sync() -> None:
            state.t, state.x = prev_t, prev_x

        state.sync = sync

        def feed(x: float, t: float, out: list) -> None:
            nonlocal prev_t, prev_x
            if prev_t is not None:
                if t <= prev_t:
                    return
                r = (x - prev_x) / (t - prev_t) if per_s else x - prev_x
                if not lo < r < hi or bank.active:
                    slow(r, t, out)
                if feeds:
                    for f in feeds:
                        f(r, t, out)
            prev_t = t
            prev_x = x

        return feed
