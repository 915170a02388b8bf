"""Time windows over one field: sliding and tumbling, in frame time.

Window rules on the same field, kind and size share one window per device, which keeps
every aggregate its rules need; each aggregate is then checked against its ordering bank
(inline, see :class:`~cad_ml_edge.rules.conditions.Bank`) and fed to any ``==``/``!=``
bank. A *stream* is ``(fn, check, feeds)``.

* **Sliding** (``size_s``): after the frame at ``t`` the window holds the samples with
  ``t - size_s < t_i ≤ t`` (a sample at exactly ``t - size_s`` is evicted). It is
  evaluated on every frame. Sums are kept relative to a shift ``k`` (a recent sample)
  and recomputed from the samples after 64 window lengths of evictions, so rounding
  cannot drift while updates stay amortised O(1) (and the rare recompute stays out of
  the p99); ``stddev`` also re-centres them when the signal has moved so far from ``k``
  that ``Σ(x-k)²/n`` and the squared mean would cancel. Sliding min and max use
  monotonic deques (amortised O(1)), kept only while their bank is not quiet (see
  :meth:`SlidingWindow.bind`).
* **Tumbling** (``size_s``): window ``j`` covers ``[j·size_s, (j+1)·size_s)`` of frame
  time, aligned to the epoch so every device and restart agrees. A window closes on the
  first frame at or past its end; its aggregate is evaluated once, at that frame's time.
  Windows in which no frame arrived are never evaluated. ``stddev`` is Welford's, O(1).

A window is evaluated only once it has seen a whole window of the device: a sliding
window from ``first + size_s`` on (``first``: the first frame carrying the field), a
tumbling window only if it started at or after ``first``. So an agent that starts (without
saved state) does not raise ``count < n`` or ``avg`` alerts on a half-filled window.

``stddev`` is the population standard deviation (as :func:`statistics.pstdev`); ``count``
is the number of frames in the window carrying the field.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from cad_ml_edge.rules.conditions import NO_CHECK, Check, Feed

__all__ = [
    "FN_CODES",
    "SlidingState",
    "SlidingWindow",
    "Stream",
    "TumblingState",
    "TumblingWindow",
]

FN_CODES = {"avg": 0, "max": 1, "min": 2, "sum": 3, "count": 4, "stddev": 5}
_AVG, _MAX, _MIN, _SUM, _COUNT, _STDDEV = range(6)
_RECOMPUTE = 64
"""Sums are recomputed after this many window lengths of evictions."""
_CANCEL = 1e7
"""Re-centre the sums when (mean - k)² exceeds this many variances (keeps ~1e-6 rel.)."""
_UNUSED: Any = (NO_CHECK, ())
_OFF: Any = (*NO_CHECK, ())


Stream = tuple[str, Check, Sequence[Feed]]
"""``(fn, check, feeds)``: an aggregate, its ordering bank's check, its other banks' feeds."""


def _plan(streams: Sequence[Stream]) -> tuple[tuple[Any, ...], ...]:
    return tuple((FN_CODES[fn], *check, tuple(feeds)) for fn, check, feeds in streams)


def _floats(values: Any) -> list[float]:
    if not isinstance(values, list) or not all(isinstance(v, (int, float)) for v in values):
        raise ValueError("window samples must be a list of numbers")
    return values


def _time(value: Any, key: str) -> float | None:
    """A saved ``first``: a number or null."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValueError(f"{key}.first must be a number or null")
    return value  # type: ignore[no-any-return]


def _nothing() -> None:
    """The ``sync`` of a state no feed is bound to."""


def _var_band(lo: float, hi: float, feeds: Sequence[Feed]) -> tuple[float, float]:
    """A variance interval in which ``lo < stddev < hi`` surely holds (with margin).

    Inside it a quiet stddev bank needs no square root. It is empty when the stddev
    also feeds ``==``/``!=`` banks, which need the value itself.
    """
    if feeds or not hi > 0.0:
        return math.inf, -math.inf
    var_lo = -math.inf if lo < 0.0 else lo * lo * (1.0 + 1e-9)
    return var_lo, hi * hi * (1.0 - 1e-9)


def _sums(xs: Sequence[float], need_q: bool) -> tuple[float, float, float]:
    """``(k, Σ(x-k), Σ(x-k)²)`` exactly (fsum), shifted by the newest sample."""
    k = xs[-1] if xs else 0.0
    s = math.fsum(x - k for x in xs)
    q = math.fsum((x - k) * (x - k) for x in xs) if need_q else 0.0
    return k, s, q


