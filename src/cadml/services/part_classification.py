"""Classifying a part with the registered part classifier.

The part arrives as STL bytes (an upload) or as a design whose STL artefact is read from
the artefact store. The mesh is merged and cleaned (:mod:`cadml.geometry.importers`, no
geometry kernel needed), described exactly as training parts are
(:func:`cadml.ml.parts.describe.describe_mesh`), and sent to the model through the
inference service, so the request is monitored like any other. A model whose input is
named ``points`` gets the canonical cloud; one whose input is ``features`` the feature
vector. STL carries no unit: millimetres are assumed (the designs' artefacts are in mm).
"""

from __future__ import annotations

from typing import Any

from cadml.errors import ValidationError
from cadml.services.inference import InferenceService

__all__ = ["classify_design", "classify_mesh", "classify_stl"]


def classify_mesh(
    inference: InferenceService, vertices: Any, triangles: Any, model: str, ref: Any = None
) -> dict[str, Any]:
    """The family of a closed mesh (mm), as the model ``model`` sees it."""
    from cadml.ml.parts.describe import describe_mesh

    record = inference.registry.resolve(model, ref)
    names = [spec["name"] for spec in record.input_schema]
    try:
        described = describe_mesh(vertices, triangles)
    except ValueError as exc:
        raise ValidationError(
            "VALIDATION_INVALID_VALUE", details={"field": "file", "reason": str(exc)}
        ) from exc
    if names == ["points"]:
        inputs = described.points.tolist()
    elif names == ["features"]:
        inputs = described.features.tolist()
    else:
        raise ValidationError(
            "ML_INFERENCE_BAD_INPUT",
            details={
                "name": model,
                "input": ", ".join(names),
                "reason": "a part classifier takes 'points' or 'features'",
            },
        )
    answer = inference.predict(model, inputs, record.version)
    return {
        "family": answer["predictions"][0],
        "confidence": answer["confidences"][0] if answer["confidences"] else None,
        "model": answer["model"],
        "version": answer["version"],
        "latency_ms": answer["latency_ms"],
        "triangles": len(triangles),
    }


def classify_stl(
    inference: InferenceService, data: bytes, model: str, ref: Any = None
) -> dict[str, Any]:
    """The family of a part given as STL bytes (mm)."""
    from cadml.geometry.importers.meshcheck import clean_mesh
    from cadml.geometry.importers.stl import read_stl

    raw = read_stl(data)
    mesh = clean_mesh(raw.vertices, raw.triangles, heal=True)
    return classify_mesh(inference, mesh.vertices, mesh.triangles, model, ref)


def classify_design(
    runtime: Any, principal: Any, design_id: str, model: str, ref: Any = None
) -> dict[str, Any]:
    """The family of a finished design (its STL artefact).

    Raises:
        NotFoundError: for a design the principal cannot see.
        ValidationError: ``VALIDATION_INVALID_VALUE`` for a design without an STL.
    """
    artefacts = runtime.designs.list_artefacts(design_id, principal)
    stl = [a for a in artefacts if a.kind == "stl"]
    if not stl:
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": "design_id", "reason": "the design has no STL artefact (yet)"},
        )
    answer = classify_stl(runtime.inference, runtime.store.get(stl[0].storage_key), model, ref)
    return {**answer, "design_id": design_id}
