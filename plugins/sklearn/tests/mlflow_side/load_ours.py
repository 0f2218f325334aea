"""Run inside the MLflow virtualenv (which has no pyfunc distribution): load model directories
written by ``pyfunc_sklearn.save_model`` with MLflow's own loaders and record what they predict
(the loop and the recording are ``dev/loads_ours_side.py``'s, on ``PYTHONPATH``).

Usage: python load_ours.py ROOT

Reads ROOT/cases.json ``{case: {"input": {...}, "predict_fn": str}}`` and writes
ROOT/results.json: ``{"mlflow_version", "ours_importable": [...], "cases": {case: {call: result}}}``
where each result is ``{"ok": predictions}`` or ``{"error": "Type: message"}``. The calls are
``mlflow.pyfunc.load_model(path).predict(input)``, ``mlflow.sklearn.load_model(path).<predict_fn>(input)``
and ``mlflow.models.validate_serving_input(path, <serving_input_example.json>)``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pandas as pd

from loads_ours_side import attempt, main, validate_serving


def decode(encoded):
    if encoded["kind"] == "dataframe":
        frame = pd.DataFrame(encoded["data"], columns=encoded["columns"])
        return frame.astype(dict(zip(encoded["columns"], encoded["dtypes"])))
    return np.asarray(encoded["data"], dtype=encoded["dtype"])


def jsonable(value):
    if isinstance(value, (pd.DataFrame, pd.Series)):
        value = value.to_numpy()
    return np.asarray(value).tolist()


def load_case(path: Path, case: dict) -> dict:
    data = decode(case["input"])
    result = {
        "pyfunc": attempt(lambda: mlflow.pyfunc.load_model(str(path)).predict(data), jsonable),
        "native": attempt(
            lambda: getattr(mlflow.sklearn.load_model(str(path)), case["predict_fn"])(data), jsonable
        ),
    }
    return validate_serving(path, result, jsonable)


if __name__ == "__main__":
    main(Path(sys.argv[1]), ("pyfunc_core", "pyfunc_sklearn"), load_case)