class SlidingState:
    """Samples ``(t, x)`` in the window, shifted sums and the monotonic deques.

    A bound feed keeps the scalars in closure cells (faster than attributes) and
    writes them back here when ``sync()`` is called, before a dump.
    """

    __slots__ = (
        "evicted",
        "first",
        "k",
        "limit",
        "max_t",
        "max_x",
        "min_t",
        "min_x",
        "q",
        "s",
        "sync",
        "t",
        "x",
    )

    def __init__(self) -> None:
        self.t: deque[float] = deque()
        self.x: deque[float] = deque()
        self.k = 0.0
        self.s = 0.0
        self.q: float | None = 0.0
        self.evicted = 0
        self.limit = 0
        self.first: float | None = None  # time of the first sample ever
        self.min_t: deque[float] = deque()
        self.min_x: deque[float] = deque()
        self.max_t: deque[float] = deque()
        self.max_x: deque[float] = deque()
        self.sync: Callable[[], None] = _nothing


class SlidingWindow:
    """A sliding window of ``size_s`` seconds over ``field``.

    Args:
        field: the field path.
        size_s: the window length (s, > 0).
        fns: the aggregates its rules need (names of :data:`FN_CODES`).
    """

    def __init__(self, field: str, size_s: float, fns: Iterable[str]) -> None:
        fns = set(fns)
        self.key = f"sliding:{field}:{size_s!r}"
        self.size_s = size_s
        self.need_q = "stddev" in fns
        self.need_min = "min" in fns
        self.need_max = "max" in fns

    def new_state(self) -> SlidingState:
        """An empty window."""
        return SlidingState()

    def load(self, entries: Mapping[str, Any]) -> SlidingState:
        """The saved window, or an empty one; min/max deques are rebuilt from the samples.

        Rebuilding is exact: a monotonic deque is a function of the samples it covers.
        """
        state = SlidingState()
        saved = entries.get(self.key)
        if saved is None:
            return state
        ts, xs = _floats(saved["t"]), _floats(saved["x"])
        state.k, state.s, state.q = float(saved["k"]), float(saved["s"]), saved["q"]
        state.evicted, state.limit = saved["evicted"], saved["limit"]
        if not isinstance(state.evicted, int) or not isinstance(state.limit, int):
            raise ValueError(f"{self.key}: evicted and limit must be integers")
        state.first = _time(saved["first"], self.key)
        if len(ts) != len(xs):
            raise ValueError(f"{self.key}: malformed window")
        state.t.extend(ts)
        state.x.extend(xs)
        if state.q is None and self.need_q:
            # saved by a rule set without stddev: start the sums afresh from the samples
            state.k, state.s, state.q = _sums(xs, True)
            state.evicted = state.limit = 0
        for t, x in zip(ts, xs, strict=True):
            _push_extreme(state.min_t, state.min_x, t, x, low=True)
            _push_extreme(state.max_t, state.max_x, t, x, low=False)
        return state

    def dump(self, state: SlidingState) -> dict[str, Any]:
        """``{key: {"t", "x", "k", "s", "q", "evicted", "limit", "first"}}`` (plain JSON)."""
        state.sync()
        return {
            self.key: {
                "t": list(state.t),
                "x": list(state.x),
                "k": state.k,
                "s": state.s,
                "q": state.q if self.need_q else None,
                "evicted": state.evicted,
                "limit": state.limit,
                "first": state.first,
            }
        }

    def bind(self, state: SlidingState, streams: Sequence[Stream]) -> Feed:
        """The window's feed: push ``(t, x)``, evict, then check each aggregate.

        The min and max deques are *lazy*: while their bank is quiet they are dropped,
        because quietness can then be decided from the new sample alone. For max with
        quiet interval ``(lo, hi)``: every sample is below ``hi`` as long as each new
        one is, and ``max > lo`` holds exactly while the newest sample above ``lo`` is
        still in the window (``mark``). A new sample at or above ``hi`` is then the max
        by itself (O(1)); the max falling to ``lo`` rebuilds the deque from the samples
        (O(window), rare). The deque is kept until the bank is quiet again; only this
        stream drives the bank, so a dropped deque means an idle bank. Min is the mirror
        image. The values seen by the banks are the exact min and max.
        """
        size = self.size_s
        need_q = self.need_q
        tq, xq = state.t, state.x
        t_push, x_push, t_pop, x_pop = tq.append, xq.append, tq.popleft, xq.popleft
        min_t, min_x, max_t, max_x = state.min_t, state.min_x, state.max_t, state.max_x
        extremes = {fn: (check, tuple(feeds)) for fn, check, feeds in streams}
        plan = _plan([st for st in streams if st[0] not in ("min", "max")])
        # The usual plan (each aggregate once, stddev after avg and sum) is evaluated
        # inline from closure cells. Any other goes through the generic loop in plan
        # order: re-centring the sums for stddev changes the last bits of an avg or a
        # sum computed after it, so the order is part of the result.
        codes = [row[0] for row in plan]
        late = codes[codes.index(_STDDEV) :] if _STDDEV in codes else []
        inline = len(set(codes)) == len(codes) and _AVG not in late and _SUM not in late
        rows = {row[0]: row[1:] for row in plan}
        avg_on, sum_on, count_on, sd_on = (c in rows for c in (_AVG, _SUM, _COUNT, _STDDEV))
        avg_lo, avg_hi, avg_bank, avg_slow, avg_feeds = rows.get(_AVG, _OFF)
        sum_lo, sum_hi, sum_bank, sum_slow, sum_feeds = rows.get(_SUM, _OFF)
        cnt_lo, cnt_hi, cnt_bank, cnt_slow, cnt_feeds = rows.get(_COUNT, _OFF)
        sd_lo, sd_hi, sd_bank, sd_slow, sd_feeds = rows.get(_STDDEV, _OFF)
        var_lo, var_hi = _var_band(sd_lo, sd_hi, sd_feeds)
        need_min, need_max = "min" in extremes, "max" in extremes
        (min_lo, min_hi, min_bank, min_slow), min_feeds = extremes.get("min", _UNUSED)
        (max_lo, max_hi, max_bank, max_slow), max_feeds = extremes.get("max", _UNUSED)
        # a value that feeds ==/!= banks is needed on every frame: keep its deque
        min_live = max_live = True
        min_keep, max_keep = bool(min_feeds), bool(max_feeds)
        min_mark = _newest(tq, xq, lambda x: x < min_hi)
        max_mark = _newest(tq, xq, lambda x: x > max_lo)
        sqrt = math.sqrt
        k, s, evicted = state.k, state.s, state.evicted
        q = (state.q or 0.0) if need_q else 0.0  # load() fills q whenever stddev needs it
        limit = state.limit  # evictions before the next look at the recompute threshold
        first = state.first
        ready = False  # a whole window seen since the first sample (derived, not saved)

        def sync() -> None:
            state.k, state.s, state.q, state.evicted, state.limit = k, s, q, evicted, limit
            state.first = first

        state.sync = sync

        def feed(x: float, t: float, out: list) -> None:
            nonlocal k, s, q, evicted, limit, min_live, max_live, min_mark, max_mark
            nonlocal first, ready
            if not xq:
                k, s, q, evicted, limit = x, 0.0, 0.0, 0, 0
                if first is None:
                    first = t
            t_push(t)
            x_push(x)
            d = x - k
            s += d
            q += d * d  # kept even without stddev: cheaper than a test, never read then
            cut = t - size
            if tq[0] <= cut:
                while True:  # the new sample (t > cut) stops the loop
                    t_pop()
                    y = x_pop() - k
                    s -= y
                    q -= y * y
                    evicted += 1
                    if tq[0] > cut:
                        break
                if evicted >= limit:
                    limit = _RECOMPUTE * len(xq)
                    if evicted >= limit:
                        k, s, q = _sums(xq, need_q)
                        evicted = 0
            if not ready:
                ready = t - first >= size  # type: ignore[operator]
            if ready and inline:
                n = len(xq)
                if avg_on:
                    v = s / n + k
                    if not avg_lo < v < avg_hi or avg_bank.active:
                        avg_slow(v, t, out)
                    if avg_feeds:
                        for f in avg_feeds:
                            f(v, t, out)
                if sum_on:
                    v = s + k * n
                    if not sum_lo < v < sum_hi or sum_bank.active:
                        sum_slow(v, t, out)
                    if sum_feeds:
                        for f in sum_feeds:
                            f(v, t, out)
                if count_on:
                    v = float(n)
                    if not cnt_lo < v < cnt_hi or cnt_bank.active:
                        cnt_slow(v, t, out)
                    if cnt_feeds:
                        for f in cnt_feeds:
                            f(v, t, out)
                if sd_on:
                    mean = s / n
                    mean2 = mean * mean
                    var = q / n - mean2
                    if mean2 > _CANCEL * var:  # see the generic loop below
                        k, s, q = _sums(xq, need_q)
                        evicted = 0
                        mean = s / n
                        var = q / n - mean * mean
                    if not var_lo < var < var_hi or sd_bank.active:
                        v = sqrt(var) if var > 0.0 else 0.0
                        if not sd_lo < v < sd_hi or sd_bank.active:
                            sd_slow(v, t, out)
                        if sd_feeds:
                            for f in sd_feeds:
                                f(v, t, out)
            elif ready:
                for code, lo, hi, bank, slow, feeds in plan:
                    if code == _AVG:
                        v = s / len(xq) + k
                    elif code == _SUM:
                        v = s + k * len(xq)
                    elif code == _STDDEV:
                        n = len(xq)
                        mean = s / n
                        var = q / n - mean * mean
                        if mean * mean > _CANCEL * var:
                            # the shift k is far from the samples: q/n and mean² nearly
                            # cancel, so re-centre on the newest sample (exact, O(window))
                            k, s, q = _sums(xq, need_q)
                            evicted = 0
                            mean = s / n
                            var = q / n - mean * mean
                        v = sqrt(var) if var > 0.0 else 0.0
                    else:
                        v = float(len(xq))
                    if not lo < v < hi or bank.active:
                        slow(v, t, out)
                    if feeds:
                        for f in feeds:
                            f(v, t, out)
            if need_max:
                if max_live:
                    if x > max_lo:
                        max_mark = t
                    while max_x and max_x[-1] <= x:
                        max_x.pop()
                        max_t.pop()
                    max_x.append(x)
                    max_t.append(t)
                    while max_t[0] <= cut:
                        max_t.popleft()
                        max_x.popleft()
                elif x >= max_hi:  # every other sample is below hi: x alone is the max
                    max_mark = t  # x > lo too: the deque is only dropped when lo < hi
                    max_x.append(x)
                    max_t.append(t)
                    max_live = True
                elif x > max_lo:
                    max_mark = t
                elif max_mark <= cut:  # nothing above lo is left: find the max
                    _rebuild(max_t, max_x, tq, xq, low=False)
                    max_live = True
                if max_live and ready:
                    v = max_x[0]
                    if not max_lo < v < max_hi or max_bank.active:
                        max_slow(v, t, out)
                    elif not max_keep:
                        max_live = False
                        max_t.clear()
                        max_x.clear()
                    if max_keep:
                        for f in max_feeds:
                            f(v, t, out)
            if need_min:
                if min_live:
                    if x < min_hi:
                        min_mark = t
                    while min_x and min_x[-1] >= x:
                        min_x.pop()
                        min_t.pop()
                    min_x.append(x)
                    min_t.append(t)
                    while min_t[0] <= cut:
                        min_t.popleft()
                        min_x.popleft()
                elif x <= min_lo:  # every other sample is above lo: x alone is the min
                    min_mark = t  # x < hi too: the deque is only dropped when lo < hi
                    min_x.append(x)
                    min_t.append(t)
                    min_live = True
                elif x < min_hi:
                    min_mark = t
                elif min_mark <= cut:  # nothing below hi is left: find the min
                    _rebuild(min_t, min_x, tq, xq, low=True)
                    min_live = True
                if min_live and ready:
                    v = min_x[0]
                    if not min_lo < v < min_hi or min_bank.active:
                        min_slow(v, t, out)
                    elif not min_keep:
                        min_live = False
                        min_t.clear()
                        min_x.clear()
                    if min_keep:
                        for f in min_feeds:
                            f(v, t, out)

        return feed


