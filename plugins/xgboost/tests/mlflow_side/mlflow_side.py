"""Run inside a virtualenv with MLflow (and xgboost), never beside pyfunc-xgboost.

``python mlflow_side.py make OUT``: save XGBoost models with ``mlflow.xgboost`` in every
``model_format`` MLflow writes, into OUT/<case>/, and record MLflow's own predictions in
OUT/cases.json (``{case: predictions}``).

``python mlflow_side.py load DIR...``: load each model directory (saved by pyfunc-xgboost)
with ``mlflow.pyfunc`` and ``mlflow.xgboost`` and print one JSON line per directory:
``{"dir", "predictions", "native_class"}``. Data comes from fixed seeds; nothing is downloaded.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import mlflow.pyfunc
import mlflow.xgboost
import numpy as np
import pandas as pd
import xgboost as xgb


def data() -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.RandomState(3)
    X = pd.DataFrame(rng.normal(size=(300, 5)), columns=[f"f{i}" for i in range(5)])
    y_bin = (X["f0"] + X["f1"] > 0).astype(int).to_numpy()
    y_multi = np.digitize(X["f2"] + 0.5 * X["f3"], [-0.5, 0.5])
    y_reg = (2 * X["f0"] - X["f4"]).to_numpy()
    return X, y_bin, y_multi, y_reg


def models() -> dict[str, tuple[object, str]]:
    X, y_bin, y_multi, y_reg = data()
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


def make(out: Path) -> None:
    X = data()[0]
    cases = {}
    for name, (model, fmt) in models().items():
        mlflow.xgboost.save_model(model, out / name, model_format=fmt, input_example=X[:3])
        cases[name] = mlflow.pyfunc.load_model(str(out / name)).predict(X[:40]).tolist()
    (out / "cases.json").write_text(json.dumps({"mlflow_version": mlflow.__version__, "cases": cases}))


def load(dirs: list[str]) -> None:
    X = data()[0]
    for d in dirs:
        predictions = mlflow.pyfunc.load_model(d).predict(X[:40])
        native = mlflow.xgboost.load_model(d)
        line = {
            "dir": d,
            "predictions": np.asarray(predictions).tolist(),
            "native_class": type(native).__name__,
        }
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    if sys.argv[1] == "make":
        make(Path(sys.argv[2]))
    else:
        load(sys.argv[2:])
