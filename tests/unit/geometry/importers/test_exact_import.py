"""STEP, IGES, BREP and FCStd imports: units, healing and refusals, closed-form."""

from __future__ import annotations

import math

import pytest

from cadml.errors import CadmlError, GeometryError
from cadml.geometry.importers import ImportOptions, import_cad
from cadml.geometry.metrics import solids_of

STAMP = "2000-01-01T00:00:00"


def _step(shape, unit: str = "MM") -> bytes:
    from OCP.Interface import Interface_Static

    from cadml.geometry.io.step import STEP_SETTINGS, encode_step

    STEP_SETTINGS["write.step.unit"] = unit
    try:
        return encode_step(shape, timestamp=STAMP, product_name="t")
    finally:
        STEP_SETTINGS["write.step.unit"] = "MM"
        Interface_Static.SetCVal_s("write.step.unit", "MM")


def _faces(shape, skip: int | None = None):
    from OCP.BRep import BRep_Builder
    from OCP.TopAbs import TopAbs_FACE
    from OCP.TopExp import TopExp_Explorer
    from OCP.TopoDS import TopoDS_Compound

    builder, compound = BRep_Builder(), TopoDS_Compound()
    builder.MakeCompound(compound)
    explorer, index = TopExp_Explorer(shape, TopAbs_FACE), 0
    while explorer.More():
        if index != skip:
            builder.Add(compound, explorer.Current())
        index += 1
        explorer.Next()
    return compound


@pytest.fixture(scope="module")
def block():
    from build123d import Box

    return Box(20.0, 10.0, 5.0).wrapped


def test_step_in_inches_comes_out_in_millimetres(block, cad):
    part = import_cad(_step(block, "INCH"), "b.step")
    assert (part.units, part.units_source) == ("in", "file")
    low, high = cad.bbox(part.shape)
    assert (high - low).tolist() == pytest.approx([20.0, 10.0, 5.0], abs=1e-6)
    assert part.report["step_length_units"] == ["INCH"]


def test_step_in_metres(block, cad):
    part = import_cad(_step(block, "M"), "b.stp")
    assert part.units == "m"
    assert cad.volume(part.shape) == pytest.approx(1000.0, rel=1e-9)


def test_a_requested_unit_rescales_a_step_file_with_a_warning(block, cad):
    part = import_cad(_step(block), "b.step", ImportOptions(units="in"))
    assert (part.units, part.units_source) == ("in", "request")
    assert [w["code"] for w in part.warnings] == ["UPLOAD_UNITS_OVERRIDDEN"]
    assert cad.volume(part.shape) == pytest.approx(1000.0 * 25.4**3, rel=1e-9)


def test_center_moves_the_box_centre_to_the_axis_and_the_bottom_to_zero(block, cad):
    part = import_cad(_step(block), "b.step", ImportOptions(center=True))
    low, high = cad.bbox(part.shape)
    assert low.tolist() == pytest.approx([-10, -5, 0], abs=1e-9)
    assert high.tolist() == pytest.approx([10, 5, 5], abs=1e-9)
    assert part.report["center_shift_mm"] == pytest.approx([0.0, 0.0, 2.5])


def test_faces_without_a_solid_are_sewn_only_when_healing(block, cad):
    data = _step(_faces(block))
    part = import_cad(data, "f.step")
    assert cad.volume(part.shape) == pytest.approx(1000.0)
    assert [w["code"] for w in part.warnings] == ["UPLOAD_SHAPE_HEALED"]
    assert part.report["found"]["solids"] == 0 and part.report["result"]["solids"] == 1
    with pytest.raises(GeometryError) as caught:
        import_cad(data, "f.step", ImportOptions(heal=False))
    assert caught.value.code == "UPLOAD_INVALID_SOLID"
    with pytest.raises(CadmlError) as caught:
        import_cad(_step(_faces(block, skip=2)), "f.step")
    assert caught.value.code == "UPLOAD_OPEN_SHELL"


def test_iges_faces_become_a_solid(cad, tmp_path):
    from build123d import Cylinder
    from OCP.IGESControl import IGESControl_Controller, IGESControl_Writer

    IGESControl_Controller.Init_s()
    writer = IGESControl_Writer("IN", 0)
    writer.AddShape(Cylinder(25.4, 25.4).wrapped)
    writer.ComputeModel()
    writer.Write(str(tmp_path / "c.igs"))
    part = import_cad((tmp_path / "c.igs").read_bytes(), "c.igs")
    assert (part.units, part.units_source) == ("in", "file")
    assert cad.volume(part.shape) == pytest.approx(math.pi * 25.4**3, rel=1e-6)