def _newest(tq: deque, xq: deque, test: Callable[[float], bool]) -> float:
    """The time of the newest sample passing ``test``, or -inf."""
    for t, x in zip(reversed(tq), reversed(xq), strict=True):
        if test(x):
            return t  # type: ignore[no-any-return]
    return -math.inf


def _rebuild(ts: deque, xs: deque, tq: deque, xq: deque, *, low: bool) -> None:
    """The monotonic deque of all samples ``(tq, xq)`` (min if ``low``, else max)."""
    ts.clear()
    xs.clear()
    for t, x in zip(tq, xq, strict=True):
        _push_extreme(ts, xs, t, x, low=low)


def _push_extreme(ts: deque, xs: deque, t: float, x: float, *, low: bool) -> None:
    while xs and (xs[-1] >= x if low else xs[-1] <= x):
        xs.pop()
        ts.pop()
    xs.append(x)
    ts.append(t)


class TumblingState:
    """The open window: its end and running count, sum, Welford mean/M2, min and max.

    Like :class:`SlidingState`, a bound feed keeps these in closure cells until ``sync()``.
    """

    __slots__ = ("complete", "end", "first", "m2", "mean", "mn", "mx", "n", "s", "sync")

    def __init__(self) -> None:
        self.end = -1.0  # frame times are ≥ 0, so the first frame opens a window
        self.first: float | None = None  # time of the first sample ever
        self.complete = False  # the open window started at or after `first`
        self.n = 0
        self.s = 0.0
        self.mean = 0.0
        self.m2 = 0.0
        self.mn = 0.0
        self.mx = 0.0
        self.sync: Callable[[], None] = _nothing


