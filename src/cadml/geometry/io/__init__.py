"""Artefact formats: one module per format, each exporter returning ``bytes``.

:data:`EXPORTERS` maps an artefact kind to a function of an :class:`ExportSource`;
:data:`FORMATS` gives each kind's file extension and MIME type. Files are touched only
at the I/O edge (job and artefact adapters); exporters that OCCT makes write to a
stream write to memory.

Importing this package does not import the kernel; the STEP and BREP exporters
import it when called.

Examples:
    >>> sorted(EXPORTERS) == sorted(FORMATS)
    True
    >>> FORMATS["glb"].content_type
    'model/gltf-binary'
"""

from collections.abc import Callable
from dataclasses import dataclass

from cadml.geometry.io.brep import encode_brep
from cadml.geometry.io.fcstd import encode_fcstd
from cadml.geometry.io.glb import encode_glb
from cadml.geometry.io.source import ExportSource
from cadml.geometry.io.step import encode_step
from cadml.geometry.io.stl import encode_stl

__all__ = [
    "EXPORTERS",
    "FORMATS",
    "ExportSource",
    "Exporter",
    "FormatInfo",
    "encode_brep",
    "encode_fcstd",
    "encode_glb",
    "encode_step",
    "encode_stl",
]

Exporter = Callable[[ExportSource], bytes]
"""An exporter: the artefact's bytes from an export source."""


@dataclass(frozen=True)
class FormatInfo:
    """How an artefact kind is stored and served.

    Args:
        kind: the artefact kind, e.g. ``step``.
        extension: the file extension without the dot.
        content_type: the MIME type.
    """

    kind: str
    extension: str
    content_type: str


def _step(source: ExportSource) -> bytes:
    return encode_step(source.shape, timestamp=source.timestamp, product_name=source.name)


def _stl(source: ExportSource) -> bytes:
    return encode_stl(source.mesh)


def _glb(source: ExportSource) -> bytes:
    return encode_glb(
        source.mesh, name=source.name, color_srgb=source.color_srgb, metallic=source.metallic
    )


def _brep(source: ExportSource) -> bytes:
    return encode_brep(source.shape)


def _fcstd(source: ExportSource) -> bytes:
    return encode_fcstd(
        encode_brep(source.shape), label=source.name, timestamp=source.timestamp, meta=source.meta
    )


EXPORTERS: dict[str, Exporter] = {
    "step": _step,
    "stl": _stl,
    "glb": _glb,
    "brep": _brep,
    "fcstd": _fcstd,
}
"""Every exporter, by artefact kind, in the order a design job writes them."""

FORMATS: dict[str, FormatInfo] = {
    "step": FormatInfo("step", "step", "model/step"),
    "stl": FormatInfo("stl", "stl", "model/stl"),
    "glb": FormatInfo("glb", "glb", "model/gltf-binary"),
    "brep": FormatInfo("brep", "brep", "application/octet-stream"),
    "fcstd": FormatInfo("fcstd", "fcstd", "application/zip"),
}
"""File extension and MIME type of every artefact kind."""