def test_brep_is_millimetres_unless_told(block, cad):
    from cadml.geometry.io.brep import encode_brep

    data = encode_brep(block)
    part = import_cad(data, "b.brep")
    assert (part.units, part.units_source) == ("mm", "inferred")
    assert "BREP carries no unit" in part.warnings[0]["message_en"]
    inches = import_cad(data, "b.brp", ImportOptions(units="in"))
    assert cad.volume(inches.shape) == pytest.approx(1000.0 * 25.4**3, rel=1e-9)
    assert inches.warnings == ()


def test_fcstd_takes_the_tips_of_the_history(block, cad):
    from build123d import Box

    from cadml.geometry.io.brep import encode_brep

    document = (
        '<?xml version="1.0"?><Document SchemaVersion="4"><Objects Count="2">'
        '<ObjectDeps Name="Box" Count="0"/><ObjectDeps Name="Cut" Count="1">'
        '<Dep Name="Box"/></ObjectDeps></Objects><ObjectData Count="2">'
        '<Object name="Box"><Properties><Property name="Shape" type="Part::PropertyPartShape">'
        '<Part file="PartShape.brp"/></Property></Properties></Object>'
        '<Object name="Cut"><Properties><Property name="Shape" type="Part::PropertyPartShape">'
        '<Part file="PartShape1.brp"/></Property></Properties></Object>'
        "</ObjectData></Document>"
    )
    data = cad.zipped(
        {
            "Document.xml": document,
            "PartShape.brp": encode_brep(Box(100, 100, 100).wrapped),
            "PartShape1.brp": encode_brep(block),
        }
    )
    part = import_cad(data, "doc.FCStd")
    assert part.report["fcstd_objects"] == ["Cut"]
    assert (part.units, part.units_source) == ("mm", "file")
    assert cad.volume(part.shape) == pytest.approx(1000.0)


def test_loose_faces_next_to_a_solid_are_dropped_and_counted(block, cad):
    from build123d import Box, Pos
    from OCP.BRep import BRep_Builder
    from OCP.TopoDS import TopoDS_Compound

    from cadml.geometry.io.brep import encode_brep

    builder, compound = BRep_Builder(), TopoDS_Compound()
    builder.MakeCompound(compound)
    builder.Add(compound, block)
    builder.Add(compound, _faces((Pos(50, 0, 0) * Box(1, 1, 1)).wrapped, skip=None))
    part = import_cad(encode_brep(compound), "c.brep", ImportOptions(units="mm"))
    assert part.report["ignored_loose_faces"] == 6
    assert len(solids_of(part.shape)) == 1


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        (
            "a.brep",
            b"CASCADE Topology V1, (c) Matra-Datavision\nLocations 3\n1\n",
            "UPLOAD_TRUNCATED_FILE",
        ),
        (
            "a.brep",
            b"CASCADE Topology V1, (c) Matra-Datavision\nLocations x\n\n+1 0\n",
            "UPLOAD_CORRUPT_FILE",
        ),
        (
            "a.step",
            b"ISO-10303-21;\nHEADER;\nENDSEC;\nDATA;\nENDSEC;\nEND-ISO-10303-21;\n",
            "UPLOAD_NO_GEOMETRY",
        ),
        ("a.step", b"ISO-10303-21;\nHEADER;\n#1=garbage(\n", "UPLOAD_TRUNCATED_FILE"),
        ("a.igs", b" " * 72 + b"S0000001\n", "UPLOAD_TRUNCATED_FILE"),
        ("a.fcstd", b"PK\x03\x04" + b"\0" * 40, "UPLOAD_TRUNCATED_FILE"),
    ],
)
def test_broken_exact_files(name: str, data: bytes, code: str) -> None:
    with pytest.raises(CadmlError) as caught:
        import_cad(data, name)
    assert caught.value.code == code


def test_kernel_complaints_stay_off_stdout(capfd):
    with pytest.raises(CadmlError):
        import_cad(b"CASCADE Topology V1, (c) Matra-Datavision\nLocations x\n\n+1 0\n", "x.brep")
    out, err = capfd.readouterr()
    assert out == ""
    assert "Not a" in err  # OCCT's own complaint, moved to stderr
