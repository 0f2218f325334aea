"""The door the other way: directories written by ``pyfunc_tensorflow.save_model`` (Keras models,
``tf.Module`` SavedModels, exported Keras SavedModels, custom objects shipped with code_paths)
load in MLflow 3.x, in a virtualenv without any pyfunc distribution, with
``mlflow.pyfunc.load_model``, ``mlflow.tensorflow.load_model``, ``mlflow.keras.load_model`` and
``mlflow.models.validate_serving_input``, and predict what we predict."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from loads_ours import load_ours_with_mlflow, shipped_module
from pyfunc_core import load_model
from pyfunc_core.codecs.json_codec import decode_json_payload

LOAD_OURS = Path(__file__).parent / "mlflow_side" / "load_ours.py"
SCRIPT_TIMEOUT = 600
SHIPPED = textwrap.dedent(
    """
    import keras


    class Scale(keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}
    """
)


def encode(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return {"kind": "dict", "data": {k: np.asarray(v).tolist() for k, v in value.items()}}
    if isinstance(value, pd.DataFrame):
        return {"kind": "dataframe", "columns": list(value.columns), "data": value.to_numpy().tolist()}
    return {"kind": "ndarray", "data": np.asarray(value).tolist()}


def assert_same(ours: Any, theirs: dict[str, Any]) -> None:
    """``ours`` (a prediction here) equals ``theirs`` (as load_ours.py recorded it), in kind and value."""
    if "dict" in theirs:
        assert isinstance(ours, dict) and set(ours) == set(theirs["dict"])
        for key, value in theirs["dict"].items():
            assert_same(ours[key], value)
    elif "dataframe" in theirs:
        assert isinstance(ours, pd.DataFrame)
        assert ours.index.tolist() == theirs["index"]
        np.testing.assert_allclose(ours.to_numpy(), theirs["dataframe"], rtol=1e-6)
    else:
        expected = np.asarray(theirs["array"])
        assert np.asarray(ours).shape == expected.shape
        np.testing.assert_allclose(np.asarray(ours), expected, rtol=1e-6)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Any:
    yield from shipped_module(tmp_path_factory.mktemp("shipped-code"), "shipped_keras_code", SHIPPED)


@pytest.fixture(scope="module")
def loaded_by_mlflow(
    tmp_path_factory: pytest.TempPathFactory, mlflow_python: Path, saved: Any, tiny: Any, shipped: Any
) -> dict[str, Any]:
    import keras

    import pyfunc_tensorflow

    root = tmp_path_factory.mktemp("ours-for-mlflow")
    A, B, X = tiny.A, tiny.B, tiny.X
    # name -> (saved directory, test input)
    cases: dict[str, tuple[Path, Any]] = {
        "keras_multi": (saved.multi, {"a": A, "b": B}),
        "keras_single": (saved.single, X),
        "keras_unsigned_dataframe": (saved.unsigned, pd.DataFrame(X, columns=["p", "q"])),
        "savedmodel_module": (saved.module, {"x": X}),
        "savedmodel_exported_keras": (saved.exported, {"a": A, "b": B}),
    }
    custom = keras.Sequential(
        [keras.Input((2,), name="x"), shipped.Scale(3.0), keras.layers.Dense(1, name="out")]
    )
    custom.get_layer("out").set_weights([np.array([[1.0], [-1.0]], np.float32), np.array([0.5], np.float32)])
    pyfunc_tensorflow.save_model(
        custom,
        root / "keras_custom_objects_code_paths",
        custom_objects={"Scale": shipped.Scale},
        code_paths=[shipped.__file__],
        input_example=X[:2],
    )
    cases["keras_custom_objects_code_paths"] = (root / "keras_custom_objects_code_paths", X)
    spec = {}
    for name, (path, model_input) in cases.items():
        if path.parent != root:
            shutil.copytree(path, root / name)
        native = [loader for case, loader in NATIVE if case == name]
        spec[name] = {"input": encode(model_input), "native": native}
    results = load_ours_with_mlflow(mlflow_python, LOAD_OURS, root, spec, SCRIPT_TIMEOUT)
    inputs = {name: model_input for name, (_, model_input) in cases.items()}
    return {"root": root, "inputs": inputs, **results}


CASES = [
    "keras_multi",
    "keras_single",
    "keras_unsigned_dataframe",
    "savedmodel_module",
    "savedmodel_exported_keras",
    "keras_custom_objects_code_paths",
]


#: MLflow's native loaders per case: mlflow.keras for Keras files without custom objects (it reads
#: neither custom_objects.cloudpickle nor code/: its caller passes custom_objects), none for the
#: DataFrame-only case.
NATIVE = [(c, "mlflow.tensorflow") for c in CASES if c != "keras_unsigned_dataframe"] + [
    ("keras_multi", "mlflow.keras"),
    ("keras_single", "mlflow.keras"),
]


def test_mlflow_venv_has_no_pyfunc_distribution(loaded_by_mlflow: dict[str, Any]) -> None:
    assert loaded_by_mlflow["ours_importable"] == []
    assert loaded_by_mlflow["mlflow_version"].startswith("3.")


@pytest.mark.parametrize("case", CASES)
def test_mlflow_pyfunc_predicts_what_we_predict(loaded_by_mlflow: dict[str, Any], case: str) -> None:
    theirs = loaded_by_mlflow["cases"][case]["pyfunc"]
    model = load_model(loaded_by_mlflow["root"] / case)  # our own loading keeps working
    assert model.flavor.name == "tensorflow"
    assert "ok" in theirs, theirs
    assert_same(model.predict(loaded_by_mlflow["inputs"][case]), theirs["ok"])


@pytest.mark.parametrize(("case", "loader"), NATIVE)
def test_mlflow_native_loaders_predict_what_we_predict(
    loaded_by_mlflow: dict[str, Any], case: str, loader: str
) -> None:
    result = loaded_by_mlflow["cases"][case][loader]
    assert "ok" in result, result
    native = load_model(loaded_by_mlflow["root"] / case).get_raw_model()
    model_input = loaded_by_mlflow["inputs"][case]
    if hasattr(native, "predict_on_batch"):
        ours = native.predict_on_batch(model_input)
    else:  # a SavedModel: MLflow hands back its serving signature; call ours the same way
        import tensorflow as tf

        signature = native.signatures["serving_default"]
        ours = {
            k: v.numpy() for k, v in signature(**{k: tf.constant(v) for k, v in model_input.items()}).items()
        }
    assert_same(ours, result["ok"])


@pytest.mark.parametrize("case", [c for c in CASES if c != "keras_unsigned_dataframe"])
def test_validate_serving_input_passes_on_our_serving_example(
    loaded_by_mlflow: dict[str, Any], case: str
) -> None:
    path = loaded_by_mlflow["root"] / case
    example = (path / "serving_input_example.json").read_text(encoding="utf-8")
    result = loaded_by_mlflow["cases"][case]["validate_serving_input"]
    assert "ok" in result, result
    model = load_model(path)  # the same JSON body, decoded as our server decodes it
    request = decode_json_payload(json.loads(example), model.metadata.get_input_schema())
    assert_same(model.predict(request.data, request.params), result["ok"])


def test_mlmodel_carries_what_mlflows_loaders_read(loaded_by_mlflow: dict[str, Any]) -> None:
    import yaml

    root = loaded_by_mlflow["root"]
    keras_meta = yaml.safe_load((root / "keras_custom_objects_code_paths" / "MLmodel").read_text())["flavors"]
    assert keras_meta["python_function"]["loader_module"] == "mlflow.tensorflow"
    assert keras_meta["python_function"]["code"] == "code"
    assert keras_meta["keras"]["data"] == keras_meta["tensorflow"]["data"] == "data"
    assert keras_meta["keras"]["save_exported_model"] is False
    assert keras_meta["keras"]["code"] == keras_meta["tensorflow"]["code"] == "code"
    assert "cloudpickle" in (root / "keras_custom_objects_code_paths" / "requirements.txt").read_text()
    module_meta = yaml.safe_load((root / "savedmodel_exported_keras" / "MLmodel").read_text())["flavors"]
    assert "keras" not in module_meta
    assert module_meta["tensorflow"]["model_type"] == "tf1-estimator"
    assert module_meta["tensorflow"]["meta_graph_tags"] == ["serve"]
