"""TFLite uploads: run once by the LiteRT interpreter in the sandbox, stored, not served."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cadml.artefacts.local import LocalArtefactStore
from cadml.db.engine import make_engine, make_session_factory
from cadml.db.migrate import upgrade
from cadml.db.model_registry import ModelRegistryRepository
from cadml.errors import ValidationError
from cadml.services.model_registry import ModelRegistry, Registration

pytest.importorskip("ai_edge_litert")
tflite_models = pytest.importorskip("tflite_models")

WEIGHTS = np.arange(12, dtype=np.float32).reshape(3, 4) / 10.0
BIAS = np.array([1.0, 2.0, 3.0], dtype=np.float32)


def test_the_hand_built_model_computes_its_closed_form() -> None:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=tflite_models.fully_connected_tflite(WEIGHTS, BIAS))
    interpreter.allocate_tensors()
    x = np.array([[1.0, 2.0, 3.0, 4.0]], dtype=np.float32)
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    got = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    # row r of W is 0.1 * (4r, 4r+1, 4r+2, 4r+3): x·W_r = 0.1 * (40r + 20) = 4r + 2
    np.testing.assert_allclose(got, [[3.0, 8.0, 13.0]], rtol=1e-6)


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    upgrade(url)
    return ModelRegistry(
        ModelRegistryRepository(make_session_factory(make_engine(url))),
        LocalArtefactStore(tmp_path / "artefacts"),
    )


def test_a_tflite_upload_is_checked_stored_and_downloadable_but_not_served(
    registry: ModelRegistry,
) -> None:
    data = tflite_models.fully_connected_tflite(WEIGHTS, BIAS)
    record = registry.register("edge-fc", data, "tflite", Registration(task="regression"))
    assert (record.version, record.format, record.framework) == (1, "tflite", "tflite")
    assert record.input_schema == [{"name": "input", "dtype": "float32", "shape": [None, 4]}]
    assert record.output_schema == [{"name": "output", "dtype": "float32", "shape": [None, 3]}]
    assert record.serving_key is None and record.meta["served"] is False
    body, filename, _ = registry.download("edge-fc")
    assert body == data and filename == "edge-fc-v1.tflite"
    with pytest.raises(ValidationError) as info:
        registry.serving_bytes(record)
    assert info.value.code == "ML_MODEL_NOT_SERVABLE"


def test_a_broken_tflite_file_is_refused_and_nothing_is_stored(registry: ModelRegistry) -> None:
    data = tflite_models.fully_connected_tflite(WEIGHTS, BIAS)
    with pytest.raises(ValidationError) as info:
        registry.register("edge-fc", data[: len(data) // 2], "tflite", Registration())
    assert info.value.code == "ML_MODEL_INVALID_FILE"
    assert registry.repository.models() == []
