"""STL, OBJ and 3MF imports: units, normalisation, healing and refusals, closed-form."""

from __future__ import annotations

import numpy as np
import pytest

from cadml.errors import CadmlError, ValidationError
from cadml.geometry.importers import ImportOptions, import_cad
from cadml.geometry.metrics import solids_of


def codes(part) -> list[str]:
    return sorted(w["code"] for w in part.warnings)


def test_a_10_mm_cube_in_inches_is_a_254_mm_cube(cad):
    CUBE10 = cad.box_mesh((0, 0, 0), (10, 10, 10))
    part = import_cad(cad.stl_binary(*CUBE10), "cube.stl", ImportOptions(units="in"))
    low, high = cad.bbox(part.shape)
    assert (high - low).tolist() == pytest.approx([254.0] * 3, abs=1e-9)
    assert cad.volume(part.shape) == pytest.approx(254.0**3, rel=1e-12)
    assert (part.units, part.units_source) == ("in", "request")
    assert part.report["scale_to_mm"] == 25.4
    assert part.warnings == ()


def test_binary_and_ascii_stl_give_the_same_solid(cad):
    CUBE10 = cad.box_mesh((0, 0, 0), (10, 10, 10))
    a = import_cad(cad.stl_binary(*CUBE10), "a.stl", ImportOptions(units="mm"))
    b = import_cad(cad.stl_ascii(*CUBE10), "b.stl", ImportOptions(units="mm"))
    assert a.report["stl_encoding"] == "binary" and b.report["stl_encoding"] == "ascii"
    assert cad.volume(a.shape) == cad.volume(b.shape) == pytest.approx(1000.0)
    assert a.report["faces"] == b.report["faces"] == 12


def test_units_are_inferred_with_a_bilingual_warning(cad):
    part = import_cad(cad.stl_binary(*cad.box_mesh((0, 0, 0), (0.05, 0.02, 0.01))), "m.stl")
    assert (part.units, part.units_source) == ("m", "inferred")
    (warning,) = part.warnings
    assert warning["code"] == "UPLOAD_UNITS_INFERRED"
    assert "metres" in warning["message_en"] and warning["message_tr"] != warning["message_en"]
    assert cad.volume(part.shape) == pytest.approx(50 * 20 * 10, rel=1e-6)


def test_z_up_turns_a_y_up_obj_and_center_puts_it_on_the_plate(cad):
    # 10 wide (x), 30 tall (y, up in OBJ), 20 deep (z), placed off the origin.
    mesh = cad.box_mesh((5, 7, -3), (15, 37, 17))
    plain = import_cad(cad.obj_text(*mesh), "t.obj", ImportOptions(units="mm"))
    low, high = cad.bbox(plain.shape)
    assert (high - low).tolist() == pytest.approx([10, 30, 20])
    turned = import_cad(cad.obj_text(*mesh), "t.obj", ImportOptions(units="mm", z_up=True))
    low, high = cad.bbox(turned.shape)
    # (x, y, z) -> (x, -z, y): the tall axis becomes Z.
    assert low.tolist() == pytest.approx([5, -17, 7]) and high.tolist() == pytest.approx(
        [15, 3, 37]
    )
    assert turned.report["z_up"]["rotated"] is True
    placed = import_cad(
        cad.obj_text(*mesh), "t.obj", ImportOptions(units="mm", z_up=True, center=True)
    )
    low, high = cad.bbox(placed.shape)
    assert low.tolist() == pytest.approx([-5, -10, 0]) and high.tolist() == pytest.approx(
        [5, 10, 30]
    )
    assert cad.volume(placed.shape) == pytest.approx(6000.0)


def test_z_up_leaves_z_up_formats_alone(cad):
    CUBE10 = cad.box_mesh((0, 0, 0), (10, 10, 10))
    part = import_cad(cad.stl_binary(*CUBE10), "c.stl", ImportOptions(units="mm", z_up=True))
    assert part.report["z_up"] == {
        "requested": True,
        "rotated": False,
        "reason": "STL is Z-up already",
    }
    low, _ = cad.bbox(part.shape)
    assert low.tolist() == pytest.approx([0, 0, 0])


def test_obj_quads_and_negative_indices(cad):
    text = b"v 0 0 0\nv 4 0 0\nv 4 4 0\nv 0 4 0\nv 0 0 4\nv 4 0 4\nv 4 4 4\nv 0 4 4\n"
    text += (
        b"f -8 -5 -6 -7\nf 5 6 7 8\nf 1 2 6 5\nf 2 3 7 6\nf 3 4 8 7\nf 4/1/1 1/2/2 5/3/3 8/4/4\n"
    )
    part = import_cad(text, "q.obj", ImportOptions(units="mm"))
    assert part.report["obj_polygons"] == 6 and part.report["triangles"] == 12
    assert cad.volume(part.shape) == pytest.approx(64.0)


