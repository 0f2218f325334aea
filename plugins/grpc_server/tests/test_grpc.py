"""The V2 gRPC service beside HTTP, against real servers: tritonclient's and KServe's gRPC
clients (in their own venvs, see the scoring server's tests/v2_clients), and grpcio directly
for errors, limits, metrics and several workers."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import cloudpickle
import grpc
import numpy as np
import pytest

from pyfunc_core.testing import ServerProcess, free_port
from pyfunc_grpc.proto import grpc_predict_v2_pb2 as pb
from pyfunc_grpc.proto import grpc_predict_v2_pb2_grpc as pb_grpc

CLIENTS = Path(__file__).parents[2] / "scoring_server" / "tests" / "v2_clients"
_spec = importlib.util.spec_from_file_location("v2_client_venvs", CLIENTS / "venvs.py")
clients = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(clients)  # type: ignore[union-attr]

# The server process cannot import this test module: pickle its classes by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

X = np.random.default_rng(3).normal(size=(40, 4))
ROWS = X[:5]


@pytest.fixture(scope="module")
def estimator() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(X, np.digitize(X[:, 0] + X[:, 1], [-0.5, 0.5]))


@pytest.fixture(scope="module")
def model_dir(estimator: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pyfunc_sklearn import save_model

    path = tmp_path_factory.mktemp("grpc") / "iris"
    save_model(estimator, path, input_example=ROWS[:2])
    return path


class Served:
    def __init__(self, model: Path, log: Path, *args: str) -> None:
        self.grpc_port = free_port()
        self.proc = ServerProcess(model, "--name", "iris", "--grpc-port", str(self.grpc_port), *args, log=log)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.grpc_port}")
        grpc.channel_ready_future(self.channel).result(timeout=30)
        self.stub = pb_grpc.GRPCInferenceServiceStub(self.channel)

    def close(self) -> None:
        self.channel.close()
        self.proc.stop()


@pytest.fixture(scope="module")
def served(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = Served(model_dir, tmp_path_factory.mktemp("log") / "server.log", "--max-body-size", "20000")
    yield server
    server.close()


def infer_request(rows: Any, *outputs: str) -> Any:
    request = pb.ModelInferRequest(model_name="iris", id="r1")
    request.inputs.add(name="x", datatype="FP64", shape=list(rows.shape))
    request.raw_input_contents.append(rows.astype("<f8").tobytes())
    for name in outputs:
        request.outputs.add(name=name)
    return request


def plan(served: Served, **kw: Any) -> dict[str, Any]:
    inputs = [{"name": "x", "datatype": "FP64", "data": ROWS.tolist()}]
    return {"url": f"127.0.0.1:{served.grpc_port}", "model": "iris", "inputs": inputs, "outputs": None, **kw}


def test_tritonclient_grpc(served: Served, estimator: Any) -> None:
    got = clients.run_client("triton", "triton_client.py", plan(served, protocol="grpc", binary=False,
                                                                 metadata_outputs=True))  # fmt: skip
    assert got["live"] and got["ready"] and got["model_ready"]
    assert got["metadata_outputs"] == ["predict", "predict_proba", "decision_function"]
    assert "binary_tensor_data" in got["extensions"]
    assert got["outputs"] == {"predict": estimator.predict(ROWS).tolist()}
    got = clients.run_client("triton", "triton_client.py",
                             plan(served, protocol="grpc", binary=False, outputs=["predict_proba", "predict"]))  # fmt: skip
    np.testing.assert_allclose(got["outputs"]["predict_proba"], estimator.predict_proba(ROWS))
    got = clients.run_client(
        "triton", "triton_client.py", plan(served, protocol="grpc", binary=False, outputs=["nope"])
    )
    assert "nope" in got["error"] and "predict_proba" in got["error"]


def test_kserve_grpc_client(served: Served, estimator: Any) -> None:
    got = clients.run_client(
        "kserve", "kserve_client.py", plan(served, protocol="grpc", outputs=["decision_function"])
    )
    assert got["live"] and got["ready"] and got["model_ready"]
    np.testing.assert_allclose(got["outputs"]["decision_function"], estimator.decision_function(ROWS))


def test_typed_contents_and_raw_agree(served: Served, estimator: Any) -> None:
    request = pb.ModelInferRequest(model_name="iris")
    tensor = request.inputs.add(name="x", datatype="FP64", shape=[5, 4])
    tensor.contents.fp64_contents.extend(ROWS.ravel().tolist())
    typed = served.stub.ModelInfer(request)
    raw = served.stub.ModelInfer(infer_request(ROWS))
    assert typed.raw_output_contents == raw.raw_output_contents
    assert np.frombuffer(raw.raw_output_contents[0], "<i8").tolist() == estimator.predict(ROWS).tolist()
    assert raw.id == "r1" and raw.model_name == "iris" and raw.outputs[0].name == "predict"


@pytest.mark.parametrize(
    "mutate, code, needle",
    [
        (lambda r: setattr(r, "model_name", "other"), grpc.StatusCode.NOT_FOUND, "other"),
        (lambda r: r.raw_input_contents.__setitem__(0, b"\0" * 7), grpc.StatusCode.INVALID_ARGUMENT, "bytes"),
        (lambda r: r.raw_input_contents.append(b"x"), grpc.StatusCode.INVALID_ARGUMENT, "raw_input_contents"),
        (lambda r: r.inputs[0].__setattr__("datatype", "FP99"), grpc.StatusCode.INVALID_ARGUMENT, "FP99"),
        (lambda r: r.outputs.add(name="nope"), grpc.StatusCode.INVALID_ARGUMENT, "predict_proba"),
    ],
    ids=["model", "raw-size", "raw-count", "datatype", "output"],
)
def test_bad_requests_are_client_errors(served: Served, mutate: Any, code: Any, needle: str) -> None:
    request = infer_request(ROWS)
    mutate(request)
    with pytest.raises(grpc.RpcError) as caught:
        served.stub.ModelInfer(request)
    assert caught.value.code() == code
    assert needle in caught.value.details()


def test_max_message_size_is_the_body_limit(served: Served) -> None:
    big = np.zeros((1000, 4))  # 32 kB > --max-body-size 20000
    with pytest.raises(grpc.RpcError) as caught:
        served.stub.ModelInfer(infer_request(big))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_grpc_calls_show_in_the_shared_metrics(served: Served) -> None:
    served.stub.ModelInfer(infer_request(ROWS))
    with urllib.request.urlopen(served.proc.url + "/metrics", timeout=10) as resp:
        text = resp.read().decode()
    assert 'endpoint="grpc ModelInfer"' in text


def test_several_workers_share_the_port_and_batching(model_dir: Path, tmp_path: Path, estimator: Any) -> None:
    server = Served(model_dir, tmp_path / "log", "--workers", "2", "--batch-max-size", "32")
    try:
        for _ in range(20):
            got = server.stub.ModelInfer(infer_request(ROWS, "predict_proba"))
            proba = np.frombuffer(got.raw_output_contents[0], "<f8").reshape(list(got.outputs[0].shape))
            np.testing.assert_allclose(proba, estimator.predict_proba(ROWS))
        assert server.stub.ServerReady(pb.ServerReadyRequest()).ready
    finally:
        server.close()
    assert server.proc.proc.returncode == 0


def test_serve_declares_grpc_port_through_the_server_options() -> None:
    import subprocess
    import sys

    from pyfunc_core.cli.options import explicit_argv
    from pyfunc_core.cli.serve_cmd import serve_command

    out = subprocess.run([sys.executable, "-m", "pyfunc_core", "serve", "--help"], capture_output=True,
                         text=True, timeout=60).stdout  # fmt: skip
    assert "--grpc-port" in out
    with serve_command.make_context("serve", ["-m", "/m", "--grpc-port", "8081"]) as ctx:
        argv = explicit_argv(ctx)
    assert argv[argv.index("--grpc-port") + 1] == "8081"


class Sleepy:
    """Sleeps ``params["sleep"]`` seconds, then answers the sum of each row."""

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        time.sleep((params or {}).get("sleep", 0.0))
        return np.asarray(model_input).sum(axis=1)


def test_a_draining_worker_finishes_the_grpc_call_in_flight(tmp_path: Path) -> None:
    from pyfunc_core import PythonModel, save_model
    from pyfunc_core.schema import ModelSignature, ParamSchema, ParamSpec, Schema, TensorSpec

    sleepy = type("SleepyModel", (Sleepy, PythonModel), {})
    signature = ModelSignature(
        inputs=Schema([TensorSpec(np.dtype("float64"), (-1, 4))]),
        params=ParamSchema([ParamSpec("sleep", "double", 0.0)]),
    )
    save_model(tmp_path / "sleepy", python_model=sleepy(), signature=signature)
    server = Served(tmp_path / "sleepy", tmp_path / "log")
    request = infer_request(ROWS)
    request.model_name = "iris"
    request.parameters["sleep"].double_param = 1.0
    got: list[Any] = []
    caller = threading.Thread(target=lambda: got.append(server.stub.ModelInfer(request, timeout=60)))
    caller.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until the call is in flight
            with urllib.request.urlopen(server.proc.url + "/metrics", timeout=10) as resp:
                if "pyfunc_requests_in_flight 1.0" in resp.read().decode():
                    break
            time.sleep(0.02)
        server.proc.terminate()
        caller.join(60)
        assert np.frombuffer(got[0].raw_output_contents[0], "<f8").tolist() == ROWS.sum(axis=1).tolist()
    finally:
        server.close()
    assert server.proc.proc.returncode == 0
