"""Which format an uploaded file is in: its extension, confirmed by its content.

The extension proposes a format; the first bytes must confirm it. Signatures:

==========  ===============================================================
step        ``ISO-10303-21;`` at the start (after blanks or a UTF-8 BOM)
iges        80-column records with section letter S/G in column 73
brep        ``CASCADE Topology V`` (text) or ``Open CASCADE Topology V`` (binary)
stl         binary: 84-byte header + 50 bytes per triangle (size matches the
            count in the header; such headers may begin with "solid" too);
            ASCII: ``solid`` then ``facet``
obj         text lines starting ``v `` and ``f ``
3mf         a zip holding ``3D/*.model`` (or ``[Content_Types].xml``)
dxf         group code 0 + ``SECTION`` at the start, or the binary-DXF sentinel
fcstd       a zip holding ``Document.xml``
==========  ===============================================================

If the content matches a *different* supported format, the content wins and the
importer warns (``UPLOAD_FORMAT_MISMATCH``). If it matches none, the file is reported
as corrupt for the extension's format; with an unknown extension as unsupported.

Examples:
    >>> detect_format("part.STP", b"ISO-10303-21;\\nHEADER;")
    'step'
    >>> detect_format("mesh.dat", b"solid x\\n facet normal 0 0 1\\n")
    'stl'
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from pathlib import PurePath

from cadml.errors import ValidationError

__all__ = [
    "EXTENSIONS",
    "SUPPORTED_FORMATS",
    "detect_format",
    "extension_format",
    "resolve_format",
    "sniff_format",
]

SUPPORTED_FORMATS: tuple[str, ...] = ("step", "iges", "brep", "stl", "obj", "3mf", "dxf", "fcstd")
"""Every format :func:`~cadml.geometry.importers.import_cad` reads."""

EXTENSIONS: dict[str, str] = {
    ".step": "step",
    ".stp": "step",
    ".p21": "step",
    ".iges": "iges",
    ".igs": "iges",
    ".brep": "brep",
    ".brp": "brep",
    ".stl": "stl",
    ".obj": "obj",
    ".3mf": "3mf",
    ".dxf": "dxf",
    ".fcstd": "fcstd",
}
"""File-name extensions (lower case) and the format each one names."""

_HEAD = 4096
_OBJ_LINE = re.compile(rb"^\s*(v|f|vn|vt|o|g|mtllib|usemtl|s)\s", re.MULTILINE)
_BINARY_DXF = b"AutoCAD Binary DXF\r\n\x1a\x00"


def _text_head(data: bytes) -> bytes:
    return data[:_HEAD].lstrip(b"\xef\xbb\xbf").lstrip()


def _is_binary_stl(data: bytes) -> bool:
    if len(data) < 84:
        return False
    (count,) = struct.unpack_from("<I", data, 80)
    return len(data) == 84 + 50 * count and count > 0


def _looks_like_stl_header(data: bytes) -> bool:
    # A binary STL cut short: a header, a triangle count that is plausible for the size
    # (random bytes announce billions) and finite numbers in the first triangle.
    if len(data) < 84 + 50:
        return False
    (count,) = struct.unpack_from("<I", data, 80)
    if not 0 < 50 * count <= 10 * len(data) or len(data) >= 84 + 50 * count:
        return False
    first = struct.unpack_from("<12f", data, 84)
    return all(abs(v) < 1e12 for v in first)


def _zip_names(data: bytes) -> list[str] | None:
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return []  # a zip, but unreadable: the reader reports it


def sniff_format(data: bytes) -> str | None:
    """The format the content shows, or ``None`` if it shows none.

    A zip that cannot be opened sniffs as ``None``; so does text that merely might be
    one of the text formats.
    """
    head = _text_head(data)
    if head.startswith(b"ISO-10303-21"):
        return "step"
    if head.startswith(b"CASCADE Topology V") or head.startswith(b"DBRep_DrawableShape"):
        return "brep"
    if data.startswith(b"Open CASCADE Topology V"):
        return "brep"
    if data.startswith(_BINARY_DXF):
        return "dxf"
    names = _zip_names(data)
    if names:
        if "Document.xml" in names:
            return "fcstd"
        if any(n.lower().endswith(".model") for n in names) or "[Content_Types].xml" in names:
            return "3mf"
        return None
    if _is_binary_stl(data):
        return "stl"
    lower = head.lower()
    if lower.startswith(b"solid") and b"facet" in lower:
        return "stl"
    if re.match(rb"0\s*\r?\n\s*SECTION\b", head):
        return "dxf"
    if _looks_like_iges(data):
        return "iges"
    if _OBJ_LINE.search(head) and re.search(rb"^\s*v\s", head, re.MULTILINE):
        return "obj"
    return None


def _looks_like_iges(data: bytes) -> bool:
    first = data[:82].split(b"\n", 1)[0].rstrip(b"\r")
    return len(first) >= 73 and first[72:73] in (b"S", b"G")


def extension_format(filename: str) -> str | None:
    """The format the file name's extension names, or ``None``."""
    suffix = PurePath(filename.replace("\\", "/")).suffix.lower()
    return EXTENSIONS.get(suffix)


