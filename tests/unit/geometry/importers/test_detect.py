"""Format detection: the extension proposes, the content decides (pure, no kernel)."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from cadml.errors import ValidationError
from cadml.geometry.importers import SUPPORTED_FORMATS, detect_format
from cadml.geometry.importers.detect import EXTENSIONS, resolve_format


def _zip(names: list[str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


def _binary_stl(count: int, header: bytes = b"binary") -> bytes:
    return header.ljust(80, b" ") + struct.pack("<I", count) + bytes(50 * count)


IGES_LINE = b" " * 72 + b"S0000001\n"

SAMPLES = [
    ("a.step", b"ISO-10303-21;\nHEADER;", "step"),
    ("a.STP", b"\xef\xbb\xbf  ISO-10303-21;", "step"),
    ("a.igs", IGES_LINE, "iges"),
    ("a.brep", b"DBRep_DrawableShape\n\nCASCADE Topology V1", "brep"),
    ("a.brp", b"CASCADE Topology V3, (c) Open Cascade", "brep"),
    ("a.stl", b"solid x\n facet normal 0 0 1\n", "stl"),
    ("a.stl", _binary_stl(2), "stl"),
    # A binary STL whose header starts with "solid" is still binary (size matches).
    ("a.stl", _binary_stl(1, b"solid made by some exporter facet"), "stl"),
    ("a.obj", b"# comment\nv 0 0 0\nv 1 0 0\nf 1 2 3\n", "obj"),
    ("a.3mf", _zip(["[Content_Types].xml", "3D/3dmodel.model"]), "3mf"),
    ("a.FCStd", _zip(["Document.xml", "PartShape.brp"]), "fcstd"),
    ("a.dxf", b"  0\nSECTION\n  2\nHEADER\n", "dxf"),
]


@pytest.mark.parametrize(("name", "data", "fmt"), SAMPLES)
def test_signatures(name: str, data: bytes, fmt: str) -> None:
    assert detect_format(name, data) == fmt
    assert resolve_format(name, data) == (fmt, None)


def test_every_format_has_an_extension_and_every_extension_a_format() -> None:
    assert set(EXTENSIONS.values()) == set(SUPPORTED_FORMATS)


def test_content_overrules_a_wrong_extension() -> None:
    assert resolve_format("part.stl", b"ISO-10303-21;\n") == ("step", "stl")


def test_unknown_extension_is_accepted_when_the_content_is_known() -> None:
    assert detect_format("download.bin", b"ISO-10303-21;\n") == "step"


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("a.step", b"", "UPLOAD_EMPTY_FILE"),
        ("a.stl", b" \n\t ", "UPLOAD_EMPTY_FILE"),
        ("a.docx", b"PK\x03\x04 not a zip", "UPLOAD_UNSUPPORTED_FORMAT"),
        ("noextension", b"hello", "UPLOAD_UNSUPPORTED_FORMAT"),
        ("a.step", bytes(range(256)), "UPLOAD_CORRUPT_FILE"),
        ("a.brep", b"hello", "UPLOAD_CORRUPT_FILE"),
        ("a.stl", _binary_stl(10)[:300], "UPLOAD_TRUNCATED_FILE"),
        ("a.3mf", _zip(["3D/3dmodel.model"])[:40], "UPLOAD_TRUNCATED_FILE"),
    ],
)
def test_refusals(name: str, data: bytes, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        detect_format(name, data)
    assert caught.value.code == code


def test_text_formats_with_odd_starts_go_to_their_parser() -> None:
    # OBJ may start with anything (comments, mtllib); the parser has the last word.
    assert resolve_format("a.obj", b"# only a comment\n") == ("obj", None)
