"""Run inside a virtualenv with MLflow (and lightgbm), never beside pyfunc-lightgbm: saves
LightGBM models with ``mlflow.lightgbm`` (a Booster's text file; estimators as skops,
cloudpickle and pickle) and loads ours with it. The commands (``make SEED OUT``, ``load SEED
DIR...``) are ``dev/mlflow_parity_side.py``'s, which ``dev/`` on ``PYTHONPATH`` provides.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import lightgbm as lgb
import mlflow.lightgbm
import numpy as np
import pandas as pd

from mlflow_parity_side import main


def models(
    X: pd.DataFrame, y_bin: np.ndarray, y_multi: np.ndarray, y_reg: np.ndarray
) -> dict[str, tuple[Any, str]]:
    small = {"n_estimators": 8, "num_leaves": 7, "random_state": 0, "verbose": -1}
    booster = lgb.train({"objective": "binary", "num_leaves": 7, "verbose": -1}, lgb.Dataset(X, y_bin), 8)
    return {
        "booster_text": (booster, "skops"),
        "classifier_skops": (lgb.LGBMClassifier(**small).fit(X, y_bin), "skops"),
        "classifier_cloudpickle": (lgb.LGBMClassifier(**small).fit(X, y_bin), "cloudpickle"),
        "multiclass_skops": (lgb.LGBMClassifier(**small).fit(X, y_multi), "skops"),
        "regressor_pickle": (lgb.LGBMRegressor(**small).fit(X, y_reg), "pickle"),
    }


def save(model: Any, dest: Path, fmt: str, example: pd.DataFrame) -> None:
    mlflow.lightgbm.save_model(model, dest, serialization_format=fmt, input_example=example)


if __name__ == "__main__":
    main(sys.argv[1:], models, save, mlflow.lightgbm.load_model)
