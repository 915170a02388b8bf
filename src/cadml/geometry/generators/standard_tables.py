"""Dimension tables of standard parts: hexagon bolts and nuts, deep-groove ball bearings.

Pure data and the ISO 68-1 thread formulas; no kernel. Lengths in mm, masses in kg.

Sources (third-party reproductions of the standards and catalogues; the standards
themselves are not freely published):

* **DIN 933** (hexagon head bolts, thread up to the head), coarse pitch: ``s`` and
  ``k`` as the DIN 933 / DIN 934 summary table "Metric bolts, screws, nuts" of the
  University of Stavanger (ux.uis.no/~hirpa/6KdB/ME/MetricBolts.htm): DIN widths
  across flats, i.e. M10 = 17, M12 = 19, M14 = 22 (ISO 4017 uses 16, 18, 21). ``e min``
  as DIN 933 / ISO 4017 product grade A/B. The **length range** of each size and the
  **catalogue masses** (steel, kg per 1000 pieces, computed by the supplier at
  7.85 kg/dm³) are those of the Traiv-Komplekt DIN 933 weight table ("Вес по DIN 933",
  traiv-komplekt.ru, stored in the public repository mushroom4code/traiv_dev-1c-bitrix,
  poleznoe/ves-izdeliy-po-din/din-933): a size is offered between the shortest and
  the longest length that table lists for it. Two catalogue lengths per size are kept
  for the mass checks; the table's M12x60 value (58.2) breaks the table's own
  per-length step (+3.6 kg per 5 mm before it, +2.6 after) and is not used (M12x80
  is).
* **ISO 4032** (hexagon regular nuts, style 1): ``s``, ``m`` (max = nominal), ``dw min``
  and ``e min`` from BS EN ISO 4032:2001 tables 1 and 2 as reproduced by Engineers
  Edge and Trojan Special Fasteners (trojansf.co.uk/standards/iso-4032).
* **DIN 934** (the older hexagon nut): ``s`` and ``m`` from the same Stavanger table,
  masses (kg/1000 pcs, steel) from the Traiv-Komplekt DIN 934 weight table (same
  repository, .../din-934). No ISO 4032 mass table was available to us; DIN 934 masses
  check the nut's mass model on DIN 934 dimensions instead (see
  ``tests/unit/geometry/test_iso4032.py``).
* **ISO 68-1** basic profile of metric threads: fundamental triangle height
  ``H = (√3/2)·P``; pitch diameter ``d2 = d − 2·(3/8)·H = d − 0.649519·P``; minor
  diameter ``d1 = d − 2·(5/8)·H = d − 1.082532·P``; crest flat ``P/8``, root flat ``P/4``.
* **ISO 15 / DIN 625-1** boundary dimensions of deep-groove ball bearings (``d``, ``D``,
  ``B``, ``r min``), series 60, 62 and 63, as tabulated in JIS B 1512 / ISO 15 extracts
  (e.g. gzalo.com "Ball bearing sizes"; BOLTS DIN625-1 table).
* **Bearing masses**: SKF product pages (skf.com, "Deep groove ball bearings", mass of
  the open bearing); cross-checked against values reproduced in public code (e.g.
  6002 0.030, 6203 0.065, 6204 0.106, 6205 0.129, 6206 0.199, 6207 0.288,
  6208 0.366 kg). Values for the other designations are from the same SKF pages, not
  re-verified in this session.
* **Ball complement** (number of balls ``Z`` and ball diameter ``Dw``): typical values
  of standard (Conrad-assembled, no filling slot) designs as tabulated by bearing
  suppliers' internal-design tables. Manufacturers differ by a ball or one ball-size
  step; the values were **not** verified against a primary manufacturer source. The
  simplified model's mass is insensitive to them within a few per cent (the balls are
  10-20 % of the mass).

Examples:
    >>> BOLTS["M8"].s, BOLTS["M8"].k, BOLTS["M8"].length_range
    (13.0, 5.5, (8.0, 110.0))
    >>> round(pitch_diameter(8.0, 1.25), 6), round(minor_diameter(8.0, 1.25), 6)
    (7.188101, 6.646835)
    >>> BEARINGS["6204"].d, BEARINGS["6204"].D, BEARINGS["6204"].B, BEARINGS["6204"].balls
    (20.0, 47.0, 14.0, 8)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "BEARINGS",
    "BOLTS",
    "DIN934_NUTS",
    "NUTS",
    "SIZES",
    "BearingSize",
    "BoltSize",
    "NutSize",
    "minor_diameter",
    "pitch_diameter",
    "thread_height",
]


def thread_height(pitch: float) -> float:
    """Height ``H = (√3/2)·P`` of the ISO 68-1 fundamental triangle, mm."""
    return math.sqrt(3.0) / 2.0 * pitch


def pitch_diameter(d: float, pitch: float) -> float:
    """Basic pitch diameter ``d2 = d − 2·(3/8)·H`` of an ISO metric thread, mm.

    Examples:
        >>> round(pitch_diameter(10.0, 1.5), 4)
        9.0257
    """
    return d - 0.75 * thread_height(pitch)


def minor_diameter(d: float, pitch: float) -> float:
    """Basic minor diameter ``d1 = d − 2·(5/8)·H`` of an ISO metric thread, mm.

    Examples:
        >>> round(minor_diameter(10.0, 1.5), 4)
        8.3762
    """
    return d - 1.25 * thread_height(pitch)


@dataclass(frozen=True)
class BoltSize:
    """One size of DIN 933 hexagon bolt (coarse thread).

    Args:
        d: nominal (major) thread diameter.
        pitch: coarse thread pitch ``P``.
        s: width across flats.
        k: head height.
        e_min: smallest width across corners the standard allows (the model's
            sharp hexagon has ``e = 2·s/√3``, a little more).
        length_range: shortest and longest nominal length ``l`` offered.
        catalogue_kg_per_1000: steel mass by nominal length, kg per 1000 pieces.
    """

    d: float
    pitch: float
    s: float
    k: float
    e_min: float
    length_range: tuple[float, float]
    catalogue_kg_per_1000: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class NutSize:
    """One size of hexagon nut.

    Args:
        d: nominal thread diameter.
        pitch: coarse thread pitch ``P``.
        s: width across flats.
        m: nut height.
        dw_min: smallest bearing-face diameter (where the 30° face chamfer starts).
        e_min: smallest width across corners the standard allows.
        catalogue_kg_per_1000: steel mass, kg per 1000 pieces, or ``None`` if no
            catalogue value was available.
    """

    d: float
    pitch: float
    s: float
    m: float
    dw_min: float
    e_min: float
    catalogue_kg_per_1000: float | None = None


@dataclass(frozen=True)
class BearingSize:
    """One deep-groove ball bearing (ISO 15 boundary dimensions).

    Args:
        d: bore diameter.
        D: outside diameter.
        B: width.
        r_min: smallest corner chamfer (not modelled; recorded for reference).
        balls: number of balls ``Z``.
        ball_diameter: ball diameter ``Dw``.
        catalogue_mass_kg: SKF mass of the open bearing, kg.
    """

    d: float
    D: float
    B: float
    r_min: float
    balls: int
    ball_diameter: float
    catalogue_mass_kg: float


SIZES: tuple[str, ...] = ("M3", "M4", "M5", "M6", "M8", "M10", "M12", "M14", "M16", "M20", "M24")
"""The thread sizes the bolt and nut families offer, in ascending order."""

_PITCH = {
    "M3": 0.5,
    "M4": 0.7,
    "M5": 0.8,
    "M6": 1.0,
    "M8": 1.25,
    "M10": 1.5,
    "M12": 1.75,
    "M14": 2.0,
    "M16": 2.0,
    "M20": 2.5,
    "M24": 3.0,
}


def _bolt(
    size: str,
    s: float,
    k: float,
    e_min: float,
    lengths: tuple[float, float],
    masses: tuple[tuple[float, float], ...],
) -> BoltSize:
    return BoltSize(float(size[1:]), _PITCH[size], s, k, e_min, lengths, masses)


BOLTS: dict[str, BoltSize] = {
    "M3": _bolt("M3", 5.5, 2.0, 6.01, (4.0, 30.0), ((10.0, 0.75), (30.0, 1.61))),
    "M4": _bolt("M4", 7.0, 2.8, 7.66, (5.0, 70.0), ((20.0, 2.41), (40.0, 3.96))),
    "M5": _bolt("M5", 8.0, 3.5, 8.79, (6.0, 80.0), ((25.0, 4.49), (50.0, 7.59))),
    "M6": _bolt("M6", 10.0, 4.0, 11.05, (6.0, 80.0), ((20.0, 5.80), (40.0, 9.23))),
    "M8": _bolt("M8", 13.0, 5.5, 14.38, (8.0, 110.0), ((20.0, 12.3), (40.0, 18.7))),
    "M10": _bolt("M10", 17.0, 7.0, 18.90, (8.0, 150.0), ((30.0, 26.2), (50.0, 36.2))),
    "M12": _bolt("M12", 19.0, 8.0, 21.10, (10.0, 150.0), ((40.0, 44.9), (80.0, 73.6))),
    "M14": _bolt("M14", 22.0, 9.0, 24.49, (10.0, 150.0), ((40.0, 67.9), (60.0, 87.8))),
    "M16": _bolt("M16", 24.0, 10.0, 26.75, (12.0, 150.0), ((40.0, 90.2), (80.0, 144.0))),
    "M20": _bolt("M20", 30.0, 13.0, 33.53, (16.0, 200.0), ((50.0, 176.0), (100.0, 279.0))),
    "M24": _bolt("M24", 36.0, 15.0, 39.98, (16.0, 200.0), ((50.0, 274.0), (100.0, 423.0))),
}
"""DIN 933 sizes by designation (see the module docstring for sources)."""


def _nut(size: str, s: float, m: float, dw_min: float, e_min: float) -> NutSize:
    return NutSize(float(size[1:]), _PITCH[size], s, m, dw_min, e_min)


NUTS: dict[str, NutSize] = {
    "M3": _nut("M3", 5.5, 2.4, 4.6, 6.01),
    "M4": _nut("M4", 7.0, 3.2, 5.9, 7.66),
    "M5": _nut("M5", 8.0, 4.7, 6.9, 8.79),
    "M6": _nut("M6", 10.0, 5.2, 8.9, 11.05),
    "M8": _nut("M8", 13.0, 6.8, 11.6, 14.38),
    "M10": _nut("M10", 16.0, 8.4, 14.6, 17.77),
    "M12": _nut("M12", 18.0, 10.8, 16.6, 20.03),
    "M14": _nut("M14", 21.0, 12.8, 19.6, 23.35),
    "M16": _nut("M16", 24.0, 14.8, 22.5, 26.75),
    "M20": _nut("M20", 30.0, 18.0, 27.7, 32.95),
    "M24": _nut("M24", 36.0, 21.5, 33.3, 39.55),
}
"""ISO 4032 sizes by designation (``m`` is the nominal = maximum height)."""

_DIN934 = {
    # size: (s, m, kg per 1000 pcs)
    "M3": (5.5, 2.4, 0.384),
    "M4": (7.0, 3.2, 0.81),
    "M5": (8.0, 4.0, 1.23),
    "M6": (10.0, 5.0, 2.50),
    "M8": (13.0, 6.5, 5.20),
    "M10": (17.0, 8.0, 11.6),
    "M12": (19.0, 10.0, 17.3),
    "M14": (22.0, 11.0, 25.0),
    "M16": (24.0, 13.0, 33.3),
    "M20": (30.0, 16.0, 64.4),
    "M24": (36.0, 19.0, 110.0),
}

DIN934_NUTS: dict[str, NutSize] = {
    size: NutSize(
        float(size[1:]),
        _PITCH[size],
        s,
        m,
        # DIN 934 face chamfer circle taken as ISO 4032's dw min (DIN 934's own dw
        # was not available in a source we trust); it sits inside s for every size.
        NUTS[size].dw_min,
        NUTS[size].e_min,
        kg,
    )
    for size, (s, m, kg) in _DIN934.items()
}
"""DIN 934 nuts (the mass reference for the ISO 4032 model; not offered as a family)."""


def _bearing(
    dims: tuple[float, float, float, float], balls: int, dw: float, kg: float
) -> BearingSize:
    d, big_d, b, r = (float(v) for v in dims)
    return BearingSize(d, big_d, b, r, balls, dw, kg)


BEARINGS: dict[str, BearingSize] = {
    "6000": _bearing((10, 26, 8, 0.3), 7, 4.762, 0.019),
    "6001": _bearing((12, 28, 8, 0.3), 8, 4.762, 0.022),
    "6002": _bearing((15, 32, 9, 0.3), 9, 4.762, 0.030),
    "6003": _bearing((17, 35, 10, 0.3), 10, 4.762, 0.039),
    "6004": _bearing((20, 42, 12, 0.6), 9, 6.35, 0.069),
    "6005": _bearing((25, 47, 12, 0.6), 10, 6.35, 0.080),
    "6006": _bearing((30, 55, 13, 1.0), 11, 7.144, 0.116),
    "6007": _bearing((35, 62, 14, 1.0), 11, 7.938, 0.155),
    "6008": _bearing((40, 68, 15, 1.0), 12, 7.938, 0.185),
    "6009": _bearing((45, 75, 16, 1.0), 12, 8.731, 0.231),
    "6010": _bearing((50, 80, 16, 1.0), 13, 8.731, 0.250),
    "6200": _bearing((10, 30, 9, 0.6), 8, 4.762, 0.032),
    "6201": _bearing((12, 32, 10, 0.6), 7, 5.953, 0.037),
    "6202": _bearing((15, 35, 11, 0.6), 8, 5.953, 0.045),
    "6203": _bearing((17, 40, 12, 0.6), 8, 6.747, 0.065),
    "6204": _bearing((20, 47, 14, 1.0), 8, 7.938, 0.106),
    "6205": _bearing((25, 52, 15, 1.0), 9, 7.938, 0.129),
    "6206": _bearing((30, 62, 16, 1.0), 9, 9.525, 0.199),
    "6207": _bearing((35, 72, 17, 1.1), 9, 11.112, 0.288),
    "6208": _bearing((40, 80, 18, 1.1), 9, 12.7, 0.366),
    "6209": _bearing((45, 85, 19, 1.1), 10, 12.7, 0.416),
    "6210": _bearing((50, 90, 20, 1.1), 10, 12.7, 0.463),
    "6300": _bearing((10, 35, 11, 0.6), 7, 6.35, 0.053),
    "6301": _bearing((12, 37, 12, 1.0), 7, 6.747, 0.060),
    "6302": _bearing((15, 42, 13, 1.0), 7, 7.144, 0.082),
    "6303": _bearing((17, 47, 14, 1.0), 7, 8.731, 0.115),
    "6304": _bearing((20, 52, 15, 1.1), 7, 9.525, 0.144),
    "6305": _bearing((25, 62, 17, 1.1), 7, 11.5, 0.232),
    "6306": _bearing((30, 72, 19, 1.1), 8, 12.303, 0.346),
    "6307": _bearing((35, 80, 21, 1.5), 8, 13.494, 0.457),
    "6308": _bearing((40, 90, 23, 1.5), 8, 15.081, 0.633),
}
"""DIN 625 / ISO 15 deep-groove ball bearings by designation (see sources above)."""
