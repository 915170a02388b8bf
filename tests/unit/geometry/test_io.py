"""Each artefact format: structure, round trip through a reader, and geometry."""

from __future__ import annotations

import io
import json
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh
from OCP.BRepGProp import BRepGProp
from OCP.GProp import GProp_GProps
from OCP.IFSelect import IFSelect_ReturnStatus
from OCP.STEPControl import STEPControl_Reader
from OCP.TopoDS import TopoDS_Shape

from cadml.errors import GeometryError
from cadml.geometry.io import EXPORTERS, FORMATS, ExportSource, encode_glb, encode_step
from cadml.geometry.io.brep import decode_brep, encode_brep
from cadml.geometry.io.fcstd import SHAPE_FILE, ZIP_DATE_TIME, document_xml, object_name
from cadml.geometry.io.glb import Z_UP_TO_Y_UP, srgb_to_linear
from cadml.geometry.io.stl import HEADER, STL_RECORD
from cadml.geometry.mesh import Mesh
from cadml.geometry.pipeline import _export
from cadml.physics import get_material

VOLUME = 100.0 * 50.0 * 30.0 - np.pi * 25.0 * 30.0


def volume_of(shape: Any) -> float:
    props = GProp_GProps()
    BRepGProp.VolumeProperties_s(shape, props)
    return props.Mass()


def artefact(result: Any, kind: str) -> bytes:
    return result.artefact(kind).data


def test_artefact_names_and_types(reference_result: Any) -> None:
    assert [a.kind for a in reference_result.artefacts] == [
        "step",
        "stl",
        "glb",
        "brep",
        "fcstd",
        "drawing_svg",
        "drawing_pdf",
    ]
    assert list(EXPORTERS) == list(FORMATS)
    for blob in reference_result.artefacts[: len(FORMATS)]:
        assert blob.filename == f"prism_with_hole.{FORMATS[blob.kind].extension}"
        assert blob.content_type == FORMATS[blob.kind].content_type
        assert blob.data
    svg, pdf = reference_result.artefacts[len(FORMATS) :]
    assert (svg.filename, svg.content_type) == ("prism_with_hole.drawing.svg", "image/svg+xml")
    assert (pdf.filename, pdf.content_type) == ("prism_with_hole.drawing.pdf", "application/pdf")
    with pytest.raises(KeyError):
        reference_result.artefact("iges")


# ------------------------------------------------------------------------------ STEP


def test_step_header(reference_result: Any) -> None:
    text = artefact(reference_result, "step").decode("ascii")
    assert text.startswith("ISO-10303-21;")
    header = text[: text.index("ENDSEC;")]
    assert "FILE_SCHEMA(('AUTOMOTIVE_DESIGN { 1 0 10303 214 1 1 1 1 }'));" in header
    name = re.search(r"FILE_NAME\((.*?)\);", header, re.S)
    assert name is not None
    fields = name.group(1)
    assert "'2000-01-01T00:00:00'" in fields
    assert "('cadml'),('cadml')" in fields.replace("\n", "").replace(" ", "")
    assert "'cadml'," in fields  # originating system
    assert "#7 = PRODUCT('prism_with_hole','prism_with_hole'" in text


def test_step_timestamp_is_the_only_header_input(reference_shape: Any) -> None:
    a = encode_step(reference_shape, timestamp="2000-01-01T00:00:00", product_name="p")
    b = encode_step(reference_shape, timestamp="2024-05-06T07:08:09", product_name="p")
    assert a != b
    assert a.replace(b"2000-01-01T00:00:00", b"2024-05-06T07:08:09") == b


def test_step_reads_back_with_the_same_volume(reference_result: Any, tmp_path: Path) -> None:
    path = tmp_path / "part.step"
    path.write_bytes(artefact(reference_result, "step"))
    reader = STEPControl_Reader()
    assert reader.ReadFile(str(path)) == IFSelect_ReturnStatus.IFSelect_RetDone
    assert reader.TransferRoots() >= 1
    shape = reader.OneShape()
    assert not shape.IsNull()
    assert volume_of(shape) == pytest.approx(VOLUME, rel=1e-9)


# ------------------------------------------------------------------------------ BREP


