"""Kinds and severities of a collision, and the thresholds that decide them.

Kinds:
    - ``touching``: the surfaces meet but the common volume is a film no thicker than the
      tolerance (depth estimate ``2V/S ≤ tolerance``, or a mesh distance ≤ tolerance).
    - ``overlap``: the solids share volume and their surfaces cross.
    - ``containment``: the surfaces do not meet and one part lies wholly inside the other.

Severities:
    - ``touching``: for kind ``touching``.
    - ``uncertain``: a mesh-only answer inside the tessellation band (depth ≤ sum of the
      two meshes' deflections + tolerance) that no exact B-rep check confirmed, or a
      surface hit whose volume was not computed. Meshes deviate from the exact surface
      by up to their deflection, so such an answer may be an artefact (a 5 µm clearance
      reads as a 2.1 mm³ interference at δ = 0.1 mm).
    - ``minor``: confirmed interference below :data:`MINOR_VOLUME_FRACTION` of the
      smaller part's volume.
    - ``major``: confirmed interference at or above it, and every containment.

Examples:
    >>> classify("overlap", volume_fraction=0.001, confirmed=True)
    'minor'
    >>> classify("overlap", volume_fraction=0.2, confirmed=True)
    'major'
    >>> classify("overlap", volume_fraction=0.001, confirmed=False)
    'uncertain'
"""

from __future__ import annotations

from typing import Literal

__all__ = ["KINDS", "MINOR_VOLUME_FRACTION", "SEVERITIES", "Kind", "Severity", "classify"]

Kind = Literal["overlap", "containment", "touching"]
Severity = Literal["touching", "uncertain", "minor", "major"]

KINDS: tuple[str, ...] = ("overlap", "containment", "touching")
"""Every collision kind."""

SEVERITIES: tuple[str, ...] = ("touching", "uncertain", "minor", "major")
"""Every severity, mildest first."""

MINOR_VOLUME_FRACTION = 0.01
"""Interference below this fraction of the smaller part's volume is ``minor``."""


def classify(kind: Kind, *, volume_fraction: float | None, confirmed: bool) -> Severity:
    """The severity of a collision of ``kind``.

    Args:
        kind: the collision kind.
        volume_fraction: common volume / the smaller part's volume (``None`` if unknown).
        confirmed: the answer is outside the tessellation band or confirmed exactly.
    """
    if kind == "touching":
        return "touching"
    if kind == "containment":
        return "major"
    if not confirmed or volume_fraction is None:
        return "uncertain"
    return "minor" if volume_fraction < MINOR_VOLUME_FRACTION else "major"
