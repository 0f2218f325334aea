"""The MLflow side of the booster flavors' parity tests (lightgbm, xgboost).

Runs inside a virtualenv with MLflow, never beside our plugins, so it needs only numpy, pandas
and the standard library (MLflow is imported by the commands). A flavor's
``tests/mlflow_side/mlflow_side.py`` says which models to save and how MLflow saves and loads
them, then calls :func:`main`; :mod:`mlflow_parity` runs that script with ``dev/`` on
``PYTHONPATH``:

``python mlflow_side.py make SEED OUT``: save each model with MLflow into OUT/<case>/ and record
MLflow's own predictions in OUT/cases.json (``{"mlflow_version", "cases": {case: predictions}}``).

``python mlflow_side.py load SEED DIR...``: load each model directory (saved by our plugin) with
``mlflow.pyfunc`` and the flavor's ``load_model``, and print one JSON line per directory:
``{"dir", "predictions", "native_class"}``. Data comes from the fixed SEED; nothing is downloaded.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

ROWS = 40
#: A flavor's models by case name: ``{case: (model, format)}`` from :func:`data`'s arrays.
Models = Callable[[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray], dict[str, tuple[Any, str]]]


def data(seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Five features and binary, three-class and regression targets, from ``seed``."""
    rng = np.random.RandomState(seed)
    X = pd.DataFrame(rng.normal(size=(300, 5)), columns=[f"f{i}" for i in range(5)])
    y_bin = (X["f0"] + X["f1"] > 0).astype(int).to_numpy()
    y_multi = np.digitize(X["f2"] + 0.5 * X["f3"], [-0.5, 0.5])
    y_reg = (2 * X["f0"] - X["f4"]).to_numpy()
    return X, y_bin, y_multi, y_reg


def main(
    argv: Sequence[str],
    models: Models,
    save: Callable[[Any, Path, str, pd.DataFrame], None],
    load_native: Callable[[str], Any],
) -> None:
    """Run ``make`` or ``load`` (see the module doc): ``save(model, dest, format, example)``
    saves with the flavor's MLflow module, ``load_native(dir)`` is its ``load_model``."""
    import mlflow
    import mlflow.pyfunc

    warnings.simplefilter("ignore")
    command, seed, *paths = argv
    arrays = data(int(seed))
    X = arrays[0]
    if command == "make":
        out = Path(paths[0])
        cases = {}
        for name, (model, fmt) in models(*arrays).items():
            save(model, out / name, fmt, X[:3])
            cases[name] = mlflow.pyfunc.load_model(str(out / name)).predict(X[:ROWS]).tolist()
        (out / "cases.json").write_text(json.dumps({"mlflow_version": mlflow.__version__, "cases": cases}))
        return
    for d in paths:
        predictions = mlflow.pyfunc.load_model(d).predict(X[:ROWS])
        line = {
            "dir": d,
            "predictions": np.asarray(predictions).tolist(),
            "native_class": type(load_native(d)).__name__,
        }
        print(json.dumps(line), flush=True)
