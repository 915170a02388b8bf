"""The ``din933`` family: a DIN 933 hexagon head bolt, threaded up to the head.

Frame: the bolt's axis is Z. The head's bearing face (its underside) lies in ``z = 0``,
the head spans ``0 <= z <= k`` and the shank runs down to the tip at ``z = -length``.
The hexagon's corners point along ±X. Lengths in mm.

Parameters:

* ``size``: thread size ``M3`` … ``M24``, coarse pitch. ``s`` (DIN widths: M10 = 17,
  M12 = 19, M14 = 22) and ``k`` come from
  :data:`cadml.geometry.generators.standard_tables.BOLTS`.
* ``length``: nominal length ``l`` (bearing face to tip), within the size's DIN 933
  range (e.g. M8: 8-110 mm), else ``VALIDATION_STANDARD_LENGTH_RANGE``.
* ``thread``: how the thread is represented:

  - ``none``: a plain cylinder at the basic **pitch diameter** ``d2 = d − 0.649519·P``.
    Its mass per millimetre of length matches the catalogue's within 3 % for every
    size. With a shank at the major diameter ``d`` the whole bolt would come out
    13-29 % above the catalogue mass. The ``none`` shank also fits the ``iso4032``
    nut's bore (also ``D2``) exactly.
  - ``cosmetic``: the ISO 68-1 basic profile turned as **annular rings** (a revolved
    saw-tooth, not a helix): crests at ``d``, roots at ``d1 = d − 1.082532·P``, crest
    flat ``P/8``, root flat ``P/4``, 60° flanks. The profile starts at the tip in the
    middle of a root flat and repeats every ``P`` up to the head. Per pitch it holds
    exactly the material of a real helical thread, so the mass is the thread's own,
    and the crests show the true major diameter.
  - ``modelled`` (a helical sweep) is **not offered**. We tried it: the profile swept
    along a helix (build123d ``sweep``, Frenet frame) and fused with the core and the
    head. The result passed ``BRepCheck`` but took 1.5-2.0 s for M8x40 and 8-12 s for
    M3x30, M10x150 and M24x200. For those long bolts it also came out 2-4 % short of
    the analytic volume (M3x30 −2.2 %, M10x150 −3.6 %), so the fuse dropped material.
    Too slow and not trustworthy.
* ``chamfer``: the 30° chamfer of the head's top face, starting at the circle of
  diameter ``s`` (it removes only the corners). No washer face is modelled, and the
  tip is flat (no ISO 4753 point).

Closed forms (``A_hex = (√3/2)·s²``; ``C`` is
:func:`cadml.geometry.generators.iso4032.hex_chamfer_cut_volume`)::

    head  = A_hex·k − C(s, s/2, 30°)·[chamfer]
    shank (none)     = π·d2²/4·l
    shank (cosmetic) = n·V_P + ∫[0..l − n·P] π·r(t)² dt,   n = floor(l/P)
        V_P = π·P·(R²/8 + ρ²/4 + (5/24)·(R² + R·ρ + ρ²)),   R = d/2, ρ = d1/2
    volume = head + shank

``V_P`` is one pitch of the profile: a root flat (``P/4`` at ``ρ``), a crest flat
(``P/8`` at ``R``) and two flanks (``5P/16`` each, frusta from ``ρ`` to ``R``).

Examples:
    >>> from cadml.physics.materials import get_material
    >>> values = {"size": "M8", "length": 150.0, "thread": "none", "chamfer": True,
    ...           "material": "steel", "process": "cnc_milling"}
    >>> try:
    ...     validate(values, get_material("steel"))
    ... except ValidationError as err:
    ...     print(err.code, err.details["min"], err.details["max"])
    VALIDATION_STANDARD_LENGTH_RANGE 8.0 110.0
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from cadml.errors import ValidationError
from cadml.geometry.generators.family import FamilySpec, ParamSpec, ParamValues
from cadml.geometry.generators.iso4032 import (
    CHAMFER_ANGLE_DEG,
    make_hex_prism,
    revolve_profile,
    single_solid,
)
from cadml.geometry.generators.standard_tables import (
    BOLTS,
    SIZES,
    minor_diameter,
    pitch_diameter,
)

if TYPE_CHECKING:
    from cadml.physics.materials import Material

__all__ = ["NAME", "SPEC", "THREAD_KINDS", "build", "thread_profile", "validate"]

NAME = "din933"

THREAD_KINDS: tuple[str, ...] = ("none", "cosmetic")
"""How the thread can be represented (see the module docstring; no helical thread)."""

_CLEARANCE = 0.02
"""How far (fraction of ``s``) the round head blank reaches past the hexagon's corners."""

