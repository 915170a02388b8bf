"""Each DFM rule fires on a part built to break it and stays quiet on its fixed twin."""

from __future__ import annotations

import math
from typing import Any

import pytest

# ------------------------------------------------------------------------------- CNC


def test_sharp_internal_vertical_corners_are_errors(dfm: Any, pocket_sharp: Any) -> None:
    report = dfm.run(pocket_sharp, "cnc_milling", "aluminum_6061")
    corners = dfm.rules(report, "cnc.internal_corner_radius")
    assert len(corners) == 4 and not report.ok
    for finding in corners:
        assert finding.severity == "error"
        assert (finding.measured, finding.limit, finding.unit) == (0.0, 3.0, "mm")
        assert len(finding.faces) == 2
        x, y, z = finding.points[0]
        # The corners of the 20 x 20 pocket, at mid-depth of its 10 mm walls.
        assert (abs(x), abs(y), z) == pytest.approx((10.0, 10.0, 5.0), abs=1e-9)


def test_corners_filleted_at_the_tool_radius_pass(dfm: Any, pocket_filleted: Any) -> None:
    report = dfm.run(pocket_filleted, "cnc_milling", "aluminum_6061")
    assert report.ok and report.findings == ()


def test_fillets_smaller_than_the_tool_radius_are_warnings(dfm: Any, pocket_filleted: Any) -> None:
    report = dfm.run(pocket_filleted, "cnc_milling", "aluminum_6061", tool_diameter_mm=10.0)
    small = dfm.rules(report, "cnc.internal_corner_radius")
    assert len(small) == 4
    assert {(f.severity, f.measured, f.limit) for f in small} == {("warning", 3.5, 5.0)}


def test_through_holes_are_drilled_not_corners(dfm: Any) -> None:
    from cadml.geometry.generators.prism_with_hole import build

    shape = build({"length": 40.0, "width": 30.0, "height": 10.0, "hole_diameter": 4.0})
    report = dfm.run(shape, "cnc_milling", "aluminum_6061")
    assert report.findings == ()


def test_undercut_is_out_of_reach_of_a_3_axis_tool(dfm: Any, t_undercut: Any, t_free: Any) -> None:
    blocked = dfm.rules(dfm.run(t_undercut, "cnc_milling", "aluminum_6061"), "cnc.tool_access")
    assert blocked and {f.severity for f in blocked} == {"error"}
    # The bar's undersides (7 x 40 mm each) are hidden entirely.
    assert sorted(f.measured for f in blocked if f.measured == pytest.approx(280.0))
    free = dfm.run(t_free, "cnc_milling", "aluminum_6061")
    assert dfm.rules(free, "cnc.tool_access") == []


def test_deep_narrow_slot_is_a_warning(dfm: Any, b3d: Any, pocket_sharp: Any) -> None:
    low = (b3d.Align.CENTER, b3d.Align.CENTER, b3d.Align.MIN)
    slot = b3d.Box(40, 40, 25, align=low) - b3d.Pos(0, 0, 5) * b3d.Box(4, 30, 20, align=low)
    deep = dfm.rules(dfm.run(slot, "cnc_milling", "aluminum_6061"), "cnc.deep_pocket")
    assert len(deep) == 1
    assert (deep[0].severity, deep[0].limit) == ("warning", 4.0)
    assert deep[0].measured == pytest.approx(5.0, abs=1e-9)
    assert "20 mm deep and 4 mm wide" in deep[0].message_en
    wide = dfm.run(pocket_sharp, "cnc_milling", "aluminum_6061")
    assert dfm.rules(wide, "cnc.deep_pocket") == []


def test_min_wall_against_the_material(dfm: Any) -> None:
    from cadml.geometry.generators.prism_with_hole import build

    # 20 wide with a 19 mm hole: 0.5 mm walls, under aluminium's 0.8 mm.
    thin = build({"length": 30.0, "width": 20.0, "height": 10.0, "hole_diameter": 19.0})
    walls = dfm.rules(dfm.run(thin, "cnc_milling", "aluminum_6061"), "cnc.min_wall")
    assert walls and {f.severity for f in walls} == {"error"}
    assert min(f.measured for f in walls) == pytest.approx(0.5, abs=2e-3)
    assert {f.limit for f in walls} == {0.8}
    # Steel accepts 0.5 mm walls; the thinnest reading is 0.5 mm or a hair above.
    steel = dfm.run(thin, "cnc_milling", "steel", min_wall_mm=0.49)
    assert dfm.rules(steel, "cnc.min_wall") == []


# ----------------------------------------------------------------- injection moulding


def _drafted_box(b3d: Any, taper_deg: float) -> Any:
    return b3d.extrude(b3d.Rectangle(40, 30), amount=20, taper=taper_deg)


def test_zero_draft_walls_are_warnings_with_the_measured_angle(dfm: Any, b3d: Any) -> None:
    report = dfm.run(b3d.Box(40, 30, 20), "injection_molding", "abs")
    drafts = dfm.rules(report, "im.draft_angle")
    assert len(drafts) == 4 and report.ok
    assert {(f.severity, f.measured, f.limit, f.unit) for f in drafts} == {
        ("warning", 0.0, 1.0, "deg")
    }


