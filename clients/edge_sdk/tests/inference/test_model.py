"""OnnxModel: loading, schemas, input validation, single and batch inference."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from cad_ml_edge.errors import ModelError
from cad_ml_edge.inference import OnnxModel, TensorSpec
from cad_ml_edge.inference.model import shape_matches


@pytest.fixture
def load(model_file):
    def _load(data: bytes, **kwargs) -> OnnxModel:
        return OnnxModel.load(model_file(data), **kwargs)

    return _load


def detail(exc_info) -> str:
    err = exc_info.value
    assert err.code == "EDGE_MODEL_INVALID"
    return err.details["detail"]


def expected_linear(x, models):
    return np.asarray(x, dtype=np.float32) @ models.W + models.B


# -- loading and schemas ---------------------------------------------------------------


def test_load_reads_schemas_with_none_for_dynamic_dims(load, models):
    model = load(models.two_inputs(), threads=2, name="mixer")
    assert model.name == "mixer" and model.threads == 2
    assert model.inputs == (
        TensorSpec("a", "float32", (None, 3)),
        TensorSpec("k", "int64", (None, 1)),
    )
    assert model.outputs == (
        TensorSpec("y", "float32", (None, 3)),
        TensorSpec("s", "float32", (None,)),
    )
    assert model.has_batch_dim and model.dynamic_batch
    assert repr(model) == "OnnxModel('mixer', inputs=['a' float32 [None, 3], 'k' int64 [None, 1]])"


def test_name_defaults_to_the_file_stem(model_file, models):
    model = OnnxModel.load(model_file(models.linear(), "rul-v2.onnx"))
    assert model.name == "rul-v2"
    assert str(model.path).endswith("rul-v2.onnx")


def test_spec_without_declared_shape(load, models):
    model = load(models.unshaped())
    (spec,) = model.inputs
    assert spec.shape is None and spec.rank is None
    assert spec.describe() == "'x' float32 unknown shape"
    assert not model.has_batch_dim


@pytest.mark.parametrize("threads", [0, -1])
def test_threads_must_be_positive(load, models, threads):
    with pytest.raises(ModelError) as info:
        load(models.linear(), threads=threads)
    assert f"threads must be >= 1, got {threads}" in detail(info)


def test_missing_file(tmp_path):
    with pytest.raises(ModelError) as info:
        OnnxModel.load(tmp_path / "nope.onnx")
    assert "no model file at" in detail(info)


def test_a_file_that_is_not_onnx(model_file):
    with pytest.raises(ModelError) as info:
        OnnxModel.load(model_file(b"\x08\x07 definitely not a protobuf model"))
    assert "not a loadable ONNX model" in detail(info)
    assert info.value.__cause__ is not None


def test_a_truncated_model_file(model_file, models):
    data = models.linear()
    with pytest.raises(ModelError) as info:
        OnnxModel.load(model_file(data[: len(data) // 2]))
    assert "not a loadable ONNX model" in detail(info)


def test_sequence_inputs_are_refused(load, models):
    with pytest.raises(ModelError) as info:
        load(models.sequence_in())
    assert detail(info) == "input 'x' has unsupported type seq(tensor(float))"


def test_a_model_without_inputs_is_refused(load, models):
    with pytest.raises(ModelError) as info:
        load(models.no_inputs())
    assert detail(info) == "the model has no inputs"


def test_missing_extra_names_it(load, models, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes the import fail
    with pytest.raises(ModelError) as info:
        load(models.linear())
    assert "onnxruntime is not installed; pip install 'cad-ml-edge[inference]'" in detail(info)
    assert isinstance(info.value.__cause__, ImportError)


def test_importing_the_package_does_not_import_onnxruntime_or_numpy(tmp_path, models):
    path = tmp_path / "m.onnx"
    path.write_bytes(models.linear())
    script = textwrap.dedent(
        f"""
        import sys
        import cad_ml_edge.inference as inference
        assert "onnxruntime" not in sys.modules and "numpy" not in sys.modules
        store = inference.ModelStore({str(tmp_path / "store")!r})
        assert store.current("m") is None
        assert "onnxruntime" not in sys.modules and "numpy" not in sys.modules
        model = inference.OnnxModel.load({str(path)!r})
        assert "onnxruntime" in sys.modules and "numpy" in sys.modules
        print(model.predict([1, 0, 0]).tolist())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[1.5, 1.5]"


# -- validate_input -------------------------------------------------------------------


def test_validate_returns_the_feed(load, models):
    model = load(models.two_inputs())
    a = np.ones((2, 3), dtype=np.float32)
    feed = model.validate_input({"a": a, "k": [[1], [2]]})
    assert feed["a"] is a  # arrays of the right dtype are not copied
    assert feed["k"].dtype == np.int64 and feed["k"].shape == (2, 1)


def test_wrong_dtype_array_is_not_cast(load, models):
    model = load(models.linear())
    with pytest.raises(ModelError) as info:
        model.validate_input(np.ones((2, 3), dtype=np.float64))
    assert detail(info) == "input 'x' must be float32, got float64"


