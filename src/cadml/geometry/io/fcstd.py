"""FreeCAD document (FCStd) export, written without FreeCAD.

An FCStd file is a zip holding ``Document.xml`` and one BREP file per shape
property. We write the smallest document FreeCAD 0.20 opens as a normal part: one
``Part::Feature`` whose ``Shape`` property points at ``PartShape.brp``, imitating
what FreeCAD 0.20.2 writes (``SchemaVersion="4"``, ``FileVersion="1"``). There is no
``GuiDocument.xml``; FreeCAD uses default view properties.

The zip is deterministic: entries in sorted order (``Document.xml`` first, as
FreeCAD's reader wants), every mtime 1980-01-01 00:00, Unix attributes 0644 and
DEFLATE at level 6. DEFLATE output depends on the zlib build, so the engine
fingerprint records the zlib version.

Examples:
    >>> import io, zipfile
    >>> data = encode_fcstd(b"brep", label="my part", timestamp="2000-01-01T00:00:00")
    >>> zipfile.ZipFile(io.BytesIO(data)).namelist()
    ['Document.xml', 'PartShape.brp']
    >>> object_name("3 mm plate")
    '_3_mm_plate'
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from xml.sax.saxutils import quoteattr

__all__ = ["SHAPE_FILE", "ZIP_DATE_TIME", "document_xml", "encode_fcstd", "object_name"]

SHAPE_FILE = "PartShape.brp"
"""The zip entry holding the shape, named as FreeCAD names the first one."""

ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
"""The fixed modification time of every entry (the zip format's epoch)."""

_COMPRESS_LEVEL = 6

_DOCUMENT = """<?xml version='1.0' encoding='utf-8'?>
<!--
 FreeCAD Document, written by cadml
-->
<Document SchemaVersion="4" ProgramVersion="0.20R" FileVersion="1">
    <Properties Count="5" TransientCount="0">
        <Property name="Comment" type="App::PropertyString">
            <String value={comment}/>
        </Property>
        <Property name="CreatedBy" type="App::PropertyString">
            <String value="cadml"/>
        </Property>
        <Property name="CreationDate" type="App::PropertyString" status="16777217">
            <String value={timestamp}/>
        </Property>
        <Property name="Label" type="App::PropertyString" status="1">
            <String value={label}/>
        </Property>
        <Property name="Meta" type="App::PropertyMap" status="1">
            <Map count="{meta_count}">
{meta_items}            </Map>
        </Property>
    </Properties>
    <Objects Count="1" Dependencies="1">
        <ObjectDeps Name={name} Count="0"/>
        <Object type="Part::Feature" name={name} id="1" />
    </Objects>
    <ObjectData Count="1">
        <Object name={name}>
            <Properties Count="4" TransientCount="0">
                <Property name="Label" type="App::PropertyString" status="134217728">
                    <String value={label}/>
                </Property>
                <Property name="Placement" type="App::PropertyPlacement" status="8388608">
                    <PropertyPlacement Px="0.0000000000000000" Py="0.0000000000000000" \
Pz="0.0000000000000000" Q0="0.0000000000000000" Q1="0.0000000000000000" \
Q2="0.0000000000000000" Q3="1.0000000000000000" A="0.0000000000000000" \
Ox="0.0000000000000000" Oy="0.0000000000000000" Oz="1.0000000000000000"/>
                </Property>
                <Property name="Shape" type="Part::PropertyPartShape">
                    <Part file={shape_file}/>
                </Property>
                <Property name="Visibility" type="App::PropertyBool" status="648">
                    <Bool value="true"/>
                </Property>
            </Properties>
        </Object>
    </ObjectData>
</Document>
"""


def object_name(label: str) -> str:
    """A FreeCAD object name (an identifier) made from ``label``."""
    name = re.sub(r"\W", "_", label, flags=re.ASCII) or "Shape"
    return "_" + name if name[0].isdigit() else name


def document_xml(
    *, label: str, timestamp: str, comment: str = "", meta: Mapping[str, str] | None = None
) -> bytes:
    """The ``Document.xml`` of a one-part FreeCAD document.

    Args:
        label: the document's and the object's label; the object name derives from it.
        timestamp: the document's creation date (fixed by the caller).
        comment: the document comment.
        meta: string pairs for the document's ``Meta`` map, written in key order.

    Returns:
        UTF-8 XML.
    """
    items = sorted((meta or {}).items())
    meta_items = "".join(
        f"                <Item key={quoteattr(k)} value={quoteattr(v)}/>\n" for k, v in items
    )
    text = _DOCUMENT.format(
        comment=quoteattr(comment),
        timestamp=quoteattr(timestamp),
        label=quoteattr(label),
        name=quoteattr(object_name(label)),
        shape_file=quoteattr(SHAPE_FILE),
        meta_count=len(items),
        meta_items=meta_items,
    )
    return text.encode("utf-8")


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, whatever the host
    info.external_attr = 0o100644 << 16
    return info


def encode_fcstd(
    brep: bytes,
    *,
    label: str,
    timestamp: str,
    comment: str = "",
    meta: Mapping[str, str] | None = None,
) -> bytes:
    """Encode a one-part FreeCAD document.

    Args:
        brep: the part's shape as BREP text (see :func:`cadml.geometry.io.brep.encode_brep`).
        label: the part's label in FreeCAD's tree.
        timestamp: the document's creation date (fixed by the caller).
        comment: the document comment.
        meta: string pairs stored in the document's ``Meta`` map.

    Returns:
        The FCStd (zip) bytes.
    """
    files = {
        "Document.xml": document_xml(label=label, timestamp=timestamp, comment=comment, meta=meta),
        SHAPE_FILE: brep,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compresslevel=_COMPRESS_LEVEL) as archive:
        for name in sorted(files):
            archive.writestr(_entry(name), files[name], compresslevel=_COMPRESS_LEVEL)
    return buffer.getvalue()