def test_half_degree_draft_is_measured_exactly(dfm: Any, b3d: Any) -> None:
    from OCP.BRepGProp import BRepGProp_Face
    from OCP.collections import IndexedMap_TopoDS_Shape_TopTools_ShapeMapHasher as IndexedMap
    from OCP.gp import gp_Pnt, gp_Vec
    from OCP.TopAbs import TopAbs_FACE
    from OCP.TopExp import TopExp
    from OCP.TopoDS import TopoDS

    box = _drafted_box(b3d, 0.5)
    drafts = dfm.rules(dfm.run(box, "injection_molding", "abs"), "im.draft_angle")
    assert len(drafts) == 4
    for finding in drafts:
        assert abs(finding.measured - 0.5) < 1e-6
    # Face ids index TopExp.MapShapes(shape, TopAbs_FACE): the named faces are the sides.
    faces = IndexedMap()
    TopExp.MapShapes_s(box.wrapped, TopAbs_FACE, faces)
    for finding in drafts:
        face = TopoDS.Face(faces.FindKey(finding.faces[0] + 1))
        point, normal = gp_Pnt(), gp_Vec()
        BRepGProp_Face(face).Normal(0.0, 0.0, point, normal)
        slope = math.degrees(math.asin(abs(normal.Z()) / normal.Magnitude()))
        assert abs(slope - 0.5) < 1e-6


def test_two_degree_draft_passes_and_reports_its_angle(dfm: Any, b3d: Any) -> None:
    report = dfm.run(_drafted_box(b3d, 2.0), "injection_molding", "abs")
    assert dfm.rules(report, "im.draft_angle") == []
    assert abs(report.stats["min_draft_deg"] - 2.0) < 1e-6


def test_t_shape_undercut_in_moulding(dfm: Any, t_undercut: Any, t_free: Any) -> None:
    undercuts = dfm.rules(dfm.run(t_undercut, "injection_molding", "abs"), "im.undercut")
    assert undercuts and {f.severity for f in undercuts} == {"warning"}
    assert sum(1 for f in undercuts if f.measured == pytest.approx(280.0)) == 2
    # Without the base plate the bar's undersides face the lower mould half.
    assert dfm.rules(dfm.run(t_free, "injection_molding", "abs"), "im.undercut") == []
    # Pulling along Y instead, the base-plate T has no hidden face either.
    along_y = dfm.run(t_undercut, "injection_molding", "abs", pull_direction=(0, 1, 0))
    assert dfm.rules(along_y, "im.undercut") == []


def test_thick_boss_breaks_wall_uniformity(dfm: Any, b3d: Any) -> None:
    low = (b3d.Align.CENTER, b3d.Align.CENTER, b3d.Align.MIN)
    plate = b3d.Box(60, 40, 2, align=low)
    report = dfm.run(plate, "injection_molding", "abs")
    assert dfm.rules(report, "im.wall_uniformity") == []
    assert report.stats["nominal_wall_mm"] == pytest.approx(2.0, abs=1e-9)
    assert report.stats["thickest_section_mm"] == pytest.approx(2.0, abs=1e-9)
    boss = plate + b3d.Pos(0, 0, 2) * b3d.Box(10, 10, 8, align=low)
    uniform = dfm.rules(dfm.run(boss, "injection_molding", "abs"), "im.wall_uniformity")
    assert len(uniform) == 1 and uniform[0].severity == "warning"
    assert uniform[0].measured > 4.0 and uniform[0].limit == 2.0


# ------------------------------------------------------------------------ 3D printing


@pytest.mark.parametrize(("angle", "fires"), [(60.0, True), (30.0, False)])
def test_overhang_past_45_degrees(dfm: Any, angle: float, fires: bool) -> None:
    report = dfm.run(dfm.leaning(angle), "fdm_printing", "pla")
    overhangs = dfm.rules(report, "fdm.overhang")
    assert report.stats["max_overhang_deg"] == pytest.approx(angle, abs=1e-9)
    if fires:
        assert len(overhangs) == 1 and overhangs[0].severity == "warning"
        assert overhangs[0].measured == pytest.approx(60.0, abs=1e-9)
    else:
        assert overhangs == []


def test_build_plate_face_is_not_an_overhang(dfm: Any, b3d: Any) -> None:
    report = dfm.run(b3d.Box(20, 20, 10), "sla_printing", "resin_standard")
    assert report.findings == ()
    assert report.stats["max_overhang_deg"] == 0.0


