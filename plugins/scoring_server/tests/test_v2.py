"""The Open Inference Protocol (V2) routes against real servers."""

from __future__ import annotations

from typing import Any

import pytest
import requests


@pytest.fixture(scope="module")
def score(start_server: Any, models: dict) -> Any:
    return start_server(models["score"], "--name", "scorer", "--timeout", "1.5")


@pytest.fixture(scope="module")
def tensor(start_server: Any, models: dict) -> Any:
    return start_server(models["tensor"], "--debug")


@pytest.fixture(scope="module")
def text(start_server: Any, models: dict) -> Any:
    return start_server(models["text"])


def fp64(name: str, values: list[Any], shape: list[int] | None = None) -> dict[str, Any]:
    return {"name": name, "datatype": "FP64", "shape": shape or [len(values)], "data": values}


def assert_v2_error(resp: Any, status: int, *needles: str) -> None:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert list(body) == ["error"], body
    for needle in needles:
        assert needle in body["error"], body["error"]
    assert "Traceback" not in resp.text


def test_health_and_server_metadata(score: Any) -> None:
    assert score.get("/v2/health/live").json() == {"live": True}
    assert score.get("/v2/health/ready").json() == {"ready": True}
    assert score.get("/v2").json()["name"] == "pyfunc-scoring-server"
    for path in ("/v2/models/scorer/ready", "/v2/models/scorer/versions/3/ready"):
        assert score.get(path).json() == {"ready": True}


def test_model_metadata_comes_from_the_signature(score: Any) -> None:
    meta = score.get("/v2/models/scorer").json()
    assert meta["name"] == "scorer"
    assert meta["platform"] == "pyfunc-python_model"
    assert meta["inputs"] == [
        {"name": "a", "datatype": "FP64", "shape": [-1]},
        {"name": "b", "datatype": "FP64", "shape": [-1]},
    ]
    assert meta["outputs"] == [{"name": "predict", "datatype": "FP64", "shape": [-1]}]
    assert [p["name"] for p in meta["parameters"]["inference_params"]] == ["multiplier", "sleep"]
    assert score.get("/v2/models/scorer/versions/7").json()["versions"] == ["7"]


def test_unknown_model_and_routes(score: Any) -> None:
    assert_v2_error(score.get("/v2/models/other"), 404, "other")
    assert_v2_error(score.post("/v2/models/other/infer", {"inputs": []}), 404, "other")
    assert_v2_error(score.get("/v2/nothing/here"), 404)
    assert_v2_error(score.get("/v2/models/scorer/infer"), 405, "POST")


@pytest.mark.parametrize(
    "request_body",
    [
        {"inputs": [fp64("a", [1.0, 3.0]), fp64("b", [2.0, 4.0])]},
        {"inputs": [fp64("a", [1.0, 3.0]), fp64("b", [2.0, 4.0])], "parameters": {"content_type": "pd"}},
        {"inputs": [fp64("x", [[1.0, 2.0], [3.0, 4.0]], [2, 2])]},
        {"inputs": [fp64("x", [1.0, 2.0, 3.0, 4.0], [2, 2])], "parameters": {"content_type": "np"}},
        {
            "inputs": [
                {"name": "a", "datatype": "INT64", "shape": [2, 1], "data": [1, 3]},
                fp64("b", [2.0, 4.0]),
            ]
        },
    ],
    ids=["columns", "pd", "one-tensor-nested", "one-tensor-flat", "int-column-2d"],
)
def test_infer(score: Any, request_body: dict[str, Any]) -> None:
    for path in ("/v2/models/scorer/infer", "/v2/models/scorer/versions/1/infer"):
        resp = score.post(path, request_body)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["model_name"] == "scorer"
        assert body["outputs"] == [{"name": "predict", "shape": [2], "datatype": "FP64", "data": [3.0, 7.0]}]
        assert body["parameters"] == {"content_type": "np"}
        assert body["id"] == resp.headers["X-Request-ID"]
    assert score.post("/v2/models/scorer/versions/1/infer", request_body).json()["model_version"] == "1"


def test_infer_params_and_id(score: Any) -> None:
    body = {
        "id": "req-42",
        "inputs": [fp64("a", [1.0]), fp64("b", [1.0])],
        "parameters": {"multiplier": 10, "content_type": "pd"},
    }
    got = score.post("/v2/models/scorer/infer", body).json()
    assert got["id"] == "req-42"
    assert got["outputs"][0]["data"] == [11.0]


@pytest.mark.parametrize(
    "request_body, needle",
    [
        ({"inputs": [{"name": "a", "datatype": "FP99", "shape": [1], "data": [1]}]}, "datatype"),
        ({"inputs": [fp64("a", [1.0, 2.0], [3]), fp64("b", [1.0, 2.0])]}, "shape"),
        ({"inputs": [{"name": "a", "datatype": "FP64", "shape": [1], "data": ["x"]}]}, "FP64"),
        ({"inputs": [{"name": "a", "datatype": "FP64", "shape": [1]}]}, "data"),
        ({"inputs": []}, "inputs"),
        ({"instances": [[1, 2]]}, "inputs"),
        ({"inputs": [fp64("a", [1.0]), fp64("c", [1.0])], "parameters": {"content_type": "pd"}}, "['b']"),
    ],
    ids=["datatype", "shape", "value-type", "no-data", "empty", "no-inputs", "missing-column"],
)
def test_bad_infer_requests_are_400(score: Any, request_body: dict[str, Any], needle: str) -> None:
    assert_v2_error(score.post("/v2/models/scorer/infer", request_body), 400, needle)


