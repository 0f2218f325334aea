"""Both directions with MLflow 3.x: directories ``mlflow.xgboost`` wrote load and serve here
with MLflow's predictions, and directories we write load in MLflow without our plugins."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Callable

import pytest

import pyfunc_xgboost
from mlflow_parity import check_loads_in_mlflow, check_predicts_like_mlflow, check_served

CASES = ["booster_ubj", "booster_json", "booster_xgb", "classifier_ubj", "multiclass_json", "regressor_xgb"]


@pytest.mark.parametrize("case", CASES)
def test_mlflow_directories_predict_what_mlflow_predicts(
    mlflow_models: dict[str, Any], data: Any, case: str
) -> None:
    meta = check_predicts_like_mlflow(mlflow_models, case, "xgboost", data.X)
    assert meta["flavors"]["xgboost"]["model_format"] == case.rsplit("_", 1)[1]


def test_our_directories_load_in_mlflow(
    models: Any, data: Any, tmp_path: Path, mlflow_load: Callable[..., dict[str, dict[str, Any]]]
) -> None:
    saved = {
        "booster_ubj": (models.booster, "ubj"),
        "classifier_json": (models.classifier, "json"),
        "multi_ubj": (models.multi, "ubj"),
        "regressor_xgb": (models.regressor, "xgb"),
    }

    def save(native: Any, dest: Path, fmt: str) -> None:
        pyfunc_xgboost.save_model(native, dest, model_format=fmt, input_example=data.X[:3])

    check_loads_in_mlflow(saved, save, data.X, tmp_path, mlflow_load)


pytest.importorskip("requests")


@pytest.mark.skipif(
    importlib.util.find_spec("pyfunc_scoring_server") is None, reason="no scoring server plugin"
)
def test_served_over_http_with_v2_probabilities(
    mlflow_models: dict[str, Any], models: Any, data: Any, tmp_path: Path
) -> None:
    pyfunc_xgboost.save_model(models.multi, tmp_path / "proba", pyfunc_predict_fn="predict_proba")
    expected = mlflow_models["cases"]["booster_ubj"][:5]
    # binary:logistic: probabilities, as float32
    booster = mlflow_models["root"] / "booster_ubj"
    check_served(booster, expected, tmp_path / "proba", models.multi, data.X, "FP32", tmp_path)
