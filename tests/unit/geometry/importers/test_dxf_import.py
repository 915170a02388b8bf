"""DXF profiles extruded into plates: exact areas of arcs, holes, islands and units."""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import pytest

from cadml.errors import CadmlError, ValidationError
from cadml.geometry.importers import ImportOptions, import_cad
from cadml.geometry.metrics import solids_of


def _dxf(draw: Callable, insunits: int = 4) -> bytes:
    import ezdxf

    doc = ezdxf.new("R2010")
    doc.header["$INSUNITS"] = insunits
    draw(doc.modelspace())
    out = io.StringIO()
    doc.write(out)
    return out.getvalue().encode()


T = ImportOptions(dxf_thickness_mm=2.0)


def test_rectangle_with_holes_and_a_bulge(cad):
    def draw(msp):
        # 40 x 20 with a semicircular (r = 10) bulge on the right edge.
        msp.add_lwpolyline(
            [(0, 0, 0), (40, 0, 1), (40, 20, 0), (0, 20, 0)], format="xyb", close=True
        )
        msp.add_circle((10, 10), 3)
        msp.add_circle((30, 10), 2)

    part = import_cad(_dxf(draw), "p.dxf", T)
    area = 40 * 20 + math.pi * 100 / 2 - math.pi * 9 - math.pi * 4
    assert cad.volume(part.shape) == pytest.approx(2 * area, rel=1e-12)
    assert (part.units, part.units_source) == ("mm", "file")
    low, high = cad.bbox(part.shape)
    assert low.tolist() == pytest.approx([0, 0, 0], abs=1e-9)
    assert high.tolist() == pytest.approx([50, 20, 2], abs=1e-9)


def test_an_island_inside_a_hole_is_a_second_plate(cad):
    def draw(msp):
        msp.add_lwpolyline([(0, 0), (30, 0), (30, 30), (0, 30)], close=True)
        msp.add_circle((15, 15), 10)
        msp.add_circle((15, 15), 4)

    part = import_cad(_dxf(draw), "p.dxf", T)
    assert len(solids_of(part.shape)) == 2
    expected = 2 * (900 - math.pi * 100 + math.pi * 16)
    assert cad.volume(part.shape) == pytest.approx(expected, rel=1e-12)


def test_lines_and_arcs_chain_into_a_loop_in_inches(cad):
    def draw(msp):
        msp.add_line((0, 0), (2, 0))
        msp.add_arc((2, 1), 1, -90, 90)
        msp.add_line((0, 2), (2, 2))  # drawn backwards: chaining reverses it
        msp.add_line((0, 2), (0, 0))

    part = import_cad(_dxf(draw, insunits=1), "s.dxf", T)
    assert part.units == "in"
    assert cad.volume(part.shape) == pytest.approx(2 * 25.4**2 * (4 + math.pi / 2), rel=1e-12)


def test_full_ellipse_is_exact_and_a_closed_spline_goes_through_beziers(cad):
    def ellipse(msp):
        msp.add_ellipse((0, 0), major_axis=(20, 0), ratio=0.5)

    part = import_cad(_dxf(ellipse), "e.dxf", T)
    assert cad.volume(part.shape) == pytest.approx(2 * math.pi * 20 * 10, rel=1e-12)

    def spline(msp):
        msp.add_spline([(40, 0), (60, 10), (50, 30), (35, 15), (40, 0)])

    part = import_cad(_dxf(spline), "s.dxf", T)
    assert len(solids_of(part.shape)) == 1
    low, high = cad.bbox(part.shape)
    assert high[2] - low[2] == pytest.approx(2.0)
    assert 35 * 0.9 < low[0] < 40 and 60 <= high[0] < 70


def test_unitless_dxf_gets_an_inferred_unit(cad):
    def draw(msp):
        msp.add_circle((0, 0), 25)

    part = import_cad(_dxf(draw, insunits=0), "c.dxf", T)
    assert (part.units, part.units_source) == ("mm", "inferred")
    assert [w["code"] for w in part.warnings] == ["UPLOAD_UNITS_INFERRED"]
    assert cad.volume(part.shape) == pytest.approx(2 * math.pi * 625, rel=1e-12)


def test_ignored_entities_are_reported(cad):
    def draw(msp):
        msp.add_circle((0, 0), 5)
        msp.add_text("hello")
        msp.add_lwpolyline([(0, 0), (5, 5)])

    part = import_cad(_dxf(draw), "c.dxf", T)
    (warning,) = part.warnings
    assert warning["code"] == "UPLOAD_DXF_ENTITIES_IGNORED"
    assert warning["details"]["count"] == 2
    assert part.report["dxf_ignored_entities"] == {"LWPOLYLINE": 1, "TEXT": 1}


@pytest.mark.parametrize(
    ("options", "code"),
    [
        (ImportOptions(), "UPLOAD_DXF_THICKNESS_REQUIRED"),
        (ImportOptions(dxf_thickness_mm=-1.0), "VALIDATION_RANGE_VIOLATION"),
        (ImportOptions(dxf_thickness_mm=float("nan")), "VALIDATION_RANGE_VIOLATION"),
    ],
)
def test_thickness_is_required_and_positive(options, code):
    with pytest.raises(ValidationError) as caught:
        import_cad(_dxf(lambda msp: msp.add_circle((0, 0), 5)), "c.dxf", options)
    assert caught.value.code == code


def test_refusals():
    with pytest.raises(CadmlError) as caught:
        import_cad(_dxf(lambda msp: msp.add_line((0, 0), (5, 5))), "l.dxf", T)
    assert caught.value.code == "UPLOAD_DXF_NO_CLOSED_PROFILE"
    assert caught.value.details == {"open_count": 1}
    with pytest.raises(CadmlError) as caught:
        import_cad(_dxf(lambda msp: msp.add_circle((0, 0), 5), insunits=3), "mi.dxf", T)
    assert caught.value.code == "UPLOAD_UNITS_UNKNOWN"
    data = _dxf(lambda msp: msp.add_circle((0, 0), 5))
    with pytest.raises(CadmlError) as caught:
        import_cad(data[: len(data) // 2], "t.dxf", T)
    assert caught.value.code == "UPLOAD_TRUNCATED_FILE"


def test_block_references_are_exploded(cad):
    import ezdxf

    doc = ezdxf.new("R2010")
    doc.header["$INSUNITS"] = 4
    block = doc.blocks.new("WASHER")
    block.add_circle((0, 0), 10)
    block.add_circle((0, 0), 4)
    msp = doc.modelspace()
    msp.add_blockref("WASHER", (0, 0))
    msp.add_blockref("WASHER", (50, 0), dxfattribs={"xscale": 2, "yscale": 2})
    out = io.StringIO()
    doc.write(out)
    part = import_cad(out.getvalue().encode(), "w.dxf", T)
    assert len(solids_of(part.shape)) == 2
    ring = math.pi * (100 - 16)
    assert cad.volume(part.shape) == pytest.approx(2 * (ring + 4 * ring), rel=1e-9)