def test_3mf_unit_transforms_and_components(cad):
    v, f = cad.box_mesh((0, 0, 0), (1, 2, 3))
    objects = cad.mesh_object(1, v, f) + (
        '<object id="2" type="model"><components>'
        '<component objectid="1" transform="1 0 0 0 1 0 0 0 1 10 0 0"/>'
        "</components></object>"
    )
    build = '<item objectid="1"/><item objectid="2" transform="1 0 0 0 1 0 0 0 1 0 0 5"/>'
    part = import_cad(cad.model_3mf(objects, build, "inch"), "p.3mf")
    assert (part.units, part.units_source) == ("in", "file")
    assert len(solids_of(part.shape)) == 2
    assert cad.volume(part.shape) == pytest.approx(2 * 6 * 25.4**3, rel=1e-12)
    low, high = cad.bbox(part.shape)
    assert low.tolist() == pytest.approx([0, 0, 0])
    assert high.tolist() == pytest.approx([11 * 25.4, 2 * 25.4, 8 * 25.4])


def test_a_requested_unit_overrides_the_file_with_a_warning(cad):
    CUBE10 = cad.box_mesh((0, 0, 0), (10, 10, 10))
    part = import_cad(
        cad.model_3mf(cad.mesh_object(1, *CUBE10), '<item objectid="1"/>', "micron"),
        "p.3mf",
        ImportOptions(units="mm"),
    )
    assert codes(part) == ["UPLOAD_UNITS_OVERRIDDEN"]
    assert cad.volume(part.shape) == pytest.approx(1000.0)
    tiny = import_cad(
        cad.model_3mf(cad.mesh_object(1, *CUBE10), '<item objectid="1"/>', "micron"), "p.3mf"
    )
    assert cad.volume(tiny.shape) == pytest.approx(1e-6)


def test_a_cavity_becomes_an_inner_shell(cad):
    mesh = cad.join(cad.box_mesh((0, 0, 0), (30, 30, 30)), cad.box_mesh((10, 10, 10), (20, 20, 20)))
    part = import_cad(cad.stl_binary(*mesh), "h.stl", ImportOptions(units="mm"))
    assert part.report["cavities"] == 1 and len(solids_of(part.shape)) == 1
    assert cad.volume(part.shape) == pytest.approx(26000.0)


def test_separate_bodies_become_a_compound_of_solids(cad):
    CUBE10 = cad.box_mesh((0, 0, 0), (10, 10, 10))
    mesh = cad.join(CUBE10, cad.box_mesh((20, 0, 0), (25, 5, 5)))
    part = import_cad(cad.stl_binary(*mesh), "two.stl", ImportOptions(units="mm"))
    assert len(solids_of(part.shape)) == 2
    assert cad.volume(part.shape) == pytest.approx(1125.0)


def test_healing_cleans_and_reorients_and_without_it_the_mesh_is_refused(cad):
    CUBE10 = cad.box_mesh((0, 0, 0), (10, 10, 10))
    v, f = CUBE10
    messy = np.concatenate([f, [[0, 0, 1]], f[:1]])
    messy[3] = messy[3][[0, 2, 1]]
    part = import_cad(cad.obj_text(v, messy), "m.obj", ImportOptions(units="mm"))
    assert codes(part) == ["UPLOAD_MESH_CLEANED", "UPLOAD_MESH_REORIENTED"]
    assert part.report["dropped_degenerate_triangles"] == 1
    assert part.report["dropped_duplicate_triangles"] == 1
    assert part.report["healed"] is True
    assert cad.volume(part.shape) == pytest.approx(1000.0)
    with pytest.raises(CadmlError) as caught:
        import_cad(cad.obj_text(v, messy), "m.obj", ImportOptions(units="mm", heal=False))
    assert caught.value.code == "UPLOAD_INVALID_SOLID"


def test_an_inside_out_mesh_is_turned_outward(cad):
    CUBE10 = cad.box_mesh((0, 0, 0), (10, 10, 10))
    v, f = CUBE10
    part = import_cad(
        cad.stl_binary(v, f[:, [0, 2, 1]]), "i.stl", ImportOptions(units="mm", heal=False)
    )
    assert part.report["inverted_components"] == 1
    assert cad.volume(part.shape) == pytest.approx(1000.0)