def test_internal_spherical_cavity_is_a_trapped_volume(dfm: Any, b3d: Any) -> None:
    part = b3d.Box(30, 30, 30) - b3d.Sphere(8)
    sla = dfm.run(part, "sla_printing", "resin_standard")
    trapped = dfm.rules(sla, "sla.trapped_volume")
    assert len(trapped) == 1 and trapped[0].severity == "error" and not sla.ok
    assert trapped[0].measured == pytest.approx(4.0 / 3.0 * math.pi * 8**3, rel=1e-6)
    assert trapped[0].points[0] == pytest.approx((0.0, 0.0, 0.0), abs=1e-6)
    assert "drain" in trapped[0].suggestion_en
    fdm = dfm.rules(dfm.run(part, "fdm_printing", "pla"), "fdm.trapped_volume")
    assert [f.severity for f in fdm] == ["warning"]
    solid = dfm.run(b3d.Box(30, 30, 30), "sla_printing", "resin_standard")
    assert dfm.rules(solid, "sla.trapped_volume") == []


def test_thin_fin_is_below_the_fdm_minimum_feature(dfm: Any, b3d: Any) -> None:
    low = (b3d.Align.CENTER, b3d.Align.CENTER, b3d.Align.MIN)
    base = b3d.Box(30, 20, 3, align=low)

    def fin(thickness: float) -> Any:
        return base + b3d.Pos(0, 0, 3) * b3d.Box(20, thickness, 8, align=low)

    thin = dfm.rules(dfm.run(fin(0.3), "fdm_printing", "pla"), "fdm.min_feature")
    assert len(thin) == 2  # both sides of the fin
    assert {(f.severity, f.limit) for f in thin} == {("error", 0.8)}
    assert all(f.measured == pytest.approx(0.3, abs=1e-9) for f in thin)
    assert dfm.run(fin(1.2), "fdm_printing", "pla").findings == ()


def test_bridge_longer_than_the_limit(dfm: Any, b3d: Any) -> None:
    low = (b3d.Align.CENTER, b3d.Align.CENTER, b3d.Align.MIN)

    def tunnel(width: float) -> Any:
        block = b3d.Box(40, 30, 20, align=low)
        return block - b3d.Pos(0, 0, 5) * b3d.Box(width, 30, 5, align=low)

    long_span = dfm.rules(dfm.run(tunnel(20.0), "fdm_printing", "pla"), "fdm.bridge_length")
    assert len(long_span) == 1 and long_span[0].severity == "warning"
    # The inscribed width is measured at samples, at most one spacing short of 20 mm.
    assert 17.0 <= long_span[0].measured <= 20.0 + 1e-9
    short = dfm.run(tunnel(6.0), "fdm_printing", "pla")
    assert dfm.rules(short, "fdm.bridge_length") == []
    assert short.stats["max_bridge_mm"] <= 6.0 + 1e-9


# ------------------------------------------------------------------------ sheet metal


def _l_sheet(b3d: Any, thickness: float, inner_radius: float) -> Any:
    """An L bent from a 20 mm wide sheet: legs of 30 mm, given inner bend radius."""
    base = b3d.Box(30, 20, thickness, align=(b3d.Align.MIN, b3d.Align.CENTER, b3d.Align.MIN))
    upright = b3d.Box(thickness, 20, 30, align=(b3d.Align.MIN, b3d.Align.CENTER, b3d.Align.MIN))
    part = base + upright

    def at(x: float, z: float) -> Any:
        return (
            part.edges()
            .filter_by(b3d.Axis.Y)
            .filter_by(lambda e: abs(e.center().X - x) < 1e-6 and abs(e.center().Z - z) < 1e-6)
        )

    part = b3d.fillet(at(thickness, thickness), inner_radius)
    outer = (
        part.edges()
        .filter_by(b3d.Axis.Y)
        .filter_by(lambda e: abs(e.center().X) < 1e-6 and abs(e.center().Z) < 1e-6)
    )
    return b3d.fillet(outer, inner_radius + thickness)


def test_bend_tighter_than_the_thickness(dfm: Any, b3d: Any) -> None:
    tight = dfm.run(_l_sheet(b3d, 2.0, 1.0), "sheet_metal", "aluminum_5052")
    bends = dfm.rules(tight, "sheet.bend_radius")
    assert len(bends) == 1 and bends[0].severity == "warning"
    assert (bends[0].measured, bends[0].limit) == pytest.approx((1.0, 2.0), abs=1e-9)
    assert len(bends[0].faces) == 2
    assert tight.stats["sheet_thickness_mm"] == pytest.approx(2.0, abs=1e-9)
    easy = dfm.run(_l_sheet(b3d, 2.0, 3.0), "sheet_metal", "aluminum_5052")
    assert easy.findings == () and easy.stats["bends"] == 1


def test_sheet_has_one_gauge(dfm: Any, b3d: Any) -> None:
    low = (b3d.Align.CENTER, b3d.Align.CENTER, b3d.Align.MIN)
    plate = b3d.Box(60, 40, 2, align=low)
    assert dfm.run(plate, "sheet_metal", "aluminum_5052").findings == ()
    padded = dfm.run(plate + b3d.Box(10, 10, 4, align=low), "sheet_metal", "aluminum_5052")
    gauge = dfm.rules(padded, "sheet.uniform_thickness")
    assert gauge and {(f.measured, f.limit) for f in gauge} == {(4.0, 2.0)}
