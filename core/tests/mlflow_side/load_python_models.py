"""Run inside a virtualenv with MLflow and pyfunc-core (no plugin): load ``PythonModel``
directories written by ``pyfunc_core.save_model`` with MLflow and record what they predict.

Usage: python load_python_models.py ROOT

Reads ROOT/cases.json ``{case: {"columns": [...], "data": [[...]]}}`` (a float DataFrame) and
writes ROOT/results.json ``{"mlflow_version", "pyfunc_core_version", "cases": {case: {call: result}}}``
with each result ``{"ok": rows}`` or ``{"error": "Type: message"}``. The calls are
``mlflow.pyfunc.load_model(path).predict(frame)`` and ``mlflow.models.validate_serving_input(path,
<serving_input_example.json>)``.
"""

from __future__ import annotations

import json
import sys
import warnings
from importlib import metadata
from pathlib import Path

import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.models import validate_serving_input


def attempt(call):
    try:
        value = call()
        if isinstance(value, (pd.DataFrame, pd.Series)):
            value = value.to_numpy()
        return {"ok": np.asarray(value).tolist()}
    except Exception as exc:  # recorded for the test to judge
        first = (str(exc).strip().splitlines() or [""])[0]
        return {"error": f"{type(exc).__name__}: {first}"}


def load_case(path: Path, case: dict) -> dict:
    frame = pd.DataFrame(case["data"], columns=case["columns"], dtype=float)
    result = {"pyfunc": attempt(lambda: mlflow.pyfunc.load_model(str(path)).predict(frame))}
    serving = path / "serving_input_example.json"
    if serving.is_file():
        text = serving.read_text(encoding="utf-8")
        result["validate_serving_input"] = attempt(lambda: validate_serving_input(str(path), text))
    return result


def main(root: Path) -> None:
    warnings.simplefilter("ignore")
    cases = json.loads((root / "cases.json").read_text(encoding="utf-8"))
    out = {
        "mlflow_version": mlflow.__version__,
        "pyfunc_core_version": metadata.version("pyfunc-core"),
        "cases": {name: load_case(root / name, case) for name, case in cases.items()},
    }
    (root / "results.json").write_text(json.dumps(out), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
