"""Both directions with MLflow 3.x: directories ``mlflow.lightgbm`` wrote load and serve here
with MLflow's predictions, and directories we write load in MLflow without our plugins."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Callable

import pytest

import pyfunc_lightgbm
from mlflow_parity import check_loads_in_mlflow, check_predicts_like_mlflow, check_served

CASES = ["booster_text", "classifier_skops", "classifier_cloudpickle", "multiclass_skops", "regressor_pickle"]


@pytest.mark.parametrize("case", CASES)
def test_mlflow_directories_predict_what_mlflow_predicts(
    mlflow_models: dict[str, Any], data: Any, case: str
) -> None:
    meta = check_predicts_like_mlflow(mlflow_models, case, "lightgbm", data.X)
    if not case.startswith("booster"):
        assert meta["flavors"]["lightgbm"]["serialization_format"] == case.rsplit("_", 1)[1]


def test_our_directories_load_in_mlflow(
    models: Any, data: Any, tmp_path: Path, mlflow_load: Callable[..., dict[str, dict[str, Any]]]
) -> None:
    saved = {
        "booster": (models.booster, "skops"),
        "classifier_skops": (models.classifier, "skops"),
        "multi_cloudpickle": (models.multi, "cloudpickle"),
        "regressor_pickle": (models.regressor, "pickle"),
    }

    def save(native: Any, dest: Path, fmt: str) -> None:
        pyfunc_lightgbm.save_model(native, dest, serialization_format=fmt, input_example=data.X[:3])

    check_loads_in_mlflow(saved, save, data.X, tmp_path, mlflow_load)


pytest.importorskip("requests")


@pytest.mark.skipif(
    importlib.util.find_spec("pyfunc_scoring_server") is None, reason="no scoring server plugin"
)
def test_served_over_http_with_v2_probabilities(
    mlflow_models: dict[str, Any], models: Any, data: Any, tmp_path: Path
) -> None:
    pyfunc_lightgbm.save_model(models.multi, tmp_path / "proba", pyfunc_predict_fn="predict_proba")
    expected = mlflow_models["cases"]["booster_text"][:5]
    # objective binary: probabilities, as float64
    booster = mlflow_models["root"] / "booster_text"
    check_served(booster, expected, tmp_path / "proba", models.multi, data.X, "FP64", tmp_path)
