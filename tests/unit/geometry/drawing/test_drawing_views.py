"""Drawings of real parts against closed-form answers: extents, hidden lines, outputs."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from cadml.errors import GeometryError, ValidationError
from cadml.geometry.drawing import Drawing, EdgeKind, SheetInfo, make_drawing

SVG = "{http://www.w3.org/2000/svg}"
INFO = SheetInfo("Block", "BLK-1", "aluminum_6061", drawing_number="D-1")
HOLE_X, HOLE_R, HOLE_DEPTH = 20.0, 8.0, 12.0


@pytest.fixture(scope="module")
def bd() -> Any:
    import build123d

    return build123d


@pytest.fixture(scope="module")
def box_drawing(bd: Any) -> Drawing:
    """A 100 x 50 x 30 block centred on the origin."""
    return make_drawing(bd.Box(100, 50, 30), INFO)


@pytest.fixture(scope="module")
def blind_hole_drawing(bd: Any) -> Drawing:
    """The block with a blind hole (radius 8, depth 12) down from the top at x = 20."""
    with bd.BuildPart() as part:
        bd.Box(100, 50, 30)
        with bd.Locations((HOLE_X, 0, 15)):
            bd.Hole(HOLE_R, depth=HOLE_DEPTH)
    return make_drawing(part.part, INFO)


def test_box_views_have_the_closed_form_extents(box_drawing: Drawing) -> None:
    d = box_drawing
    assert (d.sheet, d.scale) == ("A4", 1.0)
    assert [v.name for v in d.views] == ["front", "top", "right", "iso"]
    expected = {
        "front": (-50.0, -15.0, 50.0, 15.0),  # X by Z
        "top": (-50.0, -25.0, 50.0, 25.0),  # X by Y
        "right": (-25.0, -15.0, 25.0, 15.0),  # Y by Z
    }
    for name, extents in expected.items():
        view = d.view(name)
        assert view.extents() == pytest.approx(extents, abs=1e-6), name
        x0, y0, x1, y1 = view.paper_extents()
        width, height = extents[2] - extents[0], extents[3] - extents[1]
        assert (x1 - x0, y1 - y0) == pytest.approx((width * d.scale, height * d.scale), abs=1e-6)
        # A plain box has four visible edges per orthographic view and nothing hidden.
        assert len(view.lines(EdgeKind.VISIBLE_SHARP)) == 4
        assert view.lines(EdgeKind.HIDDEN) == ()


def _path_extents(group: ET.Element, css_class: str) -> tuple[float, float, float, float]:
    numbers: list[float] = []
    for path in group.findall(f"{SVG}path[@class='{css_class}']"):
        numbers += [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.get("d", ""))]
    xs, ys = numbers[0::2], numbers[1::2]
    return (min(xs), min(ys), max(xs), max(ys))


def test_svg_front_view_is_a_100_by_30_rectangle_at_scale(box_drawing: Drawing) -> None:
    root = ET.fromstring(box_drawing.to_svg())
    assert root.get("viewBox") == "0 0 297 210"
    front = root.find(f".//{SVG}g[@id='view-front']")
    assert front is not None
    x0, y0, x1, y1 = _path_extents(front, "visible")
    assert (x1 - x0, y1 - y0) == pytest.approx((100.0 * box_drawing.scale, 30.0), abs=1e-3)
    assert front.find(f"{SVG}path[@class='hidden']") is None


def test_dimensions_read_100_50_30(box_drawing: Drawing, check_pdf: Any) -> None:
    assert sorted((d.view, d.text) for d in box_drawing.dimensions) == [
        ("front", "100"),
        ("front", "30"),
        ("top", "50"),
    ]
    texts = [t.text for t in ET.fromstring(box_drawing.to_svg()).iter(f"{SVG}text")]
    for value in ("100", "50", "30", "FRONT VIEW", "TOP VIEW", "RIGHT VIEW", "1:1", "A4"):
        assert value in texts, value
    content = check_pdf(box_drawing.to_pdf())[5]
    for value in (b"(100) Tj", b"(50) Tj", b"(30) Tj", b"(aluminum_6061) Tj"):
        assert value in content, value


def test_blind_hole_shows_dashed_hidden_lines_in_front_view(blind_hole_drawing: Drawing) -> None:
    front = blind_hole_drawing.view("front")
    # The hole's two silhouettes and its floor, all hidden, nothing on the top edge.
    top = 15.0
    assert front.extents(EdgeKind.HIDDEN) == pytest.approx(
        (HOLE_X - HOLE_R, top - HOLE_DEPTH, HOLE_X + HOLE_R, top), abs=1e-6
    )
    assert front.extents(*[k for k in EdgeKind if k.visible]) == pytest.approx(
        (-50.0, -15.0, 50.0, 15.0), abs=1e-6
    )
    svg = ET.fromstring(blind_hole_drawing.to_svg())
    hidden = svg.find(f".//{SVG}g[@id='view-front']/{SVG}path[@class='hidden']")
    assert hidden is not None and hidden.get("stroke-dasharray") == "3 0.75"
    # Seen from above the hole is a visible circle of radius 8 and nothing is hidden.
    plan = blind_hole_drawing.view("top")
    assert plan.lines(EdgeKind.HIDDEN) == ()


def test_hidden_lines_can_be_left_out(bd: Any) -> None:
    with bd.BuildPart() as part:
        bd.Box(100, 50, 30)
        with bd.Locations((HOLE_X, 0, 15)):
            bd.Hole(HOLE_R, depth=HOLE_DEPTH)
    drawing = make_drawing(part.part, INFO, hidden_lines=False)
    assert all(view.lines(EdgeKind.HIDDEN) == () for view in drawing.views)
    assert b'class="hidden"' not in drawing.to_svg()


def test_cylinder_front_view_shows_its_silhouettes(bd: Any) -> None:
    # Turned 45° so that the cylinder's seam edge lies on neither silhouette (a seam on
    # a silhouette is reported as a sharp edge; the drawn line is the same).
    drawing = make_drawing(bd.Cylinder(20, 60, rotation=(0, 0, 45)), INFO, sheet="A4")
    outlines = drawing.view("front").lines(EdgeKind.VISIBLE_OUTLINE)
    flat = sorted([c for point in line.points for c in point] for line in outlines)
    assert flat == [
        pytest.approx([-20.0, -30.0, -20.0, 30.0], abs=1e-6),
        pytest.approx([20.0, -30.0, 20.0, 30.0], abs=1e-6),
    ]
    # The circles seen edge-on are straight lines of two points.
    edges = drawing.view("front").lines(EdgeKind.VISIBLE_SHARP)
    assert sorted(len(line.points) for line in edges) == [2, 2]
    # The top view is the circle itself: every point at radius 20 within the deflection.
    for line in drawing.view("top").lines():
        for u, v in line.points:
            assert (u * u + v * v) ** 0.5 == pytest.approx(20.0, abs=1e-6)


def test_two_runs_give_identical_bytes(bd: Any, box_drawing: Drawing) -> None:
    again = make_drawing(bd.Box(100, 50, 30), INFO)
    assert again.to_svg() == box_drawing.to_svg()
    assert again.to_pdf() == box_drawing.to_pdf()


SCRIPT = """
import hashlib, json
from cadml.geometry.drawing import SheetInfo, make_drawing
from cadml.geometry.generators.prism_with_hole import build
shape = build({"length": 100.0, "width": 50.0, "height": 30.0, "hole_diameter": 10.0})
d = make_drawing(shape, SheetInfo("Prism", "P-1", "abs", language="tr", projection="third"))
print(json.dumps([hashlib.sha256(d.to_svg()).hexdigest(), hashlib.sha256(d.to_pdf()).hexdigest()]))
"""


def test_a_separate_process_writes_the_same_bytes(check_pdf: Any) -> None:
    from cadml.geometry.generators.prism_with_hole import build

    shape = build({"length": 100.0, "width": 50.0, "height": 30.0, "hole_diameter": 10.0})
    info = SheetInfo("Prism", "P-1", "abs", language="tr", projection="third")
    drawing = make_drawing(shape, info)
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, check=True, timeout=120
    )
    svg, pdf = drawing.to_svg(), drawing.to_pdf()
    assert json.loads(completed.stdout) == [
        hashlib.sha256(svg).hexdigest(),
        hashlib.sha256(pdf).hexdigest(),
    ]
    # The Turkish labels reach both documents (Ö = \\326, Ş = \\206 in the PDF).
    assert "ÖN GÖRÜNÜŞ" in svg.decode("utf-8")
    assert b"(\\326N G\\326R\\334N\\334\\206) Tj" in check_pdf(pdf)[5]
    # Third angle: the top view sits above the front view.
    assert drawing.view("top").paper_extents()[3] < drawing.view("front").paper_extents()[1]


def test_a_1000_mm_part_is_drawn_on_a3_at_1_to_5(bd: Any) -> None:
    drawing = make_drawing(bd.Box(1000, 300, 200), INFO)
    assert (drawing.sheet, drawing.scale, drawing.size_mm) == ("A3", 0.2, (420.0, 297.0))
    assert b"1:5" in drawing.to_svg()


def test_options_and_empty_shapes_are_refused(bd: Any) -> None:
    from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeEdge
    from OCP.gp import gp_Pnt
    from OCP.TopoDS import TopoDS_Compound, TopoDS_Shape

    with pytest.raises(ValidationError) as caught:
        make_drawing(bd.Box(10, 10, 10), INFO, sheet="A5")
    assert caught.value.code == "DRAWING_INVALID_OPTION"
    with pytest.raises(ValidationError) as caught:
        make_drawing("not a shape", INFO)
    assert (caught.value.code, caught.value.details["field"]) == ("DRAWING_INVALID_OPTION", "shape")
    for empty in (TopoDS_Shape(), TopoDS_Compound()):
        with pytest.raises(ValidationError) as caught:
            make_drawing(empty, INFO)
        assert caught.value.code == "DRAWING_EMPTY_SHAPE"
    with pytest.raises(ValidationError) as caught:
        make_drawing(bd.Box(1000, 300, 200), SheetInfo("t", "p", "m", scale="1:1"))
    assert caught.value.code == "DRAWING_TOO_LARGE_FOR_SHEET"
    # A single edge along Y is seen end-on from the front: nothing to draw there.
    needle = BRepBuilderAPI_MakeEdge(gp_Pnt(0, 0, 0), gp_Pnt(0, 10, 0)).Edge()
    with pytest.raises(GeometryError) as failed:
        make_drawing(needle, INFO)
    assert failed.value.code == "DRAWING_HLR_FAILED"
    assert failed.value.details["view"] == "front"
