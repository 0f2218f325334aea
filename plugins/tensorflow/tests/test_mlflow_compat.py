"""Model directories written by MLflow itself (``mlflow.tensorflow`` and ``mlflow.keras``)
load here and predict what ``mlflow.pyfunc`` predicts for them, in-process and over HTTP."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from pyfunc_core import load_model

CASES = ["tf_keras_multi", "tf_keras_single", "tf_module", "keras3_single", "keras3_exported"]


def decode(kind: str, data: Any) -> Any:
    if kind == "dataframe":
        return pd.DataFrame(data["data"], columns=data["columns"], index=data["index"])
    if kind == "dict":
        return {k: np.asarray(v, dtype=np.float32) for k, v in data.items()}
    return np.asarray(data, dtype=np.float32)


def assert_same(ours: Any, kind: str, theirs: Any) -> None:
    if kind == "dataframe":
        assert isinstance(ours, pd.DataFrame)
        assert [str(c) for c in ours.columns] == theirs["columns"]
        assert ours.index.tolist() == theirs["index"]
        np.testing.assert_allclose(ours.to_numpy(), theirs["data"], rtol=1e-6)
    elif kind == "dict":
        assert isinstance(ours, dict) and set(ours) == set(theirs)
        for key, value in theirs.items():
            np.testing.assert_allclose(ours[key], value, rtol=1e-6)
    else:
        assert isinstance(ours, np.ndarray)
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_mlflow_writes_what_we_read(mlflow_models: dict) -> None:
    root = mlflow_models["root"]
    multi = yaml.safe_load((root / "tf_keras_multi" / "MLmodel").read_text())
    assert multi["mlflow_version"] == mlflow_models["mlflow_version"]
    assert multi["flavors"]["python_function"]["loader_module"] == "mlflow.tensorflow"
    assert multi["flavors"]["tensorflow"]["model_type"] == "keras"
    assert (root / "tf_keras_multi" / multi["flavors"]["tensorflow"]["data"] / "model.keras").is_file()
    keras3 = yaml.safe_load((root / "keras3_exported" / "MLmodel").read_text())
    assert keras3["flavors"]["python_function"]["loader_module"] == "mlflow.keras"
    assert keras3["flavors"]["keras"]["save_exported_model"] is True


@pytest.mark.parametrize("case", CASES)
def test_mlflow_directory_predicts_as_mlflow_does(mlflow_models: dict, case: str) -> None:
    spec = mlflow_models["cases"][case]
    model = load_model(mlflow_models["root"] / case)
    assert model.flavor.name == "tensorflow"
    ours = model.predict(decode(spec["input_kind"], spec["input"]))
    assert_same(ours, spec["output_kind"], spec["output"])


def test_mlflow_signature_is_read_and_enforced(mlflow_models: dict) -> None:
    from pyfunc_core.errors import InvalidInputError

    model = load_model(mlflow_models["root"] / "tf_keras_multi")
    assert [s.name for s in model.metadata.signature.inputs.inputs] == ["a", "b"]
    with pytest.raises(InvalidInputError, match=r"missing inputs \['b'\]"):
        model.predict({"a": np.ones((1, 3), np.float32)})


def test_mlflow_directory_served_over_http(mlflow_models: dict, start_server: Any) -> None:
    spec = mlflow_models["cases"]["tf_keras_multi"]
    server = start_server(mlflow_models["root"] / "tf_keras_multi")
    response = server.post("/invocations", {"inputs": spec["input"]})
    assert response.status_code == 200, response.text
    np.testing.assert_allclose(response.json()["predictions"], spec["output"], rtol=1e-6)
    rows = [{"a": a, "b": b} for a, b in zip(spec["input"]["a"], spec["input"]["b"])]
    response = server.post("/invocations", {"instances": rows})
    np.testing.assert_allclose(response.json()["predictions"], spec["output"], rtol=1e-6)
    bad = server.post("/invocations", {"inputs": {"a": spec["input"]["a"]}})
    assert bad.status_code == 400 and "missing inputs ['b']" in bad.json()["message"]
