"""MLflow-written model directories served by ``pyfunc-core serve`` (the scoring server
plugin) on loopback: /invocations answers equal MLflow's own predictions."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from pyfunc_core.testing import ServerProcess

pytest.importorskip("pyfunc_scoring_server", reason="the scoring server plugin is not installed")
requests = pytest.importorskip("requests")

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
SERVED = ("pipeline_skops_example", "forest_skops_proba", "logreg_skops_default")


class Server(ServerProcess):
    """``python -m pyfunc_core serve`` in a subprocess on 127.0.0.1 (started, then waited for)."""

    def __init__(self, model: Path, log: Path) -> None:
        super().__init__(model, log=log, start_timeout=START_TIMEOUT, stop_timeout=STOP_TIMEOUT, wait=False)

    def invoke(self, body: Any = None, *, data: Any = None, content_type: str = "application/json") -> Any:
        if body is not None:
            return requests.post(self.url + "/invocations", json=body, timeout=30)
        return requests.post(
            self.url + "/invocations", data=data, headers={"Content-Type": content_type}, timeout=30
        )


@pytest.fixture(scope="module")
def servers(
    mlflow_models: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Server]]:
    logs = tmp_path_factory.mktemp("server-logs")
    started: dict[str, Server] = {}
    try:
        for name in SERVED:  # start them all, then wait: the model loads overlap
            started[name] = Server(mlflow_models["root"] / name, logs / f"{name}.log")
        for server in started.values():
            server.wait_ready()
        yield started
    finally:
        for server in started.values():
            server.terminate()
        for server in started.values():
            server.stop()


def _case(mlflow_models: dict[str, Any], name: str) -> tuple[dict[str, Any], list[Any]]:
    record = mlflow_models["cases"][name]
    return record["input"], record["predictions"]


def test_mixed_pipeline_dataframe_split(servers: dict[str, Server], mlflow_models: dict[str, Any]) -> None:
    encoded, expected = _case(mlflow_models, "pipeline_skops_example")
    body = {"dataframe_split": {"columns": encoded["columns"], "data": encoded["data"]}}
    response = servers["pipeline_skops_example"].invoke(body)
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": expected}


def test_mixed_pipeline_records_and_csv(servers: dict[str, Server], mlflow_models: dict[str, Any]) -> None:
    import pandas as pd

    encoded, expected = _case(mlflow_models, "pipeline_skops_example")
    records = [dict(zip(encoded["columns"], row)) for row in encoded["data"]]
    response = servers["pipeline_skops_example"].invoke({"dataframe_records": records})
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": expected}
    csv = pd.DataFrame(encoded["data"], columns=encoded["columns"]).to_csv(index=False)
    response = servers["pipeline_skops_example"].invoke(data=csv, content_type="text/csv")
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == expected


def test_forest_predict_proba_tensor_inputs(
    servers: dict[str, Server], mlflow_models: dict[str, Any]
) -> None:
    encoded, expected = _case(mlflow_models, "forest_skops_proba")
    for body in ({"inputs": encoded["data"]}, {"instances": encoded["data"]}):
        response = servers["forest_skops_proba"].invoke(body)
        assert response.status_code == 200, response.text
        assert response.json() == {"predictions": expected}


def test_unsigned_default_skops_model(servers: dict[str, Server], mlflow_models: dict[str, Any]) -> None:
    encoded, expected = _case(mlflow_models, "logreg_skops_default")
    for body in ({"dataframe_split": {"data": encoded["data"]}}, {"inputs": encoded["data"]}):
        response = servers["logreg_skops_default"].invoke(body)
        assert response.status_code == 200, response.text
        assert response.json() == {"predictions": expected}


def test_wrong_feature_count_is_400_and_server_keeps_serving(
    servers: dict[str, Server], mlflow_models: dict[str, Any]
) -> None:
    encoded, expected = _case(mlflow_models, "logreg_skops_default")
    server = servers["logreg_skops_default"]
    short = [row[:5] for row in encoded["data"]]
    response = server.invoke({"dataframe_split": {"data": short}})
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "BAD_REQUEST"
    assert "expects 6 features but the input has 5" in body["message"]
    assert "Traceback" not in response.text
    response = server.invoke({"inputs": [["a", "b", "c", "d", "e", "f"]]})
    assert response.status_code == 400, response.text
    response = server.invoke({"inputs": encoded["data"]})
    assert response.status_code == 200 and response.json() == {"predictions": expected}


def test_signature_violation_is_400(servers: dict[str, Server]) -> None:
    response = servers["pipeline_skops_example"].invoke(
        {"dataframe_split": {"columns": ["age", "income"], "data": [[30, 1.0]]}}
    )
    assert response.status_code == 400
    assert "missing inputs" in response.json()["message"]