_MIN_LENGTH = min(b.length_range[0] for b in BOLTS.values())
_MAX_LENGTH = max(b.length_range[1] for b in BOLTS.values())

# One pitch of the ISO 68-1 basic profile from the middle of a root flat, as
# (fraction of P, at the crest?) breakpoints: root half-flat, flank up, crest flat,
# flank down, root half-flat.
_PROFILE: tuple[tuple[float, bool], ...] = (
    (0.0, False),
    (2.0 / 16.0, False),
    (7.0 / 16.0, True),
    (9.0 / 16.0, True),
    (14.0 / 16.0, False),
)


def validate(values: ParamValues, material: Material) -> None:
    """Apply the family's rules to canonical values (ranges already checked).

    Raises:
        ValidationError: ``VALIDATION_STANDARD_LENGTH_RANGE`` if ``length`` lies outside
            the DIN 933 length range of ``size``.
    """
    size = str(values["size"])
    low, high = BOLTS[size].length_range
    length = float(values["length"])
    if not low <= length <= high:
        raise ValidationError(
            "VALIDATION_STANDARD_LENGTH_RANGE",
            details={
                "field": "length",
                "value": length,
                "min": low,
                "max": high,
                "size": size,
                "standard": "DIN 933",
                "unit": "mm",
            },
        )


def thread_profile(d: float, pitch: float, length: float) -> list[tuple[float, float]]:
    """The cosmetic thread's outline ``[(r, t), ...]``, ``t`` measured up from the tip.

    Starts at ``(d1/2, 0)`` and ends at ``t = length`` with the radius the profile has
    there; consecutive points never coincide and never lie on one straight flat.
    """
    crest = d / 2.0
    root = minor_diameter(d, pitch) / 2.0
    points: list[tuple[float, float]] = [(root, 0.0)]
    turn = 0
    while True:
        for fraction, at_crest in _PROFILE:
            t = (turn + fraction) * pitch
            if t <= 0.0:
                continue
            if t >= length:
                points.append(
                    (_radius_at(length, points[-1], (crest if at_crest else root, t)), length)
                )
                return points
            if fraction == 0.0:
                continue  # the middle of a root flat: the flat goes on
            points.append((crest if at_crest else root, t))
        turn += 1


def _radius_at(t: float, before: tuple[float, float], after: tuple[float, float]) -> float:
    (r0, t0), (r1, t1) = before, after
    return r0 + (r1 - r0) * (t - t0) / (t1 - t0)


def _shank_outline(values: ParamValues) -> list[tuple[float, float]]:
    bolt = BOLTS[str(values["size"])]
    length = float(values["length"])
    if values["thread"] == "none":
        radius = pitch_diameter(bolt.d, bolt.pitch) / 2.0
        return [(0.0, 0.0), (0.0, -length), (radius, -length), (radius, 0.0)]
    outline = [(r, t - length) for r, t in thread_profile(bolt.d, bolt.pitch, length)]
    return [(0.0, 0.0), (0.0, -length), *outline]


