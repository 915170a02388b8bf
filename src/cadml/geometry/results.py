"""What a design job returns: artefact bytes, metrics, fingerprint and tolerances.

Plain frozen dataclasses with no kernel import, so job backends and the API can
carry and store them.

Examples:
    >>> blob = ArtefactBlob("stl", "part.stl", "model/stl", b"solid")
    >>> DesignResult((blob,), {}, {}, {}).artefact("stl").filename
    'part.stl'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ArtefactBlob", "DesignResult"]


@dataclass(frozen=True)
class ArtefactBlob:
    """One file a job produced, held in memory.

    Args:
        kind: the artefact kind, e.g. ``step``, ``stl``, ``glb``, ``brep``, ``fcstd``.
        filename: the file name to store and serve it under, e.g. ``prism_with_hole.step``.
        content_type: its MIME type.
        data: the file's bytes; deterministic for a given input and engine.
    """

    kind: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class DesignResult:
    """Everything a design job produced.

    Args:
        artefacts: the files, in a fixed order of kinds.
        metrics: JSON-ready measurements of the part (mm, mm², mm³, kg); only
            ``metrics["durations_ms"]`` varies between runs.
        fingerprint: versions of the engine that made the artefacts.
        tolerances: the tessellation and rounding tolerances that were used.
    """

    artefacts: tuple[ArtefactBlob, ...]
    metrics: dict[str, Any]
    fingerprint: dict[str, str]
    tolerances: dict[str, Any]

    def artefact(self, kind: str) -> ArtefactBlob:
        """The artefact of ``kind``.

        Raises:
            KeyError: if the result has no artefact of that kind.
        """
        for blob in self.artefacts:
            if blob.kind == kind:
                return blob
        raise KeyError(kind)
