"""Saving and loading in-process: MLmodel contents, every input form, outputs as MLflow's."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from pyfunc_core import load_model
from pyfunc_core.errors import InvalidInputError, InvalidParameterError
from pyfunc_core.schema import ColSpec, ModelSignature, Schema, TensorSpec

Saved = Any  # the conftest's Saved fixture object


def mlmodel(path: Path) -> dict:
    return yaml.safe_load((path / "MLmodel").read_text())


def test_keras_directory_layout_is_mlflows(saved: Saved) -> None:
    meta = mlmodel(saved.multi)
    assert (
        meta["flavors"]["python_function"]["loader_module"] == "mlflow.tensorflow"
    )  # MLflow loads it without our plugin
    assert meta["flavors"]["python_function"]["data"] == "data"
    tf_conf = meta["flavors"]["tensorflow"]
    assert tf_conf["model_type"] == "keras"
    assert tf_conf["data"] == "data"
    assert tf_conf["keras_version"] == metadata.version("keras")
    assert (saved.multi / "data" / "model.keras").is_file()
    assert (saved.multi / "data" / "save_format.txt").read_text() == "keras"


def test_requirements_pin_tensorflow_and_keras(saved: Saved) -> None:
    from pyfunc_tensorflow.framework import tensorflow_distribution

    name, version = tensorflow_distribution()
    lines = (saved.multi / "requirements.txt").read_text().split()
    assert f"{name}=={version}" in lines
    assert f"keras=={metadata.version('keras')}" in lines


def test_signature_is_inferred_as_named_tensor_specs(saved: Saved) -> None:
    sig = load_model(saved.multi).metadata.signature
    assert sig.inputs == Schema([TensorSpec("float32", (-1, 3), "a"), TensorSpec("float32", (-1, 2), "b")])
    assert sig.outputs == Schema([TensorSpec("float32", (-1, 2))])
    single = load_model(saved.single).metadata.signature
    assert single.inputs == Schema([TensorSpec("float32", (-1, 2))])


def test_multi_input_dict(tiny: Any, saved: Saved, expected: dict) -> None:
    out = load_model(saved.multi).predict({"a": tiny.A, "b": tiny.B})
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, expected["multi"], rtol=1e-6)


def test_multi_input_dataframe_columns_go_to_named_inputs(tiny: Any, saved: Saved, expected: dict) -> None:
    frame = pd.DataFrame({"b": list(tiny.B), "a": list(tiny.A)})
    np.testing.assert_allclose(load_model(saved.multi).predict(frame), expected["multi"], rtol=1e-6)


def test_multi_input_dict_of_lists_and_int_values_are_cast(tiny: Any, saved: Saved, expected: dict) -> None:
    out = load_model(saved.multi).predict(
        {"a": tiny.A.astype(np.int64).tolist(), "b": tiny.B.astype(np.int64)}
    )
    ref = saved.keras_multi.predict_on_batch(
        [tiny.A.astype(np.int64).astype(np.float32), tiny.B.astype(np.int64)]
    )
    np.testing.assert_allclose(out, ref, rtol=1e-6)


def test_single_input_array_and_dataframe_as_one_tensor(tiny: Any, saved: Saved, expected: dict) -> None:
    model = load_model(saved.single)
    np.testing.assert_allclose(model.predict(tiny.X), expected["single"], rtol=1e-6)
    frame = pd.DataFrame(tiny.X, columns=["first", "second"])
    np.testing.assert_allclose(model.predict(frame), expected["single"], rtol=1e-6)


def test_without_signature_a_dataframe_gets_a_dataframe_back(tiny: Any, saved: Saved, expected: dict) -> None:
    model = load_model(saved.unsigned)
    assert model.metadata.signature is None
    frame = pd.DataFrame(tiny.X, columns=["p", "q"], index=[10, 11, 12])
    out = model.predict(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.index) == [10, 11, 12]
    np.testing.assert_allclose(out.to_numpy(), expected["single"], rtol=1e-6)
    np.testing.assert_allclose(model.predict(tiny.X.tolist()), expected["single"], rtol=1e-6)


def test_savedmodel_module_returns_dict_of_arrays(tiny: Any, saved: Saved, expected: dict) -> None:
    meta = mlmodel(saved.module)["flavors"]["tensorflow"]
    # MLflow's model_type for a SavedModel served through signature_def_key (tf2-module would
    # make mlflow.pyfunc call the module on one tensor instead of the signature we serve)
    assert meta["model_type"] == "tf1-estimator"
    assert meta["meta_graph_tags"] == ["serve"]
    assert meta["signature_def_key"] == "serving_default"
    assert (saved.module / "tf2model" / "saved_model.pb").is_file()
    model = load_model(saved.module)
    assert model.metadata.signature.inputs == Schema([TensorSpec("float32", (-1, 2), "x")])
    out = model.predict({"x": tiny.X})
    assert set(out) == {"y", "z"}
    np.testing.assert_allclose(out["y"], expected["y"].ravel(), rtol=1e-6)  # one value per row: 1-d
    np.testing.assert_allclose(out["z"], expected["z"], rtol=1e-6)


def test_savedmodel_dataframe_input_gets_a_dataframe(tiny: Any, saved: Saved, expected: dict) -> None:
    # No MLmodel signature involved: the predictor itself maps the columns.
    predictor = load_model(saved.module).model_impl
    out = predictor.predict(pd.DataFrame({"x": list(tiny.X)}))
    assert isinstance(out, pd.DataFrame)
    np.testing.assert_allclose(out["y"].to_numpy(), expected["y"].ravel(), rtol=1e-6)
    np.testing.assert_allclose(np.stack(out["z"].to_numpy()), expected["z"], rtol=1e-6)


def test_exported_keras_savedmodel(tiny: Any, saved: Saved, expected: dict) -> None:
    model = load_model(saved.exported)
    out = model.predict({"a": tiny.A, "b": tiny.B})
    assert list(out) == ["output_0"]
    np.testing.assert_allclose(out["output_0"], expected["multi"], rtol=1e-6)


def test_native_load_model_returns_the_keras_model(tiny: Any, saved: Saved) -> None:
    import keras

    import pyfunc_tensorflow

    native = pyfunc_tensorflow.load_model(saved.single)
    assert isinstance(native, keras.Model)
    np.testing.assert_allclose(native.predict_on_batch(tiny.X), saved.keras_single.predict_on_batch(tiny.X))
    assert load_model(saved.single).get_raw_model().count_params() == 3


# -- errors ---------------------------------------------------------------------------------


def test_missing_input_is_named(tiny: Any, saved: Saved) -> None:
    with pytest.raises(InvalidInputError, match=r"missing inputs \['b'\]"):
        load_model(saved.multi).predict({"a": tiny.A})


def test_wrong_shape_is_named(tiny: Any, saved: Saved) -> None:
    with pytest.raises(
        InvalidInputError, match=r"Shape of input 'a' \(3, 4\) does not match expected shape \(-1, 3\)"
    ):
        load_model(saved.multi).predict({"a": np.ones((3, 4), np.float32), "b": tiny.B})


def test_wrong_dtype_is_named(tiny: Any, saved: Saved) -> None:
    with pytest.raises(InvalidInputError, match="dtype of input 'b' is <U"):
        load_model(saved.multi).predict({"a": tiny.A, "b": tiny.B.astype(str)})


def test_unsigned_model_reports_keras_shape_error_in_one_line(saved: Saved) -> None:
    with pytest.raises(InvalidInputError, match="The Keras model rejected the input") as info:
        load_model(saved.unsigned).predict(np.ones((2, 5), np.float32))
    assert "\n" not in str(info.value)


def test_savedmodel_predictor_checks_shape_and_dtype_itself(tiny: Any, saved: Saved) -> None:
    predictor = load_model(saved.module).model_impl
    with pytest.raises(InvalidInputError, match=r"Shape of input 'x' \(3, 3\)"):
        predictor.predict({"x": np.ones((3, 3), np.float32)})
    with pytest.raises(InvalidInputError, match="dtype of input 'x' is <U"):
        predictor.predict({"x": tiny.X.astype(str)})
    with pytest.raises(InvalidInputError, match=r"missing inputs \['x'\]"):
        predictor.predict({"a": tiny.X, "b": tiny.X})


def test_save_refuses_column_signatures_and_fixed_batch(tiny: Any, tmp_path: Path) -> None:
    import pyfunc_tensorflow

    model = tiny.single_input_keras()
    cols = ModelSignature(Schema([ColSpec("double", "p"), ColSpec("double", "q")]))
    with pytest.raises(InvalidParameterError, match="must be TensorSpecs"):
        pyfunc_tensorflow.save_model(model, tmp_path / "cols", signature=cols)
    fixed = ModelSignature(Schema([TensorSpec("float32", (4, 2))]))
    with pytest.raises(InvalidParameterError, match="variable first"):
        pyfunc_tensorflow.save_model(model, tmp_path / "fixed", signature=fixed)
    assert not (tmp_path / "cols").exists() and not (tmp_path / "fixed").exists()


def test_save_refuses_unknown_objects_and_occupied_paths(tmp_path: Path, saved: Saved) -> None:
    import pyfunc_tensorflow

    with pytest.raises(InvalidParameterError, match=r"keras\.Model, a tf\.Module"):
        pyfunc_tensorflow.save_model(object(), tmp_path / "obj")
    with pytest.raises(FileExistsError):
        pyfunc_tensorflow.save_model(saved.keras_single, saved.single)
    assert list(tmp_path.iterdir()) == []  # no staging directory left behind


def test_input_example_that_does_not_fit_is_refused(tiny: Any, tmp_path: Path) -> None:
    import pyfunc_tensorflow

    frame = pd.DataFrame({"a": list(tiny.A)})
    with pytest.raises(InvalidParameterError, match=r"missing inputs \['b'\]"):
        pyfunc_tensorflow.save_model(tiny.multi_input_keras(), tmp_path / "m", input_example=frame)
    assert list(tmp_path.iterdir()) == []


def test_dataframe_example_infers_named_tensors_for_multi_input(
    tiny: Any, tmp_path: Path, expected: dict
) -> None:
    import pyfunc_tensorflow

    frame = pd.DataFrame({"a": list(tiny.A), "b": list(tiny.B)})
    pyfunc_tensorflow.save_model(tiny.multi_input_keras(), tmp_path / "m", input_example=frame)
    model = load_model(tmp_path / "m")
    assert [s.name for s in model.metadata.signature.inputs.inputs] == ["a", "b"]
    np.testing.assert_allclose(model.predict(frame), expected["multi"], rtol=1e-6)


def test_custom_objects_round_trip(tmp_path: Path) -> None:
    import keras

    import pyfunc_tensorflow

    def doubled_relu(x):  # a custom activation: loading needs custom_objects
        return keras.ops.relu(x) * 2.0

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation=doubled_relu)])
    model.layers[0].set_weights([np.array([[1.0], [1.0]], np.float32), np.zeros(1, np.float32)])
    pyfunc_tensorflow.save_model(model, tmp_path / "c", custom_objects={"doubled_relu": doubled_relu})
    assert (tmp_path / "c" / "data" / "custom_objects.cloudpickle").is_file()
    assert "cloudpickle" in (tmp_path / "c" / "requirements.txt").read_text()
    out = load_model(tmp_path / "c").predict(np.array([[1.0, 2.0], [-3.0, 1.0]], np.float32))
    np.testing.assert_allclose(out, [[6.0], [0.0]])


def test_keras_model_with_dict_inputs(tmp_path: Path) -> None:
    import keras

    import pyfunc_tensorflow

    a, b = keras.Input((1,), name="a"), keras.Input((1,), name="b")
    model = keras.Model({"a": a, "b": b}, keras.layers.Subtract()([a, b]))
    example = {"a": np.array([[5.0]], np.float32), "b": np.array([[2.0]], np.float32)}
    pyfunc_tensorflow.save_model(model, tmp_path / "d", input_example=example)
    loaded = load_model(tmp_path / "d")
    np.testing.assert_allclose(loaded.predict(example), [[3.0]])
    frame = pd.DataFrame({"b": [1.0, 2.0], "a": [10.0, 20.0]})
    np.testing.assert_allclose(loaded.model_impl.predict(frame), [[9.0], [18.0]])


def test_integer_inputs_narrow_to_int32_only_when_they_fit(tmp_path: Path) -> None:
    import tensorflow as tf

    import pyfunc_tensorflow

    class Lookup(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.int32, name="ids")])
        def __call__(self, ids: Any) -> Any:
            return {"next": ids + 1}

    pyfunc_tensorflow.save_model(Lookup(), tmp_path / "ids")  # no signature: the model's own specs
    model = load_model(tmp_path / "ids")
    assert model.metadata.signature is None
    np.testing.assert_array_equal(model.predict({"ids": np.array([1, 2], np.int64)})["next"], [2, 3])
    with pytest.raises(InvalidInputError, match="dtype of input 'ids' is int64"):
        model.predict({"ids": np.array([2**40], np.int64)})
    with pytest.raises(InvalidInputError, match="dtype of input 'ids' is float64"):
        model.predict({"ids": np.array([1.5])})


def test_large_inputs_go_through_batched_predict(saved: Saved) -> None:
    from pyfunc_tensorflow.keras_predictor import ONE_BATCH_ROWS

    rows = np.random.default_rng(0).normal(size=(ONE_BATCH_ROWS + 100, 2)).astype(np.float32)
    out = load_model(saved.single).predict(rows)
    assert out.shape == (len(rows), 1)
    np.testing.assert_allclose(out, rows @ np.array([[1.0], [2.0]], np.float32) + 0.25, rtol=1e-5, atol=1e-5)


def test_cli_info_and_predict_on_a_keras_model(saved: Saved, pyfunc_cli: Any) -> None:
    info = pyfunc_cli("info", "-m", str(saved.multi))
    assert info.exit_code == 0, info.output
    assert "a: float32[-1, 3], b: float32[-1, 2]" in info.output
    assert "mlflow.tensorflow -> tensorflow" in info.output
    from pyfunc_tensorflow.framework import tensorflow_distribution

    tf_dist = tensorflow_distribution()[0]
    assert f"mlflow:       loads with mlflow.tensorflow (needs {tf_dist}, keras)" in info.output
    body = '{"inputs": {"a": [[1, 2, 3]], "b": [[1, -1]]}}'
    result = pyfunc_cli("predict", "-m", str(saved.multi), input=body)
    assert result.exit_code == 0, result.output
    expected = saved.keras_multi.predict_on_batch([saved.A[:1], saved.B[:1]])
    np.testing.assert_allclose(json.loads(result.output)["predictions"], expected, rtol=1e-6)
