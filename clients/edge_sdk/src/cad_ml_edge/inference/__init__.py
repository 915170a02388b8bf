"""Local ONNX inference and model sync (extra ``[inference]``: onnxruntime and numpy).

Importing this package imports neither onnxruntime nor numpy; loading a model does.

- :class:`OnnxModel`: load a model, read its input/output schemas, validate inputs,
  :meth:`~OnnxModel.predict` one sample or :meth:`~OnnxModel.predict_batch` a batch.
- :class:`ModelStore`: versions on disk, sha256-checked, health-checked on sample
  inputs, switched atomically, previous version kept, automatic rollback.
- :func:`download_model`: fetch a version from the platform into a store.
"""

from __future__ import annotations

from cad_ml_edge.inference.download import download_model, model_download_url
from cad_ml_edge.inference.health import check_health
from cad_ml_edge.inference.model import OnnxModel, TensorSpec
from cad_ml_edge.inference.registry import ModelStore

__all__ = [
    "ModelStore",
    "OnnxModel",
    "TensorSpec",
    "check_health",
    "download_model",
    "model_download_url",
]