def test_malformed_json_model_error_timeout_and_content_type(score: Any) -> None:
    url = "/v2/models/scorer/infer"
    assert_v2_error(score.post(url, data=b"{nope", headers={"Content-Type": "application/json"}), 400, "JSON")
    failing = {"inputs": [fp64("a", [-1.0]), fp64("b", [1.0])]}
    assert_v2_error(score.post(url, failing), 400, "negative a")
    slow = {"inputs": [fp64("a", [1.0]), fp64("b", [1.0])], "parameters": {"sleep": 4.0}}
    assert_v2_error(score.post(url, slow), 504, "timeout")
    csv = score.post(url, data=b"a,b\n1,2\n", headers={"Content-Type": "text/csv"})
    assert_v2_error(csv, 415, "application/json")
    assert score.get("/v2/health/ready").status_code == 200


def test_tensor_model(tensor: Any) -> None:
    name = tensor.get("/v2/models/tensor").json()
    assert name["inputs"] == [{"name": "input-0", "datatype": "FP32", "shape": [-1, 3]}]
    body = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]}]}
    out = tensor.post("/v2/models/tensor/infer", body).json()["outputs"]
    assert out == [{"name": "predict", "shape": [2], "datatype": "FP32", "data": [6.0, 15.0]}]
    bad = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 2], "data": [1, 2]}]}
    resp = tensor.post("/v2/models/tensor/infer", bad)
    assert resp.status_code == 400 and "shape" in resp.json()["error"]
    assert "stack_trace" in resp.json()  # the server runs with --debug
    # the same model through MLflow's tensor formats
    for key in ("inputs", "instances"):
        got = tensor.post("/invocations", {key: [[1, 2, 3], [1, 1, 1]]}).json()
        assert got == {"predictions": [6.0, 3.0]}
    wrong = tensor.post("/invocations", {"inputs": [[1, 2]]})
    assert wrong.status_code == 400 and "shape" in wrong.json()["message"]
    assert "stack_trace" in wrong.json()


def test_text_model_bytes_and_dataframe_outputs(text: Any) -> None:
    meta = text.get("/v2/models/text").json()
    assert meta["inputs"][0] == {
        "name": "text",
        "datatype": "BYTES",
        "shape": [-1],
        "parameters": {"content_type": "str"},
    }
    body = {
        "inputs": [
            {
                "name": "text",
                "datatype": "BYTES",
                "shape": [2],
                "data": ["ab", "cde"],
                "parameters": {"content_type": "str"},
            },
            {"name": "n", "datatype": "INT64", "shape": [2], "data": [0, 10]},
        ],
        "parameters": {"content_type": "pd"},
    }
    got = text.post("/v2/models/text/infer", body).json()
    assert got["parameters"] == {"content_type": "pd"}
    assert got["outputs"] == [
        {
            "name": "upper",
            "shape": [2],
            "datatype": "BYTES",
            "data": ["AB", "CDE"],
            "parameters": {"content_type": "str"},
        },
        {"name": "length", "shape": [2], "datatype": "INT64", "data": [2, 13]},
    ]
    only = dict(body, outputs=[{"name": "length"}])
    assert [o["name"] for o in text.post("/v2/models/text/infer", only).json()["outputs"]] == ["length"]
    csv = text.post("/invocations", data="text,n\nhello,1\n", headers={"Content-Type": "text/csv"})
    assert csv.json() == {"predictions": [{"upper": "HELLO", "length": 6}]}
    wrong = {"dataframe_records": [{"text": 5, "n": 1}]}
    resp = text.post("/invocations", wrong)
    assert resp.status_code == 400 and "text" in resp.json()["message"]
    opaque = text.post("/invocations", {"dataframe_records": [{"text": "opaque", "n": 1}]})
    assert opaque.status_code == 500
    assert opaque.json() == {"error_code": "INTERNAL_ERROR", "message": "Internal server error: TypeError"}
    assert "opaque" not in opaque.text
    assert text.get("/ping").status_code == 200
    bad_bytes = {"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1], "data": [1]}]}
    assert_v2_error(text.post("/v2/models/text/infer", bad_bytes), 400, "strings")
    assert requests.get(text.url + "/v2/health/live", timeout=30).status_code == 200


def test_options_from_environment_variables(start_server: Any, models: dict) -> None:
    env = {"PYFUNC_CORE_SERVE_NAME": "from-env", "PYFUNC_CORE_SERVE_DEBUG": "1"}
    server = start_server(models["score"], env=env)
    assert server.get("/v2/models/from-env/ready").json() == {"ready": True}
    failing = server.post("/v2/models/from-env/infer", {"inputs": [fp64("a", [-1.0]), fp64("b", [1.0])]})
    assert failing.status_code == 400 and "stack_trace" in failing.json()
