"""STEP AP214 (ISO 10303-214 IS, ``AUTOMOTIVE_DESIGN``) export.

The header is fixed so the bytes depend only on the shape and the engine: the
timestamp is an argument, author, organisation and originating system are
``cadml``, and the product is named after the part. The translator settings are set
explicitly on every call because OCCT keeps them in process-wide statics that other
code (build123d's exporters) may change.
"""

from __future__ import annotations

import io
import re
from typing import Any

from cadml.geometry.kernel import silence_kernel_output

__all__ = ["AUTHOR", "SCHEMA", "STEP_SETTINGS", "encode_step"]

SCHEMA = "AP214IS"
"""OCCT's name for the AP214 international-standard schema (``AUTOMOTIVE_DESIGN``)."""

AUTHOR = "cadml"
"""Author, organisation and originating system written in the header."""

STEP_SETTINGS: dict[str, str | int] = {
    "write.step.schema": SCHEMA,
    "write.step.unit": "MM",
    "write.precision.mode": 0,  # Average of the shape's tolerances
    "write.surfacecurve.mode": 1,  # write p-curves
    "write.step.assembly": 0,  # a single part, never an assembly
}
"""Translator settings applied before every write (OCCT static name to value)."""


_ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


def _apply_settings() -> None:
    from OCP.Interface import Interface_Static
    from OCP.STEPControl import STEPControl_Controller

    STEPControl_Controller.Init_s()
    for key, value in STEP_SETTINGS.items():
        if isinstance(value, int):
            accepted = Interface_Static.SetIVal_s(key, value)
        else:
            accepted = Interface_Static.SetCVal_s(key, value)
        if not accepted:
            raise RuntimeError(f"OCCT refused STEP setting {key}={value}")


def _name_products(model: Any, product_name: str) -> None:
    from OCP.StepBasic import StepBasic_Product
    from OCP.TCollection import TCollection_HAsciiString

    # A single part (write.step.assembly = 0) has exactly one PRODUCT, written near the
    # top of the model; stopping there saves walking hundreds of geometry entities.
    for index in range(1, model.NbEntities() + 1):
        entity = model.Value(index)
        if isinstance(entity, StepBasic_Product):
            entity.SetId(TCollection_HAsciiString(product_name))
            entity.SetName(TCollection_HAsciiString(product_name))
            return


def _fix_header(model: Any, product_name: str, timestamp: str) -> None:
    from OCP.APIHeaderSection import APIHeaderSection_MakeHeader
    from OCP.TCollection import TCollection_HAsciiString

    header = APIHeaderSection_MakeHeader(model)
    if not header.IsDone():
        raise RuntimeError("the STEP model has no header")
    header.SetName(TCollection_HAsciiString(product_name))
    header.SetTimeStamp(TCollection_HAsciiString(timestamp))
    header.SetAuthorValue(1, TCollection_HAsciiString(AUTHOR))
    header.SetOrganizationValue(1, TCollection_HAsciiString(AUTHOR))
    header.SetOriginatingSystem(TCollection_HAsciiString(AUTHOR))
    header.SetAuthorisation(TCollection_HAsciiString(""))
    header.SetDescriptionValue(1, TCollection_HAsciiString(product_name))


def encode_step(shape: Any, *, timestamp: str, product_name: str) -> bytes:
    """Encode ``shape`` as an AP214 STEP file.

    Args:
        shape: an OCP ``TopoDS_Shape`` in mm.
        timestamp: the header's ISO 8601 time stamp, e.g. ``2000-01-01T00:00:00``;
            fixed by the caller so that output is byte-identical across runs.
        product_name: the STEP product's id and name, and the header's file name.

    Returns:
        The STEP file's bytes (ASCII).

    Raises:
        ValueError: if ``timestamp`` is not an ISO 8601 date and time.
        RuntimeError: if OCCT cannot translate or write the shape.
    """
    from OCP.IFSelect import IFSelect_ReturnStatus
    from OCP.STEPControl import STEPControl_StepModelType, STEPControl_Writer

    if not _ISO_TIMESTAMP.fullmatch(timestamp):
        raise ValueError(f"STEP time stamp must be ISO 8601, got {timestamp!r}")
    silence_kernel_output()
    _apply_settings()
    writer = STEPControl_Writer()
    status = writer.Transfer(shape, STEPControl_StepModelType.STEPControl_AsIs)
    if status != IFSelect_ReturnStatus.IFSelect_RetDone:
        raise RuntimeError(f"STEP transfer failed: {status}")
    _name_products(writer.Model(), product_name)
    _fix_header(writer.Model(), product_name, timestamp)
    stream = io.BytesIO()
    status = writer.WriteStream(stream)
    if status != IFSelect_ReturnStatus.IFSelect_RetDone:
        raise RuntimeError(f"STEP write failed: {status}")
    return stream.getvalue()
