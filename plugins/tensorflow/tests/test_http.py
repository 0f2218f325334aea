"""Over HTTP through ``pyfunc-core serve``: every input format, and bad input answered with 400.

One server per model, started once for the whole module.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest


@pytest.fixture(scope="module")
def multi(saved: Any, start_server: Any) -> Any:
    return start_server(saved.multi)


@pytest.fixture(scope="module")
def module(saved: Any, start_server: Any) -> Any:
    return start_server(saved.module)


def predictions(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["predictions"]


def error(response: Any) -> str:
    """The message of a 400 answer: MLflow's ``{error_code, message}`` or V2's ``{error}``."""
    assert response.status_code == 400, response.text
    body = response.json()
    message = body["error"] if "error" in body else body["message"]
    if "error" not in body:
        assert body["error_code"] == "BAD_REQUEST"
    assert "Traceback" not in message and "\n" not in message
    return message


def v2_tensor(name: str, arr: np.ndarray, datatype: str = "FP32") -> dict[str, Any]:
    return {"name": name, "shape": list(arr.shape), "datatype": datatype, "data": arr.ravel().tolist()}


# -- a multi-input Keras model ---------------------------------------------------------------


def test_dataframe_split(multi: Any, saved: Any, expected: dict) -> None:
    rows = [[a, b] for a, b in zip(saved.A.tolist(), saved.B.tolist())]
    body = {"dataframe_split": {"columns": ["a", "b"], "data": rows}}
    np.testing.assert_allclose(predictions(multi.post("/invocations", body)), expected["multi"], rtol=1e-6)


def test_dataframe_records(multi: Any, saved: Any, expected: dict) -> None:
    records = [{"b": b, "a": a} for a, b in zip(saved.A.tolist(), saved.B.tolist())]
    out = predictions(multi.post("/invocations", {"dataframe_records": records}))
    np.testing.assert_allclose(out, expected["multi"], rtol=1e-6)


def test_inputs_dict_of_named_tensors(multi: Any, saved: Any, expected: dict) -> None:
    body = {"inputs": {"a": saved.A.tolist(), "b": saved.B.tolist()}}
    np.testing.assert_allclose(predictions(multi.post("/invocations", body)), expected["multi"], rtol=1e-6)


def test_instances_list_of_named_rows(multi: Any, saved: Any, expected: dict) -> None:
    body = {"instances": [{"a": a, "b": b} for a, b in zip(saved.A.tolist(), saved.B.tolist())]}
    np.testing.assert_allclose(predictions(multi.post("/invocations", body)), expected["multi"], rtol=1e-6)


def test_integer_json_values_are_accepted_for_float_inputs(multi: Any, saved: Any) -> None:
    a, b = np.array([[1, 2, 3]]), np.array([[4, 5]])
    out = predictions(multi.post("/invocations", {"inputs": {"a": a.tolist(), "b": b.tolist()}}))
    ref = saved.keras_multi.predict_on_batch([a.astype(np.float32), b.astype(np.float32)])
    np.testing.assert_allclose(out, ref, rtol=1e-6)


def test_v2_infer_with_two_tensors(multi: Any, saved: Any, expected: dict) -> None:
    body = {"inputs": [v2_tensor("a", saved.A), v2_tensor("b", saved.B)]}
    response = multi.post(f"/v2/models/{saved.multi.name}/infer", body)
    assert response.status_code == 200, response.text
    (output,) = response.json()["outputs"]
    assert output["shape"] == [3, 2]
    assert output["datatype"] == "FP32"
    np.testing.assert_allclose(np.reshape(output["data"], (3, 2)), expected["multi"], rtol=1e-6)


def test_wrong_shape_is_400_naming_the_input(multi: Any, saved: Any) -> None:
    body = {"inputs": {"a": [[1.0, 2.0, 3.0, 4.0]], "b": [[1.0, 2.0]]}}
    message = error(multi.post("/invocations", body))
    assert "input 'a'" in message and "(1, 4)" in message and "(-1, 3)" in message


def test_wrong_dtype_is_400_naming_the_input(multi: Any) -> None:
    body = {"inputs": {"a": [[1.0, 2.0, 3.0]], "b": [["x", "y"]]}}
    message = error(multi.post("/invocations", body))
    assert "input 'b'" in message and "float32" in message


def test_missing_input_is_400_naming_it(multi: Any) -> None:
    message = error(multi.post("/invocations", {"inputs": {"a": [[1.0, 2.0, 3.0]]}}))
    assert "missing inputs ['b']" in message


def test_missing_dataframe_column_is_400_naming_it(multi: Any) -> None:
    body = {"dataframe_split": {"columns": ["a"], "data": [[[1.0, 2.0, 3.0]]]}}
    assert "missing inputs ['b']" in error(multi.post("/invocations", body))


def test_ragged_tensor_is_400(multi: Any) -> None:
    body = {"inputs": {"a": [[1.0, 2.0, 3.0], [1.0]], "b": [[1.0, 2.0], [3.0, 4.0]]}}
    assert "'a'" in error(multi.post("/invocations", body))


def test_v2_wrong_shape_is_400_naming_the_input(multi: Any, saved: Any) -> None:
    body = {"inputs": [v2_tensor("a", np.ones((2, 2), np.float32)), v2_tensor("b", saved.B[:2])]}
    message = error(multi.post(f"/v2/models/{saved.multi.name}/infer", body))
    assert "input 'a'" in message


# -- a SavedModel with a serving signature ------------------------------------------------------


def test_savedmodel_inputs_answers_a_dict_of_outputs(module: Any, saved: Any, expected: dict) -> None:
    out = predictions(module.post("/invocations", {"inputs": {"x": saved.X.tolist()}}))
    np.testing.assert_allclose(out["y"], expected["y"].ravel(), rtol=1e-6)
    np.testing.assert_allclose(out["z"], expected["z"], rtol=1e-6)


def test_savedmodel_instances_of_a_single_input(module: Any, saved: Any, expected: dict) -> None:
    out = predictions(module.post("/invocations", {"instances": saved.X.tolist()}))
    np.testing.assert_allclose(out["z"], expected["z"], rtol=1e-6)


def test_savedmodel_dataframe_split_of_tensor_cells(module: Any, saved: Any, expected: dict) -> None:
    body = {"dataframe_split": {"columns": ["x"], "data": [[row] for row in saved.X.tolist()]}}
    out = predictions(module.post("/invocations", body))
    np.testing.assert_allclose(out["y"], expected["y"].ravel(), rtol=1e-6)


def test_savedmodel_v2_infer(module: Any, saved: Any, expected: dict) -> None:
    response = module.post(f"/v2/models/{saved.module.name}/infer", {"inputs": [v2_tensor("x", saved.X)]})
    assert response.status_code == 200, response.text
    outputs = {o["name"]: o for o in response.json()["outputs"]}
    assert outputs["z"]["shape"] == [3, 2]
    np.testing.assert_allclose(outputs["y"]["data"], expected["y"].ravel(), rtol=1e-6)
    np.testing.assert_allclose(np.reshape(outputs["z"]["data"], (3, 2)), expected["z"], rtol=1e-6)


def test_savedmodel_wrong_shape_is_400(module: Any) -> None:
    message = error(module.post("/invocations", {"inputs": {"x": [[1.0, 2.0, 3.0]]}}))
    assert "input 'x'" in message and "(1, 3)" in message


def test_server_still_answers_after_errors(module: Any, saved: Any, expected: dict) -> None:
    error(module.post("/invocations", {"inputs": {"x": [["a", "b"]]}}))
    out = predictions(module.post("/invocations", {"inputs": {"x": saved.X.tolist()}}))
    np.testing.assert_allclose(out["z"], expected["z"], rtol=1e-6)