def test_lists_are_converted_to_the_input_dtype(load, models):
    model = load(models.linear())
    assert model.validate_input([[1, 2, 3]])["x"].dtype == np.float32


def test_unconvertible_value(load, models):
    model = load(models.linear())
    with pytest.raises(ModelError) as info:
        model.validate_input([["a", "b", "c"]])
    assert detail(info).startswith("input 'x': cannot convert list to float32")


def test_wrong_rank(load, models):
    model = load(models.linear())
    with pytest.raises(ModelError) as info:
        model.validate_input(np.ones(3, dtype=np.float32))
    assert detail(info) == "input 'x' must have rank 2 (shape [None, 3]), got rank 1 (shape (3,))"


def test_wrong_fixed_dim(load, models):
    model = load(models.linear())
    with pytest.raises(ModelError) as info:
        model.validate_input(np.ones((2, 4), dtype=np.float32))
    assert detail(info) == "input 'x': dim 1 must be 3, got 4 (shape (2, 4), expected [None, 3])"


def test_missing_input_name(load, models):
    model = load(models.two_inputs())
    with pytest.raises(ModelError) as info:
        model.validate_input({"a": np.ones((1, 3), dtype=np.float32)})
    assert detail(info) == "missing input 'k'; the model takes ['a', 'k']"


def test_unknown_input_name(load, models):
    model = load(models.linear())
    with pytest.raises(ModelError) as info:
        model.validate_input({"x": [[1, 2, 3]], "z": [1], "w": [2]})
    assert detail(info) == "unknown input 'z', 'w'; the model takes ['x']"


def test_several_inputs_need_a_dict(load, models):
    model = load(models.two_inputs())
    with pytest.raises(ModelError) as info:
        model.validate_input(np.ones((1, 3), dtype=np.float32))
    assert detail(info) == (
        "the model takes 2 inputs ['a', 'k']; pass a dict of arrays keyed by input name"
    )


def test_wrong_dtype_in_the_second_input(load, models):
    model = load(models.two_inputs())
    with pytest.raises(ModelError) as info:
        model.validate_input(
            {"a": np.ones((1, 3), dtype=np.float32), "k": np.ones((1, 1), dtype=np.int32)}
        )
    assert detail(info) == "input 'k' must be int64, got int32"


def test_unshaped_input_takes_any_shape(load, models):
    model = load(models.unshaped())
    for value in (np.float32(2.0), np.ones((2, 3, 4), dtype=np.float32)):
        out = model.predict(value)
        assert np.array_equal(out, value)


def test_string_inputs(load, models):
    model = load(models.strings())
    assert model.predict("ab").tolist() == "ab"
    assert model.predict_batch(np.array(["a", "bc"])).tolist() == ["a", "bc"]
    assert model.predict_batch(np.array(["a"], dtype=object)).tolist() == ["a"]
    with pytest.raises(ModelError) as info:
        model.validate_input(np.ones(2))
    assert detail(info) == "input 'x' must be str, got float64"


# -- predict ---------------------------------------------------------------------------


def test_predict_adds_and_removes_the_batch_dim(load, models):
    model = load(models.linear())
    out = model.predict(np.array([1, 2, 3], dtype=np.float32))
    assert out.shape == (2,)
    np.testing.assert_allclose(out, expected_linear([1, 2, 3], models))


def test_predict_refuses_a_batch_with_a_hint(load, models):
    model = load(models.linear())
    with pytest.raises(ModelError) as info:
        model.predict(np.ones((4, 3), dtype=np.float32))
    assert detail(info) == (
        "input 'x' must have rank 1 (shape [3]), got rank 2 (shape (4, 3)); "
        "predict() takes one sample, use predict_batch() for batches"
    )


def test_predict_wrong_sample_dim(load, models):
    model = load(models.linear())
    with pytest.raises(ModelError) as info:
        model.predict([1, 2])
    assert detail(info).startswith("input 'x': dim 0 must be 3, got 2 (shape (2,), expected [3])")


def test_predict_with_a_fixed_batch_of_one(load, models):
    model = load(models.linear(batch=1))
    assert model.has_batch_dim and not model.dynamic_batch
    np.testing.assert_allclose(model.predict([1, 2, 3]), expected_linear([1, 2, 3], models))


def test_predict_without_a_batch_dim(load, models):
    model = load(models.linear(batch=None))
    assert not model.has_batch_dim
    out = model.predict([1, 2, 3])
    assert out.shape == (2,)
    np.testing.assert_allclose(out, expected_linear([1, 2, 3], models))


def test_predict_with_two_inputs_and_two_outputs(load, models):
    model = load(models.two_inputs())
    out = model.predict({"a": [1, 2, 3], "k": [2]})
    assert set(out) == {"y", "s"}
    np.testing.assert_allclose(out["y"], [2, 4, 6])
    assert out["s"].shape == () and float(out["s"]) == 12.0


def test_predict_keeps_a_dynamic_output_dim_that_is_not_the_batch(load, models):
    model = load(models.flatten())
    out = model.predict([1, 2, 3])
    assert out.tolist() == [1, 2, 3]  # first dim 3, so nothing removed


