"""Both directions with MLflow 3.x: directories ``mlflow.lightgbm`` wrote load and serve here
with MLflow's predictions, and directories we write load in MLflow without our plugins."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import yaml

import pyfunc_core
import pyfunc_lightgbm
from pyfunc_core.testing import ServerProcess

CASES = ["booster_text", "classifier_skops", "classifier_cloudpickle", "multiclass_skops", "regressor_pickle"]
ROWS = 40


@pytest.mark.parametrize("case", CASES)
def test_mlflow_directories_predict_what_mlflow_predicts(
    mlflow_models: dict[str, Any], data: Any, case: str
) -> None:
    path = mlflow_models["root"] / case
    meta = yaml.safe_load((path / "MLmodel").read_text())
    assert meta["mlflow_version"] == mlflow_models["mlflow_version"]
    if not case.startswith("booster"):
        assert meta["flavors"]["lightgbm"]["serialization_format"] == case.rsplit("_", 1)[1]
    model = pyfunc_core.load_model(path)
    assert model.flavor.name == "lightgbm"
    ours = np.asarray(model.predict(data.X[:ROWS]))
    np.testing.assert_allclose(ours, np.asarray(mlflow_models["cases"][case]), rtol=1e-6, atol=1e-7)


def test_our_directories_load_in_mlflow(
    models: Any, data: Any, tmp_path: Path, mlflow_load: Callable[..., dict[str, dict[str, Any]]]
) -> None:
    saved = {
        "booster": (models.booster, "skops"),
        "classifier_skops": (models.classifier, "skops"),
        "multi_cloudpickle": (models.multi, "cloudpickle"),
        "regressor_pickle": (models.regressor, "pickle"),
    }
    for name, (native, fmt) in saved.items():
        pyfunc_lightgbm.save_model(
            native, tmp_path / name, serialization_format=fmt, input_example=data.X[:3]
        )
    loaded = mlflow_load(*(tmp_path / n for n in saved))
    for name, (native, _) in saved.items():
        result = loaded[str(tmp_path / name)]
        assert result["native_class"] == type(native).__name__
        ours = np.asarray(pyfunc_core.load_model(tmp_path / name).predict(data.X[:ROWS]))
        np.testing.assert_allclose(np.asarray(result["predictions"]), ours, rtol=1e-6, atol=1e-7)


requests = pytest.importorskip("requests")


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("pyfunc_scoring_server") is None, reason="no scoring server plugin"
)
def test_served_over_http_with_v2_probabilities(
    mlflow_models: dict[str, Any], models: Any, data: Any, tmp_path: Path
) -> None:
    rows = data.X[:5]
    split = {"dataframe_split": {"columns": list(rows.columns), "data": rows.to_numpy().tolist()}}
    v2 = {
        "inputs": [
            {"name": c, "shape": [5], "datatype": "FP64", "data": rows[c].tolist()} for c in rows.columns
        ]
    }
    v2["parameters"] = {"content_type": "pd"}
    pyfunc_lightgbm.save_model(models.multi, tmp_path / "proba", pyfunc_predict_fn="predict_proba")
    servers = [
        ServerProcess(
            mlflow_models["root"] / "booster_text",
            "--name",
            "model",
            log=tmp_path / "booster.log",
            wait=False,
        ),
        ServerProcess(
            tmp_path / "proba", "--name", "model", "--workers", "2", log=tmp_path / "proba.log", wait=False
        ),
    ]
    try:
        for server in servers:
            server.wait_ready()
        booster, proba = servers
        answer = requests.post(booster.url + "/invocations", json=split, timeout=30).json()
        expected = mlflow_models["cases"]["booster_text"][:5]
        np.testing.assert_allclose(answer["predictions"], expected, rtol=1e-6)
        out = requests.post(booster.url + "/v2/models/model/infer", json=v2, timeout=30).json()["outputs"][0]
        assert out["datatype"] == "FP64" and out["shape"] == [5]  # objective binary: probabilities
        np.testing.assert_allclose(out["data"], expected, rtol=1e-6)

        out = requests.post(proba.url + "/v2/models/model/infer", json=v2, timeout=30).json()["outputs"][0]
        assert out["shape"] == [5, 3] and out["datatype"] == "FP64"
        np.testing.assert_allclose(
            np.asarray(out["data"]).reshape(5, 3), models.multi.predict_proba(rows), rtol=1e-6
        )
        bad = requests.post(
            proba.url + "/invocations",
            json={"dataframe_split": {"columns": ["f0"], "data": [[1.0]]}},
            timeout=30,
        )
        assert bad.status_code == 400 and bad.json()["error_code"] == "BAD_REQUEST"
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            assert server.stop() == 0, server.output()
