"""Geometry domain: the only package that talks to the CAD kernel (OCCT through OCP).

Importing this package, :mod:`cadml.geometry.generators` or :mod:`cadml.geometry.results`
does not import the kernel (which costs seconds). The kernel-bound modules
(:mod:`~cadml.geometry.pipeline`, :mod:`~cadml.geometry.mesh`,
:mod:`~cadml.geometry.metrics`, :mod:`~cadml.geometry.io`) are imported by geometry
workers only.
"""

from cadml.geometry.results import ArtefactBlob, DesignResult

__all__ = ["ArtefactBlob", "DesignResult"]