def test_the_triangle_cap(monkeypatch, cad):
    CUBE10 = cad.box_mesh((0, 0, 0), (10, 10, 10))
    from cadml.geometry.importers import importer

    monkeypatch.setattr(importer, "MAX_TRIANGLES", 11)
    with pytest.raises(ValidationError) as caught:
        import_cad(cad.stl_binary(*CUBE10), "c.stl")
    assert caught.value.code == "UPLOAD_MESH_TOO_LARGE"
    assert caught.value.details == {"format": "stl", "triangles": 12, "max_triangles": 11}


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        (
            "a.stl",
            b"solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\n",
            "UPLOAD_TRUNCATED_FILE",
        ),
        (
            "a.stl",
            b"solid x\nfacet\nvertex 0 0 nan\nvertex 1 0 0\nvertex 0 1 0\nendsolid",
            "UPLOAD_CORRUPT_FILE",
        ),
        (
            "a.stl",
            b"solid x\nfacet\nvertex 0 0 zero\nvertex 1 0 0\nvertex 0 1 0\nendsolid",
            "UPLOAD_CORRUPT_FILE",
        ),
        ("a.stl", b"solid x\n  facet normal 0 0 0\nendsolid x\n", "UPLOAD_NO_GEOMETRY"),
        ("a.obj", b"v 0 0 0\nv 1 0 0\nf 1 2 7\n", "UPLOAD_CORRUPT_FILE"),
        ("a.obj", b"v 0 0 0\nv 1 0 x\n", "UPLOAD_CORRUPT_FILE"),
        ("a.obj", b"v 0 0 0\x00\x01", "UPLOAD_CORRUPT_FILE"),
        ("a.3mf", ("", '<item objectid="9"/>', "millimeter"), "UPLOAD_CORRUPT_FILE"),
        ("a.3mf", ("", "", "parsec"), "UPLOAD_UNITS_UNKNOWN"),
        ("a.3mf", ("", "", "millimeter"), "UPLOAD_NO_GEOMETRY"),
    ],
)
def test_broken_meshes(name: str, data: bytes | tuple[str, str, str], code: str, cad) -> None:
    if isinstance(data, tuple):
        data = cad.model_3mf(*data)
    with pytest.raises(CadmlError) as caught:
        import_cad(data, name)
    assert caught.value.code == code


def test_bad_request_unit(cad):
    CUBE10 = cad.box_mesh((0, 0, 0), (10, 10, 10))
    with pytest.raises(ValidationError) as caught:
        import_cad(cad.stl_binary(*CUBE10), "c.stl", ImportOptions(units="furlong"))
    assert caught.value.code == "UPLOAD_UNITS_INVALID"


def test_too_large(monkeypatch, cad):
    CUBE10 = cad.box_mesh((0, 0, 0), (10, 10, 10))
    from cadml.geometry.importers import importer

    monkeypatch.setattr(importer, "MAX_FILE_BYTES", 100)
    with pytest.raises(ValidationError) as caught:
        import_cad(cad.stl_binary(*CUBE10), "c.stl")
    assert caught.value.code == "UPLOAD_TOO_LARGE"


def test_imports_are_deterministic(cad):
    CUBE10 = cad.box_mesh((0, 0, 0), (10, 10, 10))
    from cadml.geometry.io.brep import encode_brep

    data = cad.stl_binary(*cad.join(CUBE10, cad.box_mesh((20, 0, 0), (25, 5, 5))))
    first = import_cad(data, "c.stl", ImportOptions(center=True))
    second = import_cad(data, "c.stl", ImportOptions(center=True))
    assert encode_brep(first.shape) == encode_brep(second.shape)
    assert first.report == second.report and first.warnings == second.warnings


def test_a_mesh_upload_carries_its_surface_and_exact_formats_do_not(cad):
    from cadml.geometry.io.brep import encode_brep

    outer = cad.box_mesh((0, 0, 0), (30, 30, 30))
    mesh = cad.join(outer, cad.box_mesh((10, 10, 10), (20, 20, 20)))
    part = import_cad(cad.stl_binary(*mesh), "h.stl", ImportOptions(units="in"))
    corners = part.mesh.vertices[part.mesh.triangles]
    signed = np.einsum("ij,ij->i", corners[:, 0], np.cross(corners[:, 1], corners[:, 2])).sum()
    assert signed / 6.0 == pytest.approx(cad.volume(part.shape), rel=1e-12)
    assert part.mesh.triangle_count == part.report["faces"] == 24
    exact = import_cad(encode_brep(part.shape), "h.brep")
    assert exact.mesh is None
