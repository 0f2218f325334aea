"""Run inside a virtualenv with MLflow (and lightgbm), never beside pyfunc-lightgbm.

``python mlflow_side.py make OUT``: save LightGBM models with ``mlflow.lightgbm`` (a Booster's
text file; estimators as skops, cloudpickle and pickle) into OUT/<case>/, and record MLflow's
own predictions in OUT/cases.json.

``python mlflow_side.py load DIR...``: load each model directory (saved by pyfunc-lightgbm)
with ``mlflow.pyfunc`` and ``mlflow.lightgbm`` and print one JSON line per directory:
``{"dir", "predictions", "native_class"}``. Data comes from fixed seeds; nothing is downloaded.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import lightgbm as lgb
import mlflow.lightgbm
import mlflow.pyfunc
import numpy as np
import pandas as pd


def data() -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.RandomState(5)
    X = pd.DataFrame(rng.normal(size=(300, 5)), columns=[f"f{i}" for i in range(5)])
    y_bin = (X["f0"] + X["f1"] > 0).astype(int).to_numpy()
    y_multi = np.digitize(X["f2"] + 0.5 * X["f3"], [-0.5, 0.5])
    y_reg = (2 * X["f0"] - X["f4"]).to_numpy()
    return X, y_bin, y_multi, y_reg


def models() -> dict[str, tuple[object, str]]:
    X, y_bin, y_multi, y_reg = data()
    small = {"n_estimators": 8, "num_leaves": 7, "random_state": 0, "verbose": -1}
    booster = lgb.train({"objective": "binary", "num_leaves": 7, "verbose": -1}, lgb.Dataset(X, y_bin), 8)
    return {
        "booster_text": (booster, "skops"),
        "classifier_skops": (lgb.LGBMClassifier(**small).fit(X, y_bin), "skops"),
        "classifier_cloudpickle": (lgb.LGBMClassifier(**small).fit(X, y_bin), "cloudpickle"),
        "multiclass_skops": (lgb.LGBMClassifier(**small).fit(X, y_multi), "skops"),
        "regressor_pickle": (lgb.LGBMRegressor(**small).fit(X, y_reg), "pickle"),
    }


def make(out: Path) -> None:
    X = data()[0]
    cases = {}
    for name, (model, fmt) in models().items():
        mlflow.lightgbm.save_model(model, out / name, serialization_format=fmt, input_example=X[:3])
        cases[name] = mlflow.pyfunc.load_model(str(out / name)).predict(X[:40]).tolist()
    (out / "cases.json").write_text(json.dumps({"mlflow_version": mlflow.__version__, "cases": cases}))


def load(dirs: list[str]) -> None:
    X = data()[0]
    for d in dirs:
        predictions = mlflow.pyfunc.load_model(d).predict(X[:40])
        native = mlflow.lightgbm.load_model(d)
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
