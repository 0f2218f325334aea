"""Run inside a virtualenv with MLflow (and xgboost), never beside pyfunc-xgboost: saves
XGBoost models with ``mlflow.xgboost`` in every ``model_format`` MLflow writes and loads ours
with it. The commands (``make SEED OUT``, ``load SEED DIR...``) are
``dev/mlflow_parity_side.py``'s, which ``dev/`` on ``PYTHONPATH`` provides.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import mlflow.xgboost
import numpy as np
import pandas as pd
import xgboost as xgb

from mlflow_parity_side import main


def models(
    X: pd.DataFrame, y_bin: np.ndarray, y_multi: np.ndarray, y_reg: np.ndarray
) -> dict[str, tuple[Any, str]]:
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3, "seed": 0}, xgb.DMatrix(X, y_bin), 8)
    classifier = xgb.XGBClassifier(n_estimators=8, max_depth=3, random_state=0).fit(X, y_bin)
    multi = xgb.XGBClassifier(n_estimators=8, max_depth=3, random_state=0).fit(X, y_multi)
    regressor = xgb.XGBRegressor(n_estimators=8, max_depth=3, random_state=0).fit(X, y_reg)
    return {
        "booster_ubj": (booster, "ubj"),
        "booster_json": (booster, "json"),
        "booster_xgb": (booster, "xgb"),
        "classifier_ubj": (classifier, "ubj"),
        "multiclass_json": (multi, "json"),
        "regressor_xgb": (regressor, "xgb"),
    }


def save(model: Any, dest: Path, fmt: str, example: pd.DataFrame) -> None:
    mlflow.xgboost.save_model(model, dest, model_format=fmt, input_example=example)


if __name__ == "__main__":
    main(sys.argv[1:], models, save, mlflow.xgboost.load_model)