def test_brep_reads_back_with_the_same_volume(reference_result: Any) -> None:
    data = artefact(reference_result, "brep")
    assert data.startswith(b"\nCASCADE Topology V1, (c) Matra-Datavision")
    assert b"\nTriangulations 0\n" in data and b"\nPolygon3D 0\n" in data
    shape = decode_brep(data)
    assert not shape.IsNull()
    assert volume_of(shape) == pytest.approx(VOLUME, rel=1e-12)


def test_brep_ignores_cached_triangulation(reference_shape: Any) -> None:
    from cadml.geometry.mesh import tessellate

    tessellate(reference_shape, 1.0, 0.5)
    coarse = encode_brep(reference_shape)
    tessellate(reference_shape)
    assert encode_brep(reference_shape) == coarse


# ------------------------------------------------------------------------------- STL


def test_stl_is_binary_with_a_fixed_header(reference_result: Any) -> None:
    data = artefact(reference_result, "stl")
    assert data[:80] == HEADER and not data.startswith(b"solid")
    (count,) = struct.unpack("<I", data[80:84])
    assert count == reference_result.metrics["triangle_count"]
    assert len(data) == 84 + 50 * count


def test_stl_loads_in_trimesh(reference_result: Any) -> None:
    tm = trimesh.load(io.BytesIO(artefact(reference_result, "stl")), file_type="stl")
    np.testing.assert_allclose(tm.bounds, [[0, 0, 0], [100, 50, 30]], atol=1e-5)
    assert tm.is_watertight
    assert tm.volume == pytest.approx(VOLUME, rel=1e-4)
    assert tm.volume > VOLUME  # chords cut into the hole, never into the block
    # Stored normals are unit vectors agreeing with the counter-clockwise winding.
    records = np.frombuffer(artefact(reference_result, "stl")[84:], dtype=STL_RECORD)
    corners = records["vertices"].astype(np.float64)
    cross = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    expected = cross / np.linalg.norm(cross, axis=1, keepdims=True)
    np.testing.assert_allclose(records["normal"], expected, atol=1e-5)
    assert (records["attributes"] == 0).all()


# ------------------------------------------------------------------------------- GLB


def glb_chunks(data: bytes) -> tuple[dict[str, Any], bytes]:
    magic, version, length = struct.unpack("<III", data[:12])
    assert (magic, version, length) == (0x46546C67, 2, len(data))
    json_length, json_type = struct.unpack("<II", data[12:20])
    assert json_type == 0x4E4F534A and json_length % 4 == 0
    document = json.loads(data[20 : 20 + json_length])
    offset = 20 + json_length
    bin_length, bin_type = struct.unpack("<II", data[offset : offset + 8])
    assert bin_type == 0x004E4942 and bin_length % 4 == 0
    assert offset + 8 + bin_length == len(data)
    return document, data[offset + 8 :]


def test_glb_structure(reference_result: Any) -> None:
    document, binary = glb_chunks(artefact(reference_result, "glb"))
    assert document["asset"]["version"] == "2.0"
    positions_accessor, index_accessor = document["accessors"]
    count = positions_accessor["count"]
    positions = np.frombuffer(binary[: count * 12], dtype="<f4").reshape(-1, 3)
    indices = np.frombuffer(binary[count * 12 :], dtype="<u4")
    assert positions_accessor["min"] == positions.min(axis=0).tolist()
    assert positions_accessor["max"] == positions.max(axis=0).tolist()
    assert index_accessor["componentType"] == 5125
    assert index_accessor["count"] == indices.size == 3 * reference_result.metrics["triangle_count"]
    assert indices.max() == count - 1
    assert document["buffers"][0]["byteLength"] == len(binary)
    # Metres in the buffer.
    assert positions_accessor["max"] == pytest.approx([0.1, 0.05, 0.03], rel=1e-6)
    assert document["nodes"][0]["rotation"] == list(Z_UP_TO_Y_UP)
    color = get_material("aluminum_6061").color_srgb
    factor = document["materials"][0]["pbrMetallicRoughness"]["baseColorFactor"]
    assert factor == pytest.approx([srgb_to_linear(c) for c in color] + [1.0], abs=1e-6)
    assert document["materials"][0]["pbrMetallicRoughness"]["metallicFactor"] == 1.0


