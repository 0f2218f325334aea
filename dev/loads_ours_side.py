"""The MLflow side of the tests in which MLflow loads directories we wrote (sklearn,
tensorflow). Runs inside MLflow's virtualenv, which has no pyfunc distribution; a flavor's
``tests/mlflow_side/load_ours.py`` imports it (``dev/`` is on its ``PYTHONPATH``) and supplies
how a case is decoded, loaded and made JSON.

:func:`main` reads ROOT/cases.json ``{case: {"input": {...}, ...}}`` and writes
ROOT/results.json ``{"mlflow_version", "ours_importable": [...], "cases": {case: {call: result}}}``,
each result ``{"ok": value}`` or ``{"error": "Type: message"}`` (see :func:`attempt`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import warnings
from pathlib import Path
from typing import Any, Callable


def attempt(call: Callable[[], Any], jsonable: Callable[[Any], Any]) -> dict[str, Any]:
    """``{"ok": jsonable(call())}``, or the first line of what it raised for the test to judge."""
    try:
        return {"ok": jsonable(call())}
    except Exception as exc:  # recorded for the test to judge
        first = (str(exc).strip().splitlines() or [""])[0]
        return {"error": f"{type(exc).__name__}: {first}"}


def validate_serving(path: Path, result: dict[str, Any], jsonable: Callable[[Any], Any]) -> dict[str, Any]:
    """``result`` plus ``mlflow.models.validate_serving_input`` on the directory's
    ``serving_input_example.json`` when it has one."""
    from mlflow.models import validate_serving_input

    serving = path / "serving_input_example.json"
    if serving.is_file():
        text = serving.read_text(encoding="utf-8")
        result["validate_serving_input"] = attempt(lambda: validate_serving_input(str(path), text), jsonable)
    return result


def main(
    root: Path, ours: tuple[str, ...], load_case: Callable[[Path, dict[str, Any]], dict[str, Any]]
) -> None:
    """Load every case under ``root`` with ``load_case(path, case)``; record which of ``ours``
    (our distributions' modules) the venv could import: none, if it is clean."""
    import mlflow

    # MLflow 3.x unpickles (sklearn models, skops files, Keras custom objects) only with this opt-in.
    os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "true"
    warnings.simplefilter("ignore")
    cases = json.loads((root / "cases.json").read_text(encoding="utf-8"))
    importable = [m for m in ours if importlib.util.find_spec(m) is not None]
    out: dict[str, Any] = {"mlflow_version": mlflow.__version__, "ours_importable": importable, "cases": {}}
    for name, case in cases.items():
        out["cases"][name] = load_case(root / name, case)
    (root / "results.json").write_text(json.dumps(out), encoding="utf-8")
