"""Run inside the MLflow virtualenv (which has no pyfunc distribution): load model directories
written by ``pyfunc_sklearn.save_model`` with MLflow's own loaders and record what they predict.

Usage: python load_ours.py ROOT

Reads ROOT/cases.json ``{case: {"input": {...}, "predict_fn": str}}`` and writes
ROOT/results.json: ``{"mlflow_version", "ours_importable": [...], "cases": {case: {call: result}}}``
where each result is ``{"ok": predictions}`` or ``{"error": "Type: message"}``. The calls are
``mlflow.pyfunc.load_model(path).predict(input)``, ``mlflow.sklearn.load_model(path).<predict_fn>(input)``
and ``mlflow.models.validate_serving_input(path, <serving_input_example.json>)``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path

import mlflow
import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pandas as pd
from mlflow.models import validate_serving_input


def decode(encoded):
    if encoded["kind"] == "dataframe":
        frame = pd.DataFrame(encoded["data"], columns=encoded["columns"])
        return frame.astype(dict(zip(encoded["columns"], encoded["dtypes"])))
    return np.asarray(encoded["data"], dtype=encoded["dtype"])


def jsonable(value):
    if isinstance(value, (pd.DataFrame, pd.Series)):
        value = value.to_numpy()
    return np.asarray(value).tolist()


def attempt(call):
    try:
        return {"ok": jsonable(call())}
    except Exception as exc:  # recorded for the test to judge
        first = (str(exc).strip().splitlines() or [""])[0]
        return {"error": f"{type(exc).__name__}: {first}"}


def main(root: Path) -> None:
    # MLflow 3.x refuses to deserialize any sklearn model (skops too) without this opt-in.
    os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "true"
    warnings.simplefilter("ignore")
    cases = json.loads((root / "cases.json").read_text(encoding="utf-8"))
    ours = [m for m in ("pyfunc_core", "pyfunc_sklearn") if importlib.util.find_spec(m) is not None]
    out = {"mlflow_version": mlflow.__version__, "ours_importable": ours, "cases": {}}
    for name, case in cases.items():
        out["cases"][name] = load_case(root / name, case)
    (root / "results.json").write_text(json.dumps(out), encoding="utf-8")


def load_case(path: Path, case: dict) -> dict:
    data = decode(case["input"])
    result = {
        "pyfunc": attempt(lambda: mlflow.pyfunc.load_model(str(path)).predict(data)),
        "native": attempt(lambda: getattr(mlflow.sklearn.load_model(str(path)), case["predict_fn"])(data)),
    }
    serving = path / "serving_input_example.json"
    if serving.is_file():
        text = serving.read_text(encoding="utf-8")
        result["validate_serving_input"] = attempt(lambda: validate_serving_input(str(path), text))
    return result


if __name__ == "__main__":
    main(Path(sys.argv[1]))