def test_predict_keeps_outputs_with_a_fixed_first_dim(load, models):
    model = load(models.nonzero())
    out = model.predict([0, 5, 7])
    assert out.tolist() == [[0, 0], [1, 2]]


def test_sequence_outputs(load, models):
    model = load(models.sequence_out())
    out = model.predict([1, 2, 3])
    assert isinstance(out, list) and out[0].tolist() == [1, 2, 3]


def test_run_keeps_the_batch_dim(load, models):
    model = load(models.linear())
    out = model.run([[1, 2, 3]])
    assert list(out) == ["y"] and out["y"].shape == (1, 2)


def test_inference_errors_are_model_errors(load, models):
    model = load(models.free_inner())
    assert model.predict([1, 1, 1]).tolist() == [9.0, 12.0]
    with pytest.raises(ModelError) as info:
        model.predict([1, 1, 1, 1])  # M is free in the schema, the MatMul needs 3
    assert detail(info).startswith("inference failed: ")
    assert info.value.__cause__ is not None


# -- predict_batch ---------------------------------------------------------------------


def test_batch_from_a_stacked_array(load, models):
    model = load(models.linear())
    xs = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.testing.assert_allclose(model.predict_batch(xs), expected_linear(xs, models))


def test_batch_from_a_list_of_samples(load, models):
    model = load(models.linear())
    xs = [[1, 2, 3], np.array([4, 5, 6], dtype=np.float32)]
    np.testing.assert_allclose(model.predict_batch(xs), expected_linear(xs, models))


def test_batch_from_a_dict_and_a_list_of_dicts(load, models):
    model = load(models.two_inputs())
    stacked = {"a": np.ones((3, 3), dtype=np.float32), "k": np.array([[1], [2], [3]])}
    out = model.predict_batch(stacked)
    np.testing.assert_allclose(out["s"], [3, 6, 9])
    samples = [{"a": [1, 1, 1], "k": [k]} for k in (1, 2, 3)]
    np.testing.assert_allclose(model.predict_batch(samples)["y"], out["y"])


def test_batch_checks_the_stacked_shape(load, models):
    model = load(models.linear())
    with pytest.raises(ModelError) as info:
        model.predict_batch(np.ones((2, 4), dtype=np.float32))
    assert detail(info).startswith("input 'x': dim 1 must be 3, got 4")


def test_empty_batch(load, models):
    model = load(models.linear())
    with pytest.raises(ModelError) as info:
        model.predict_batch([])
    assert detail(info) == "predict_batch() got an empty batch"
    with pytest.raises(ModelError) as info:
        model.predict_batch(np.ones((0, 3), dtype=np.float32))
    assert "same non-zero batch size" in detail(info)


def test_batch_needs_a_batch_dim_in_every_input(load, models):
    model = load(models.linear())
    with pytest.raises(ModelError) as info:
        model.predict_batch(np.float32(1.0))
    assert detail(info) == (
        "predict_batch() needs the same non-zero batch size first in every input, "
        "got shapes {'x': ()}"
    )
    with pytest.raises(ModelError) as info:
        model.predict_batch(x for x in range(3))
    assert detail(info).startswith("input 'x': cannot convert generator to float32")


def test_batch_sizes_must_agree(load, models):
    model = load(models.two_inputs())
    with pytest.raises(ModelError) as info:
        model.predict_batch({"a": np.ones((2, 3), dtype=np.float32), "k": [[1], [2], [3]]})
    assert "got shapes {'a': (2, 3), 'k': (3, 1)}" in detail(info)


def test_samples_of_different_shapes(load, models):
    model = load(models.linear())
    with pytest.raises(ModelError) as info:
        model.predict_batch([[1, 2, 3], [1, 2]])
    assert detail(info).startswith("input 'x': the samples' shapes differ")


def test_batch_on_a_fixed_batch_of_one_runs_sample_by_sample(load, models):
    model = load(models.linear(batch=1))
    xs = np.arange(15, dtype=np.float32).reshape(5, 3)
    out = model.predict_batch(xs)
    assert out.shape == (5, 2)
    np.testing.assert_allclose(out, expected_linear(xs, models))


def test_batch_without_a_batch_dim_with_two_outputs(load, models):
    model = load(models.two_inputs(batch=1))
    out = model.predict_batch({"a": np.ones((2, 3), dtype=np.float32), "k": [[2], [3]]})
    np.testing.assert_allclose(out["s"], [6, 9])
    assert out["y"].shape == (2, 3)


def test_batch_of_sequence_outputs_is_a_list(load, models):
    model = load(models.sequence_out())
    out = model.predict_batch([[1, 2, 3], [4, 5, 6]])
    assert isinstance(out, list) and len(out) == 2
    assert out[1][0].tolist() == [4, 5, 6]


def test_batch_inference_errors(load, models):
    model = load(models.free_inner())
    with pytest.raises(ModelError) as info:
        model.predict_batch(np.ones((2, 5), dtype=np.float32))
    assert detail(info).startswith("inference failed: ")


def test_shape_matches():
    assert shape_matches((None, 2), (5, 2))
    assert not shape_matches((None, 2), (5, 3))
    assert not shape_matches((None, 2), (5,))
    assert shape_matches((), ())