class TumblingWindow:
    """A tumbling window of ``size_s`` seconds over ``field`` (epoch-aligned).

    Args:
        field: the field path.
        size_s: the window length (s, > 0).
        fns: the aggregates its rules need (names of :data:`FN_CODES`).
    """

    _SLOTS = ("end", "n", "s", "mean", "m2", "mn", "mx")

    def __init__(self, field: str, size_s: float, fns: Iterable[str]) -> None:
        fns = set(fns)
        self.key = f"tumbling:{field}:{size_s!r}"
        self.size_s = size_s
        self.need_q = "stddev" in fns
        self.need_min = "min" in fns
        self.need_max = "max" in fns

    def new_state(self) -> TumblingState:
        """No window open yet."""
        return TumblingState()

    def load(self, entries: Mapping[str, Any]) -> TumblingState:
        """The saved open window, or none.

        When the saving rule set did not keep an aggregate this one needs (say
        ``stddev``), the open window is not evaluated; the next one is.
        """
        state = TumblingState()
        saved = entries.get(self.key)
        if saved is None:
            return state
        for name in self._SLOTS:
            value = saved[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{self.key}.{name} must be a number")
            setattr(state, name, value)
        state.first = _time(saved["first"], self.key)
        state.complete = saved["complete"]
        if not isinstance(state.complete, bool):
            raise ValueError(f"{self.key}.complete must be true or false")
        kept = saved["kept"]
        if not isinstance(kept, list) or len(kept) != 3:
            raise ValueError(f"{self.key}.kept must be [stddev, min, max] flags")
        if any(need and not had for need, had in zip(self._needs(), kept, strict=True)):
            fresh = TumblingState()  # the open window lacks an aggregate: skip it
            fresh.first = state.end
            return fresh
        return state

    def _needs(self) -> tuple[bool, bool, bool]:
        return (self.need_q, self.need_min, self.need_max)

    def dump(self, state: TumblingState) -> dict[str, Any]:
        """``{key: {"end", "n", "s", "mean", "m2", "mn", "mx", "first", "complete", "kept"}}``.

        ``kept`` flags which of stddev, min and max this rule set maintains.
        """
        state.sync()
        out: dict[str, Any] = {name: getattr(state, name) for name in self._SLOTS}
        out["first"] = state.first
        out["complete"] = state.complete
        out["kept"] = list(self._needs())
        return {self.key: out}

    def bind(self, state: TumblingState, streams: Sequence[Stream]) -> Feed:
        """The window's feed: close the open window when ``t`` is past its end, then add."""
        size = self.size_s
        need_q, need_min, need_max = self.need_q, self.need_min, self.need_max
        extra = need_q or need_min or need_max  # more than count and sum to keep
        plan = _plan(streams)
        floor = math.floor
        sqrt = math.sqrt
        end, n, s, mean, m2, mn, mx = (getattr(state, name) for name in self._SLOTS)
        first, complete = state.first, state.complete

        def sync() -> None:
            state.end, state.n, state.s, state.mean, state.m2 = end, n, s, mean, m2
            state.mn, state.mx, state.first, state.complete = mn, mx, first, complete

        state.sync = sync

        def close(t: float, out: list) -> None:
            for code, lo, hi, bank, slow, feeds in plan:
                if code == _AVG:
                    v = s / n
                elif code == _MAX:
                    v = mx
                elif code == _MIN:
                    v = mn
                elif code == _SUM:
                    v = s
                elif code == _COUNT:
                    v = float(n)
                else:
                    v = sqrt(m2 / n)
                if not lo < v < hi or bank.active:
                    slow(v, t, out)
                for f in feeds:
                    f(v, t, out)

        def feed(x: float, t: float, out: list) -> None:
            nonlocal end, n, s, mean, m2, mn, mx, first, complete
            if t >= end:
                if n and complete:
                    close(t, out)
                if first is None:
                    first = t
                j = floor(t / size)
                end = (j + 1) * size
                complete = j * size >= first
                n, s, mean, m2, mn, mx = 0, 0.0, 0.0, 0.0, x, x
            n += 1
            s += x
            if extra:
                if need_q:
                    d = x - mean
                    mean += d / n
                    m2 += d * (x - mean)
                if need_min and x < mn:
                    mn = x
                if need_max and x > mx:
                    mx = x

        return feed
