"""Memo of per-pair answers, for re-checking a scene in which few parts moved.

An interference volume costs a manifold3d boolean (about 1 µs per triangle of the two
meshes, far more with long sliver triangles), so re-checking an assembly after moving
one part should not recompute the pairs that did not move. The key holds both part ids,
both geometry keys, the exact bytes of both placements and the check's options; a pair
whose parts moved, even by one ulp, is recomputed. The answer to a pair depends only on
that key, so reusing it is exact, not an approximation. When an ``exact`` callable is
used it must be a function of the parts (ids and placements) for the memo to be valid.

Examples:
    >>> cache = PairCache(max_entries=2)
    >>> cache.get(("a",)) is MISS
    True
    >>> cache.put(("a",), None)
    >>> cache.get(("a",)) is None
    True
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Final

__all__ = ["DEFAULT_MAX_PAIRS", "MISS", "PairCache"]

DEFAULT_MAX_PAIRS = 65536
"""Pair answers kept by default before the least recently used one is dropped."""


class _Miss:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISS"


MISS: Final = _Miss()
"""Returned by :meth:`PairCache.get` for an unknown key (``None`` is a valid answer)."""


class PairCache:
    """LRU memo of pair answers (a collision, a cleared pair, or ``None`` for clear).

    Args:
        max_entries: answers kept before the least recently used is dropped.
    """

    def __init__(self, max_entries: int = DEFAULT_MAX_PAIRS) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self.hits = 0
        """Lookups answered from the memo."""
        self.misses = 0
        """Lookups that had to be computed."""

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> Any:
        """The stored answer, or :data:`MISS`."""
        if key in self._entries:
            self.hits += 1
            self._entries.move_to_end(key)
            return self._entries[key]
        self.misses += 1
        return MISS

    def put(self, key: Hashable, answer: Any) -> None:
        """Store ``answer`` for ``key``."""
        self._entries[key] = answer
        self._entries.move_to_end(key)
        if len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Drop every stored answer."""
        self._entries.clear()