def test_glb_loads_in_trimesh_y_up(reference_result: Any) -> None:
    scene = trimesh.load(io.BytesIO(artefact(reference_result, "glb")), file_type="glb")
    tm = scene.to_mesh()
    # CAD (x, y, z) mm -> glTF (x, z, -y) m.
    np.testing.assert_allclose(tm.bounds, [[0.0, 0.0, -0.05], [0.1, 0.03, 0.0]], atol=1e-7)
    assert tm.is_watertight
    assert tm.volume == pytest.approx(VOLUME * 1e-9, rel=1e-4)


def test_glb_plastic_is_not_metallic() -> None:
    mesh = Mesh(np.eye(3), np.array([[0, 1, 2]]), 0.01, 0.1)
    data = encode_glb(mesh, name="n", color_srgb=(0.5, 0.5, 0.5), metallic=False)
    document, _ = glb_chunks(data)
    assert document["materials"][0]["pbrMetallicRoughness"]["metallicFactor"] == 0.0


def test_glb_refuses_an_empty_mesh() -> None:
    empty = Mesh(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), 0.01, 0.1)
    with pytest.raises(ValueError, match="at least one triangle"):
        encode_glb(empty, name="n", color_srgb=(1.0, 1.0, 1.0), metallic=False)


# ----------------------------------------------------------------------------- FCStd


def test_fcstd_zip(reference_result: Any) -> None:
    archive = zipfile.ZipFile(io.BytesIO(artefact(reference_result, "fcstd")))
    assert archive.testzip() is None
    infos = archive.infolist()
    assert [i.filename for i in infos] == ["Document.xml", SHAPE_FILE]
    for info in infos:
        assert info.date_time == ZIP_DATE_TIME
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert info.create_system == 3
    assert archive.read(SHAPE_FILE) == artefact(reference_result, "brep")
    root = ET.fromstring(archive.read("Document.xml"))
    assert (root.get("SchemaVersion"), root.get("FileVersion")) == ("4", "1")
    objects = root.findall("./Objects/Object")
    assert [(o.get("type"), o.get("name")) for o in objects] == [
        ("Part::Feature", "prism_with_hole")
    ]
    shape_property = root.find("./ObjectData/Object/Properties/Property[@name='Shape']/Part")
    assert shape_property is not None and shape_property.get("file") == SHAPE_FILE
    meta = {
        item.get("key"): item.get("value")
        for item in root.findall("./Properties/Property[@name='Meta']/Map/Item")
    }
    assert meta["cadml.material"] == "aluminum_6061"
    assert meta["cadml.hole_diameter"] == "10.0"
    # Declared counts match the content (FreeCAD's reader trusts them).
    for properties in root.iter("Properties"):
        assert int(properties.get("Count", "-1")) == len(properties.findall("Property"))
    meta_map = root.find("./Properties/Property[@name='Meta']/Map")
    assert meta_map is not None and int(meta_map.get("count", "-1")) == len(meta)


def test_fcstd_escapes_labels() -> None:
    xml = document_xml(label='a "quoted" <part> & co', timestamp="t", meta={"k": "<v>"})
    root = ET.fromstring(xml)
    label = root.find("./Properties/Property[@name='Label']/String")
    assert label is not None and label.get("value") == 'a "quoted" <part> & co'
    assert root.find("./Objects/Object").get("name") == "a__quoted___part____co"  # type: ignore[union-attr]
    assert object_name("") == "Shape"


# ---------------------------------------------------------------------------- errors


def test_export_failure_is_wrapped(reference_result: Any) -> None:
    mesh = Mesh(np.eye(3), np.array([[0, 1, 2]]), 0.01, 0.1)
    source = ExportSource(TopoDS_Shape(), mesh, "empty", (1.0, 1.0, 1.0), False, "t")
    with pytest.raises(GeometryError) as info:
        _export("step", source)
    assert info.value.code == "FC_EXPORT_FAILED"
    assert info.value.details["format"] == "step"
    assert info.value.__cause__ is not None


@pytest.mark.parametrize("stamp", ["yesterday", "2000-01-01", "2000-01-01T00:00:00'); DROP"])
def test_step_refuses_a_malformed_timestamp(reference_shape: Any, stamp: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        encode_step(reference_shape, timestamp=stamp, product_name="p")


def test_step_accepts_zoned_timestamps(reference_shape: Any) -> None:
    data = encode_step(reference_shape, timestamp="2024-05-06T07:08:09.5+03:00", product_name="p")
    assert b"'2024-05-06T07:08:09.5+03:00'" in data
