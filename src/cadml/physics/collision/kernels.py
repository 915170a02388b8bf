"""How the compiled kernels of the boundary-integral interference are compiled.

The hot loops of :mod:`.boundary_volume` (the triangle-pair search of :mod:`.tri_pairs`,
the triangle-triangle segments of :mod:`.tri_intersect`, the assembly of
:mod:`.boundary_volume`) are plain loops over contiguous ``float64``/``int64`` arrays,
compiled by numba with :func:`kernel`: ``nogil`` (a kernel releases the GIL while it
runs) and ``cache`` (the machine code is written next to the module, in
``__pycache__``, and loaded by later processes instead of being compiled again).

Costs measured on the collision bench's machine (2 shared cores, load 2-3): compiling
all kernels takes 14-26 s, once per machine (and again after a kernel module's source
changes); a fresh process then loads them from the cache in 0.3-0.9 s on first use (see
:func:`.boundary_volume.warm_up`, which a service or benchmark can call before it starts
timing). If the package directory is not writable, numba keeps the cache in a per-user
directory instead (``NUMBA_CACHE_DIR`` chooses another).

A kernel calls only kernels of its own module: numba's cache notices an edited source
file, but not an edited callee in another file, so cross-file calls could load stale
machine code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

__all__ = ["kernel"]

F = TypeVar("F", bound=Callable[..., Any])


def kernel(fn: F) -> F:
    """Compile ``fn`` with numba (no Python objects, GIL released, cached on disk).

    Args:
        fn: a function of numbers and numpy arrays only.

    Returns:
        The compiled function (called like ``fn``; compiled on first call per signature).
    """
    return cast(F, numba.njit(cache=True, nogil=True)(fn))