def _hex_sleeve(s: float, z0: float, z1: float, outer: float) -> Any:
    """A round sleeve of radius ``outer`` with a hexagonal hole ``s`` across flats."""
    from OCP.BRepBuilderAPI import (
        BRepBuilderAPI_MakeEdge,
        BRepBuilderAPI_MakeFace,
        BRepBuilderAPI_MakePolygon,
        BRepBuilderAPI_MakeWire,
    )
    from OCP.BRepPrimAPI import BRepPrimAPI_MakePrism
    from OCP.gp import gp_Ax2, gp_Circ, gp_Dir, gp_Pnt, gp_Vec

    circle = gp_Circ(gp_Ax2(gp_Pnt(0.0, 0.0, z0), gp_Dir(0.0, 0.0, 1.0)), outer)
    edge = BRepBuilderAPI_MakeEdge(circle).Edge()
    face = BRepBuilderAPI_MakeFace(BRepBuilderAPI_MakeWire(edge).Wire(), True)
    corner = s / math.sqrt(3.0)
    hexagon = BRepBuilderAPI_MakePolygon()
    # Clockwise seen from +Z, so the hexagon bounds a hole.
    for i in range(5, -1, -1):
        angle = math.pi / 3.0 * i
        hexagon.Add(gp_Pnt(corner * math.cos(angle), corner * math.sin(angle), z0))
    hexagon.Close()
    face.Add(hexagon.Wire())
    return BRepPrimAPI_MakePrism(face.Face(), gp_Vec(0.0, 0.0, z1 - z0)).Shape()


def build(values: ParamValues) -> Any:
    """Make the bolt. Imports the kernel on first call; call it in a geometry worker only.

    Chamfered head: one revolved body (the shank outline, then a round head blank just
    wider than the hexagon's corners with the 30° cone on top) minus a round sleeve
    with a hexagonal hole, one boolean in all. That is about twice as fast as
    intersecting the prism with a chamfer tool and then fusing the shank. Plain head:
    the extruded hexagon fused with the revolved shank.

    Args:
        values: canonical values (``size``, ``length``, ``thread``, ``chamfer``).

    Returns:
        The bolt as an OCP ``TopoDS_Shape`` (one solid) in millimetres.
    """
    from OCP.BRepAlgoAPI import BRepAlgoAPI_Cut, BRepAlgoAPI_Fuse

    bolt = BOLTS[str(values["size"])]
    outline = _shank_outline(values)
    if values["chamfer"]:
        rim = bolt.s / math.sqrt(3.0) * (1.0 + _CLEARANCE)
        rise = (rim - bolt.s / 2.0) * math.tan(math.radians(CHAMFER_ANGLE_DEG))
        head = [(rim, 0.0), (rim, bolt.k - rise), (bolt.s / 2.0, bolt.k), (0.0, bolt.k)]
        body = revolve_profile(outline[1:] + head)
        # The sleeve reaches past both ends of the head, so no face of it is coplanar
        # with a face of the body; its hole holds the whole shank.
        sleeve = _hex_sleeve(bolt.s, -1.0, bolt.k + 1.0, rim + 1.0)
        operation: Any = BRepAlgoAPI_Cut(body, sleeve)
    else:
        operation = BRepAlgoAPI_Fuse(make_hex_prism(bolt.s, 0.0, bolt.k), revolve_profile(outline))
    if not operation.IsDone():
        raise RuntimeError("making the bolt failed")
    return single_solid(operation.Shape())


SPEC = FamilySpec(
    name=NAME,
    description=(
        "DIN 933 hexagon head bolt threaded to the head, M3-M24 coarse: axis Z, head "
        "bearing face at z = 0, head up to z = k, tip at z = -length, corners along ±X."
    ),
    parameters=(
        ParamSpec(
            "size",
            "",
            0.0,
            0.0,
            "M8",
            "Thread size (coarse pitch).",
            kind="choice",
            choices=SIZES,
        ),
        ParamSpec(
            "length",
            "mm",
            _MIN_LENGTH,
            _MAX_LENGTH,
            40.0,
            "Nominal length from the head's bearing face to the tip (DIN 933 range of the size).",
        ),
        ParamSpec(
            "thread",
            "",
            0.0,
            0.0,
            "none",
            "Thread representation: none (shank at the pitch diameter) or cosmetic "
            "(ISO 68-1 profile as annular rings).",
            required=False,
            kind="choice",
            choices=THREAD_KINDS,
        ),
        ParamSpec(
            "chamfer",
            "",
            0.0,
            0.0,
            True,
            "30° chamfer on the head's top face, starting at the across-flats circle.",
            required=False,
            kind="boolean",
        ),
    ),
    validate=validate,
    build=build,
    example={"size": "M8", "length": 40.0, "thread": "cosmetic", "chamfer": True},
)
"""The family's registration."""
