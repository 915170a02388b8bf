"""The geometry kernel session: its version fingerprint and its console output.

Both functions import OCP lazily, so this module is cheap to import.

Examples:
    >>> sorted(engine_fingerprint())
    ['build123d', 'cadml', 'numpy', 'occt', 'ocp', 'python', 'zlib']
"""

from __future__ import annotations

import platform
import re
import zlib
from functools import cache
from importlib import metadata

__all__ = ["OCP_DISTRIBUTION", "engine_fingerprint", "silence_kernel_output"]

OCP_DISTRIBUTION = "cadquery-ocp-novtk"
"""The PyPI distribution that ships OCP and OCCT's shared libraries."""

# OCCT's libraries carry the full version in their file name:
# libTKernel-<hash>.so.8.0.1 (Linux), libTKernel.8.0.1.dylib (macOS), TKernel.dll (none).
_TKERNEL = re.compile(r"TKernel[^/\\]*?[.-](\d+\.\d+\.\d+)(?:\.dylib)?$")
# The STEP header's default originating system names "Open CASCADE 8.0".
_HEADER = re.compile(r"Open CASCADE (\d+\.\d+(?:\.\d+)?)")


def _occt_version_from_libraries() -> str | None:
    try:
        files = metadata.files(OCP_DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return None
    for file in files:
        match = _TKERNEL.search(str(file))
        if match:
            return match.group(1)
    return None


def _occt_version_from_step_header() -> str:
    from OCP.APIHeaderSection import APIHeaderSection_MakeHeader
    from OCP.STEPControl import STEPControl_Controller

    STEPControl_Controller.Init_s()
    header = APIHeaderSection_MakeHeader(0)
    match = _HEADER.search(header.OriginatingSystem().ToCString())
    return match.group(1) if match else "unknown"


@cache
def _occt_version() -> str:
    # OCP binds no Standard_Version; the shipped library names are the next best truth.
    return _occt_version_from_libraries() or _occt_version_from_step_header()


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"


def engine_fingerprint() -> dict[str, str]:
    """Versions of everything that shapes artefact bytes.

    Returns:
        ``cadml``, ``build123d``, ``ocp`` (the OCP wheel), ``occt`` (the OCCT the
        wheel ships), ``python``, ``numpy`` (STL/GLB encoding) and ``zlib`` (FCStd
        compression) versions.
    """
    return dict(_fingerprint())


@cache
def _fingerprint() -> tuple[tuple[str, str], ...]:
    # Versions cannot change inside a process; reading package metadata costs ~0.4 ms.
    import numpy

    from cadml import __version__

    return tuple(
        {
            "build123d": _version("build123d"),
            "cadml": __version__,
            "numpy": numpy.__version__,
            "occt": _occt_version(),
            "ocp": _version(OCP_DISTRIBUTION),
            "python": platform.python_version(),
            "zlib": zlib.ZLIB_RUNTIME_VERSION,
        }.items()
    )


def silence_kernel_output() -> None:
    """Stop OCCT from printing on stdout (progress and transfer statistics).

    OCCT 8 writes translator statistics and progress text to stdout through the default
    messenger's printers; a worker that speaks a protocol on stdout would be corrupted.
    Removing the printers drops those messages; failures still surface as exceptions
    and status codes. Idempotent.
    """
    from OCP.Message import Message

    Message.DefaultMessenger_s().ChangePrinters().Clear()
