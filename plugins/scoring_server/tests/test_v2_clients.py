"""V2 over HTTP as clients nobody here wrote use it: tritonclient (JSON and binary tensors) and
KServe's InferenceRESTClient, each in its own venv, against a real server with a scikit-learn
model; plus the named outputs, the binary extension and gzip bodies seen from plain HTTP."""

from __future__ import annotations

import gzip
import importlib.util
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("v2_client_venvs", HERE / "v2_clients" / "venvs.py")
clients = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(clients)  # type: ignore[union-attr]

X = np.random.default_rng(3).normal(size=(40, 4))
ROWS = X[:5]


@pytest.fixture(scope="module")
def estimator() -> Any:
    from sklearn.linear_model import LogisticRegression

    y = np.digitize(X[:, 0] + X[:, 1], [-0.5, 0.5])  # three classes
    return LogisticRegression().fit(X, y)


@pytest.fixture(scope="module")
def server(start_server: Any, estimator: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from pyfunc_sklearn import save_model

    path = tmp_path_factory.mktemp("sk") / "iris"
    save_model(estimator, path, input_example=ROWS[:2])
    return start_server(path, "--name", "iris")


def plan(server: Any, **kw: Any) -> dict[str, Any]:
    inputs = [{"name": "x", "datatype": "FP64", "data": ROWS.tolist()}]
    return {"url": f"127.0.0.1:{server.port}", "model": "iris", "inputs": inputs, "outputs": None, **kw}


def test_metadata_names_the_outputs_infer_answers_with(server: Any) -> None:
    meta = server.get("/v2/models/iris").json()
    assert [o["name"] for o in meta["outputs"]] == ["predict", "predict_proba", "decision_function"]
    assert meta["outputs"][1] == {"name": "predict_proba", "datatype": "FP64", "shape": [-1, 3]}
    body = {"inputs": [{"name": "x", "datatype": "FP64", "shape": [5, 4], "data": ROWS.ravel().tolist()}]}
    got = server.post("/v2/models/iris/infer", body).json()
    assert [o["name"] for o in got["outputs"]] == ["predict"]


def test_requested_outputs_choose_and_unknown_is_400(server: Any, estimator: Any) -> None:
    body = {
        "inputs": [{"name": "x", "datatype": "FP64", "shape": [5, 4], "data": ROWS.ravel().tolist()}],
        "outputs": [{"name": "predict_proba"}, {"name": "predict"}],
    }
    got = server.post("/v2/models/iris/infer", body).json()
    assert [o["name"] for o in got["outputs"]] == ["predict_proba", "predict"]
    proba = np.asarray(got["outputs"][0]["data"]).reshape(got["outputs"][0]["shape"])
    np.testing.assert_allclose(proba, estimator.predict_proba(ROWS))
    assert got["outputs"][1]["data"] == estimator.predict(ROWS).tolist()
    resp = server.post("/v2/models/iris/infer", {**body, "outputs": [{"name": "nope"}]})
    assert resp.status_code == 400
    assert "nope" in resp.json()["error"] and "predict_proba" in resp.json()["error"]


def test_tritonclient_http_json(server: Any, estimator: Any) -> None:
    got = clients.run_client("triton", "triton_client.py", plan(server, protocol="http", binary=False,
                                                                 metadata_outputs=True))  # fmt: skip
    assert got["live"] and got["ready"] and got["model_ready"]
    assert "binary_tensor_data" in got["extensions"]
    assert got["metadata_outputs"][0] == "predict"
    assert got["outputs"] == {"predict": estimator.predict(ROWS).tolist()}


def test_tritonclient_http_binary(server: Any, estimator: Any) -> None:
    got = clients.run_client("triton", "triton_client.py",
                             plan(server, protocol="http", binary=True, outputs=["predict_proba", "predict"]))  # fmt: skip
    np.testing.assert_allclose(got["outputs"]["predict_proba"], estimator.predict_proba(ROWS))
    assert got["outputs"]["predict"] == estimator.predict(ROWS).tolist()
    got = clients.run_client("triton", "triton_client.py", plan(server, protocol="http", binary=True))
    assert got["outputs"] == {"predict": estimator.predict(ROWS).tolist()}


def test_tritonclient_unknown_output_names_the_real_ones(server: Any) -> None:
    got = clients.run_client("triton", "triton_client.py",
                             plan(server, protocol="http", binary=True, outputs=["nope"]))  # fmt: skip
    assert "nope" in got["error"] and "decision_function" in got["error"]


def test_kserve_rest_client_sends_binary_tensors(server: Any, estimator: Any) -> None:
    url = f"http://127.0.0.1:{server.port}"
    got = clients.run_client("kserve", "kserve_client.py",
                             {**plan(server, protocol="rest", outputs=["predict_proba"]), "url": url})  # fmt: skip
    assert got["live"] and got["ready"] and got["model_ready"]
    np.testing.assert_allclose(got["outputs"]["predict_proba"], estimator.predict_proba(ROWS))
    got = clients.run_client("kserve", "kserve_client.py", {**plan(server, protocol="rest"), "url": url})
    assert got["outputs"] == {"predict": estimator.predict(ROWS).tolist()}


def binary_body(header: dict[str, Any], *chunks: bytes) -> tuple[bytes, dict[str, str]]:
    head = json.dumps(header).encode()
    return head + b"".join(chunks), {
        "Inference-Header-Content-Length": str(len(head)),
        "Content-Type": "application/octet-stream",
    }


def test_binary_request_and_response_by_hand(server: Any, estimator: Any) -> None:
    raw = ROWS.astype("<f8").tobytes()
    header = {
        "inputs": [{"name": "x", "datatype": "FP64", "shape": [5, 4], "parameters": {"binary_data_size": len(raw)}}],
        "outputs": [{"name": "predict_proba", "parameters": {"binary_data": True}}, {"name": "predict"}],
    }  # fmt: skip
    body, headers = binary_body(header, raw)
    resp = server.post("/v2/models/iris/infer", data=body, headers=headers)
    assert resp.status_code == 200, resp.text
    size = int(resp.headers["Inference-Header-Content-Length"])
    head = json.loads(resp.content[:size])
    proba, label = head["outputs"]
    assert "data" not in proba and label["data"] == estimator.predict(ROWS).tolist()
    assert proba["parameters"]["binary_data_size"] == len(resp.content) - size
    got = np.frombuffer(resp.content[size:], "<f8").reshape(proba["shape"])
    np.testing.assert_allclose(got, estimator.predict_proba(ROWS))


def test_binary_bytes_tensor_round_trip(start_server: Any, models: dict) -> None:
    text = start_server(models["text"])
    words = ["ab", "héllo"]
    raw = b"".join(struct.pack("<I", len(w.encode())) + w.encode() for w in words)
    header = {
        "inputs": [
            {"name": "text", "datatype": "BYTES", "shape": [2], "parameters": {"binary_data_size": len(raw)}},
            {"name": "n", "datatype": "INT64", "shape": [2], "data": [0, 1]},
        ],
        "parameters": {"binary_data_output": True},
    }
    body, headers = binary_body(header, raw)
    resp = text.post("/v2/models/text/infer", data=body, headers=headers)
    assert resp.status_code == 200, resp.text
    size = int(resp.headers["Inference-Header-Content-Length"])
    head = json.loads(resp.content[:size])
    upper = head["outputs"][0]
    assert upper["name"] == "upper" and upper["datatype"] == "BYTES"
    chunk = resp.content[size : size + upper["parameters"]["binary_data_size"]]
    values, offset = [], 0
    while offset < len(chunk):
        (n,) = struct.unpack_from("<I", chunk, offset)
        values.append(chunk[offset + 4 : offset + 4 + n].decode())
        offset += 4 + n
    assert values == ["AB", "HÉLLO"]


def test_gzip_request_and_response(server: Any, estimator: Any) -> None:
    many = np.tile(ROWS, (60, 1))
    body = {
        "inputs": [
            {"name": "x", "datatype": "FP64", "shape": list(many.shape), "data": many.ravel().tolist()}
        ],
        "outputs": [{"name": "predict_proba"}],
    }
    data = gzip.compress(json.dumps(body).encode())
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json", "Accept-Encoding": "gzip"}
    resp = server.post("/v2/models/iris/infer", data=data, headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in resp.headers["Vary"]
    got = resp.json()["outputs"][0]  # requests un-gzips
    np.testing.assert_allclose(np.reshape(got["data"], got["shape"]), estimator.predict_proba(many))
    plain = server.post("/v2/models/iris/infer", body, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    small = server.get("/v2/health/live", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers  # under 1 KiB: not worth it
    bad = server.post("/v2/models/iris/infer", data=b"not gzip", headers=headers)
    assert bad.status_code == 400 and "gzip" in bad.json()["error"]
    frames = server.post("/invocations", data=gzip.compress(b'{"inputs": [[1, 2, 3, 4]]}'),
                         headers={**headers, "Accept-Encoding": ""})  # fmt: skip
    assert frames.status_code == 200, frames.text


def test_gzip_bomb_is_413(start_server: Any, models: dict) -> None:
    small = start_server(models["score"], "--max-body-size", "100000")
    bomb = gzip.compress(b"0" * 5_000_000)
    assert len(bomb) < 100000
    for path in ("/v2/models/score/infer", "/invocations"):
        resp = small.post(
            path, data=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
        )
        assert resp.status_code == 413, resp.text
    odd = small.post(
        "/invocations", data=b"{}", headers={"Content-Encoding": "br", "Content-Type": "application/json"}
    )
    assert odd.status_code == 415


@pytest.mark.parametrize(
    "size, length, tail",
    [
        (32, None, b"\0" * 31),  # binary_data_size past the data
        (32, "99999", b"\0" * 32),  # header length past the body
        (32, "9" * 30, b"\0" * 32),  # a huge header length
        (32, "-1", b"\0" * 32),
        (31, None, b"\0" * 31),  # not a whole number of FP64 values
        (32, None, b"\0" * 40),  # bytes left over
    ],
    ids=["size-past-data", "header-past-body", "huge-header", "negative-header", "ragged", "leftover"],
)
def test_hostile_binary_bodies_are_400(server: Any, size: int, length: str | None, tail: bytes) -> None:
    header = {
        "inputs": [
            {"name": "x", "datatype": "FP64", "shape": [1, 4], "parameters": {"binary_data_size": size}}
        ]
    }
    body, headers = binary_body(header, tail)
    if length is not None:
        headers["Inference-Header-Content-Length"] = length
    resp = server.post("/v2/models/iris/infer", data=body, headers=headers)
    assert resp.status_code == 400, resp.text
    assert list(resp.json()) == ["error"]


def test_batched_requests_for_different_outputs_each_get_theirs(
    start_server: Any, estimator: Any, tmp_path: Path
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from pyfunc_sklearn import save_model

    save_model(estimator, tmp_path / "m", input_example=ROWS[:2])
    batched = start_server(
        tmp_path / "m", "--name", "iris", "--batch-max-size", "64", "--batch-max-wait-ms", "20"
    )

    def ask(i: int) -> tuple[int, Any]:
        rows = X[i : i + 3]
        body = {
            "inputs": [{"name": "x", "datatype": "FP64", "shape": [3, 4], "data": rows.ravel().tolist()}],
            "outputs": [{"name": ("predict", "predict_proba", "decision_function")[i % 3]}],
        }
        return i, batched.post("/v2/models/iris/infer", body).json()["outputs"][0]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(36)))
    for i, out in answers:
        rows = X[i : i + 3]
        expected = getattr(estimator, out["name"])(rows)
        assert out["name"] == ("predict", "predict_proba", "decision_function")[i % 3]
        np.testing.assert_allclose(np.reshape(out["data"], out["shape"]), expected)