def resolve_format(filename: str, data: bytes) -> tuple[str, str | None]:
    """The format to read, and the extension's format when the content overruled it.

    Returns:
        ``(format, overruled)``: ``overruled`` is the extension's format if the content
        shows another supported format, else ``None``.

    Raises:
        ValidationError: ``UPLOAD_EMPTY_FILE``; ``UPLOAD_UNSUPPORTED_FORMAT`` if neither
            the extension nor the content names a supported format;
            ``UPLOAD_CORRUPT_FILE`` / ``UPLOAD_TRUNCATED_FILE`` if the extension names
            one but the content is not of any.
    """
    if not data.strip():
        raise ValidationError("UPLOAD_EMPTY_FILE", details={"field": "file", "size": len(data)})
    by_name = extension_format(filename)
    by_content = sniff_format(data)
    if by_content is not None:
        if by_name is not None and by_name != by_content:
            return by_content, by_name
        return by_content, None
    if by_name is None:
        raise ValidationError(
            "UPLOAD_UNSUPPORTED_FORMAT",
            details={
                "field": "file",
                "filename": filename,
                "allowed": ", ".join(sorted(EXTENSIONS)),
            },
        )
    if by_name == "stl" and _looks_like_stl_header(data):
        raise ValidationError(
            "UPLOAD_TRUNCATED_FILE",
            details={"format": "stl", "reason": "fewer triangles than the header announces"},
        )
    if by_name in ("3mf", "fcstd") and data.startswith(b"PK\x03\x04"):
        raise ValidationError(
            "UPLOAD_TRUNCATED_FILE"
            if _zip_names(data) == [] and b"PK\x05\x06" not in data[-65_600:]
            else "UPLOAD_CORRUPT_FILE",
            details={"format": by_name, "reason": "the zip archive cannot be opened"},
        )
    if by_name in ("obj", "dxf", "iges"):
        # Text formats whose start may legitimately vary (comments, odd headers): let
        # the parser have the last word.
        return by_name, None
    raise ValidationError(
        "UPLOAD_CORRUPT_FILE",
        details={
            "format": by_name,
            "reason": f"the content does not look like {by_name.upper()} (signature missing)",
        },
    )


def detect_format(filename: str, data: bytes) -> str:
    """The format of an uploaded file, by extension and confirmed by content.

    Args:
        filename: the client's file name.
        data: the file's bytes.

    Returns:
        One of :data:`SUPPORTED_FORMATS`. When the content clearly shows another
        supported format than the extension, the content's format.

    Raises:
        ValidationError: ``UPLOAD_EMPTY_FILE``, ``UPLOAD_UNSUPPORTED_FORMAT``,
            ``UPLOAD_CORRUPT_FILE`` or ``UPLOAD_TRUNCATED_FILE``.
    """
    return resolve_format(filename, data)[0]
