"""Regenerate the generated part of the upload corpus (the files outside ``public/``).

Run from the repository root: ``.venv/bin/python tests/data/cad/make_corpus.py``.
Every file is deterministic (fixed STEP and DXF time stamps, fixed IGES date, fixed
random seed, hash seed 0 for ezdxf's object order), so rerunning gives the same bytes
with the same engine. ``expected.json`` is written by hand.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
STAMP = "2000-01-01T00:00:00"


# ---------------------------------------------------------------- meshes
def box_mesh(lo, hi, missing_face: int | None = None):
    """Corners and outward-wound triangles of an axis-aligned box."""
    (x0, y0, z0), (x1, y1, z1) = lo, hi
    v = np.array([(x, y, z) for x in (x0, x1) for y in (y0, y1) for z in (z0, z1)], float)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    tris = []
    for index, (a, b, c, d) in enumerate(quads):
        if index == missing_face:
            continue
        tris += [(a, b, c), (a, c, d)]
    return v, np.array(tris)


def join(*meshes):
    points, faces, offset = [], [], 0
    for v, f in meshes:
        points.append(v)
        faces.append(f + offset)
        offset += len(v)
    return np.concatenate(points), np.concatenate(faces)


def stl_binary(v, f) -> bytes:
    out = io.BytesIO()
    out.write(b"cadml test corpus".ljust(80, b" "))
    out.write(struct.pack("<I", len(f)))
    for tri in f:
        out.write(struct.pack("<3f", 0, 0, 0))
        for i in tri:
            out.write(struct.pack("<3f", *v[i]))
        out.write(b"\0\0")
    return out.getvalue()


def stl_ascii(v, f, name="part") -> bytes:
    lines = [f"solid {name}"]
    for tri in f:
        lines.append("  facet normal 0 0 0\n    outer loop")
        lines += [f"      vertex {v[i][0]:.6f} {v[i][1]:.6f} {v[i][2]:.6f}" for i in tri]
        lines.append("    endloop\n  endfacet")
    lines.append(f"endsolid {name}\n")
    return "\n".join(lines).encode()


def obj_text(v, f) -> bytes:
    lines = ["# cadml test corpus"]
    lines += [f"v {x:g} {y:g} {z:g}" for x, y, z in v]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in f]
    return ("\n".join(lines) + "\n").encode()


def three_mf(v, f, unit: str) -> bytes:
    verts = "".join(f'<vertex x="{x:g}" y="{y:g}" z="{z:g}"/>' for x, y, z in v)
    tris = "".join(f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in f)
    model = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<model unit="{unit}" xml:lang="en-US" '
        'xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">'
        f'<resources><object id="1" type="model"><mesh><vertices>{verts}</vertices>'
        f"<triangles>{tris}</triangles></mesh></object></resources>"
        '<build><item objectid="1" transform="1 0 0 0 1 0 0 0 1 5 5 0"/></build></model>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Target="/3D/3dmodel.model" Id="rel0" '
        'Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>'
    )
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="model" '
        'ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>'
    )
    return _zip({"[Content_Types].xml": types, "_rels/.rels": rels, "3D/3dmodel.model": model})


def _zip(files: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return out.getvalue()


# ---------------------------------------------------------------- exact shapes
def step_bytes(shape, unit: str = "MM") -> bytes:
    from OCP.Interface import Interface_Static

    from cadml.geometry.io.step import STEP_SETTINGS, encode_step

    STEP_SETTINGS["write.step.unit"] = unit
    try:
        return encode_step(shape, timestamp=STAMP, product_name="corpus")
    finally:
        STEP_SETTINGS["write.step.unit"] = "MM"
        Interface_Static.SetCVal_s("write.step.unit", "MM")


def iges_bytes(shape) -> bytes:
    from OCP.IGESControl import IGESControl_Controller, IGESControl_Writer

    IGESControl_Controller.Init_s()
    writer = IGESControl_Writer("MM", 0)  # 0: faces (trimmed surfaces), no solid entity
    writer.AddShape(shape)
    writer.ComputeModel()
    path = HERE / "_tmp.igs"
    writer.Write(str(path))
    data = path.read_bytes()
    path.unlink()
    # The global section holds the date of writing: pin it for reproducible bytes.
    import re

    return re.sub(rb"15H\d{8}\.\d{6}", b"15H20000101.000000", data)


def faces_compound(shape, skip: int | None):
    from OCP.BRep import BRep_Builder
    from OCP.TopAbs import TopAbs_FACE
    from OCP.TopExp import TopExp_Explorer
    from OCP.TopoDS import TopoDS_Compound

    builder = BRep_Builder()
    compound = TopoDS_Compound()
    builder.MakeCompound(compound)
    explorer = TopExp_Explorer(shape, TopAbs_FACE)
    index = 0
    while explorer.More():
        if index != skip:
            builder.Add(compound, explorer.Current())
        index += 1
        explorer.Next()
    return compound


# ---------------------------------------------------------------- DXF
def dxf_bytes(build, insunits: int) -> bytes:
    import ezdxf

    # Fixed time stamps and GUIDs in the header, for reproducible bytes.
    ezdxf.options.write_fixed_meta_data_for_testing = True
    doc = ezdxf.new("R2010")
    doc.header["$INSUNITS"] = insunits
    build(doc.modelspace())
    out = io.StringIO()
    doc.write(out)
    return out.getvalue().encode()


def plate_with_holes(msp) -> None:
    # 100 x 60 plate with rounded ends (bulge arcs, r = 30) replaced on one side:
    # outline: (0,0) -> (100,0) -> (100,60) -> (0,60) with a semicircular bulge on the
    # left edge (bulge 1 from (0,60) to (0,0): a half disc of radius 30 outside).
    msp.add_lwpolyline([(0, 0, 0), (100, 0, 0), (100, 60, 0), (0, 60, 1)], format="xyb", close=True)
    msp.add_circle((30, 30), 5)
    msp.add_circle((70, 30), 10)
    msp.add_text("PLATE")  # ignored, with a warning


def plate_lines_arcs(msp) -> None:
    # A 4 x 2 inch slot plate from LINEs and ARCs (semicircular ends, r = 1).
    msp.add_line((1, 0), (3, 0))
    msp.add_arc((3, 1), 1, -90, 90)
    msp.add_line((3, 2), (1, 2))
    msp.add_arc((1, 1), 1, 90, 270)
    msp.add_circle((2, 1), 0.25)


def open_polyline(msp) -> None:
    msp.add_lwpolyline([(0, 0), (50, 0), (50, 30)], close=False)


def main() -> None:
    from build123d import Box, Cylinder

    from cadml.geometry.io.brep import encode_brep
    from cadml.geometry.io.fcstd import encode_fcstd
    from cadml.geometry.kernel import silence_kernel_output

    silence_kernel_output()
    out = HERE
    prism = (Box(100, 50, 30) - Cylinder(5, 30)).wrapped
    (out / "prism_mm.step").write_bytes(step_bytes(prism))
    block = Box(25.4, 50.8, 12.7).wrapped  # 1 x 2 x 0.5 inch
    (out / "block_inch.step").write_bytes(step_bytes(block, "INCH"))
    (out / "cylinder_faces.iges").write_bytes(iges_bytes(Cylinder(10, 20).wrapped))
    (out / "prism.brep").write_bytes(encode_brep(prism))
    (out / "prism.fcstd").write_bytes(
        encode_fcstd(encode_brep(prism), label="prism", timestamp=STAMP)
    )
    cube = Box(20, 20, 20).wrapped
    (out / "box_faces_closed.step").write_bytes(step_bytes(faces_compound(cube, None)))
    (out / "box_faces_open.step").write_bytes(step_bytes(faces_compound(cube, 0)))
    step = (out / "prism_mm.step").read_bytes()
    (out / "truncated.step").write_bytes(step[: len(step) // 2])

    v, f = box_mesh((0, 0, 0), (20, 20, 20))
    (out / "cube20_binary.stl").write_bytes(stl_binary(v, f))
    v2, f2 = box_mesh((0, 0, 0), (2, 2, 2))
    (out / "cube2_ascii.stl").write_bytes(stl_ascii(v2, f2, "inch_cube"))
    vm, fm = box_mesh((0, 0, 0), (0.05, 0.04, 0.03))
    (out / "box_metres.stl").write_bytes(stl_binary(vm, fm))
    binary = stl_binary(v, f)
    (out / "truncated_binary.stl").write_bytes(binary[: 84 + 50 * 7 + 20])
    (out / "open_box.stl").write_bytes(stl_binary(*box_mesh((0, 0, 0), (20, 20, 20), 3)))
    (out / "nonmanifold_edge.stl").write_bytes(
        stl_binary(*join(box_mesh((0, 0, 0), (10, 10, 10)), box_mesh((10, 10, 0), (20, 20, 10))))
    )
    (out / "self_intersecting.stl").write_bytes(
        stl_binary(*join(box_mesh((0, 0, 0), (10, 10, 10)), box_mesh((4, 3, 2.5), (14, 13, 12.5))))
    )
    outer = box_mesh((0, 0, 0), (30, 30, 30))
    inner = box_mesh((10, 10, 10), (20, 20, 20))
    (out / "hollow_cube.stl").write_bytes(stl_binary(*join(outer, inner)))
    flipped = f.copy()
    flipped[::4] = flipped[::4][:, [0, 2, 1]]
    (out / "cube_bad_winding.stl").write_bytes(stl_ascii(v, flipped, "winding"))
    # Y-up OBJ: 10 wide (x), 30 tall (y), 20 deep (z).
    (out / "tower_yup.obj").write_bytes(obj_text(*box_mesh((0, 0, 0), (10, 30, 20))))
    (out / "points_only.obj").write_bytes(b"v 0 0 0\nv 1 0 0\nv 0 1 0\n")
    (out / "cube_inch.3mf").write_bytes(three_mf(*box_mesh((0, 0, 0), (1, 1, 1)), "inch"))
    (out / "plate_holes_mm.dxf").write_bytes(dxf_bytes(plate_with_holes, 4))
    (out / "slot_lines_arcs_inch.dxf").write_bytes(dxf_bytes(plate_lines_arcs, 1))
    (out / "open_polyline.dxf").write_bytes(dxf_bytes(open_polyline, 4))
    (out / "no_shape.fcstd").write_bytes(
        _zip(
            {
                "Document.xml": '<?xml version="1.0"?><Document SchemaVersion="4"><Objects '
                'Count="0"/><ObjectData Count="0"/></Document>'
            }
        )
    )
    (out / "empty.step").write_bytes(b"")
    rng = np.random.default_rng(20261201)
    (out / "noise.step").write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    (out / "step_named_stl.stl").write_bytes(step_bytes(Box(10, 10, 10).wrapped))
    (out / "readme_renamed.docx").write_bytes(b"PK\x03\x04 this is not a CAD file")


if __name__ == "__main__":
    import os
    import sys

    # ezdxf orders some DXF objects by string hashes: fix the hash seed.
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(
            sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"}
        )
    main()
