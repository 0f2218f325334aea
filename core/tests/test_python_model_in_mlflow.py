"""A ``PythonModel`` saved by pyfunc-core loads in MLflow 3.x where pyfunc-core is installed:
its ``loader_module`` (``pyfunc_core.python_model``) follows MLflow's ``_load_pyfunc`` contract,
and its ``requirements.txt`` lists pyfunc-core. MLflow runs in a virtualenv of its own (built
once per machine and pyfunc-core source), holding MLflow and a wheel of this pyfunc-core only."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import textwrap
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest

from pyfunc_core import load_model
from pyfunc_core.codecs.json_codec import decode_json_payload
from pyfunc_core.python_model.flavor import save_model
from repo_testing import cached_venv, run_checked, shared_test_cache

MLFLOW_REQUIREMENT = "mlflow-skinny==3.17.2"
VENV = "mlflow-core-venv"
#: Host packages the venv matches (the pickled models and their inputs cross over).
MATCHED = ("numpy", "pandas", "cloudpickle")
LOAD = Path(__file__).parent / "mlflow_side" / "load_python_models.py"
INSTALL_TIMEOUT = 1200
SCRIPT_TIMEOUT = 600
#: Pickled by value (cloudpickle.register_pickle_by_value): MLflow's venv never imports this module.
BY_VALUE = """
from pyfunc_core.python_model import PythonModel


class ScaleAdd(PythonModel):
    def load_context(self, context):
        self.n = context.model_config["n"]
        with open(context.artifacts["scale"], encoding="utf-8") as f:
            self.scale = float(f.read())

    def predict(self, context, model_input, params=None):
        return model_input * self.scale + self.n
"""
#: Pickled by reference and shipped with code_paths: MLflow's venv imports it from the model's code/.
SHIPPED = """
from pyfunc_core.python_model import PythonModel


class Squares(PythonModel):
    def predict(self, model_input, params=None):
        return model_input**2
"""


@pytest.fixture(scope="module")
def mlflow_with_core_python() -> Path:
    """A cached venv with MLflow and this pyfunc-core (a wheel of its source), and nothing else of ours."""
    from pyfunc_core.envs.host_distributions import host_distribution, install_arguments

    if sys.version_info < (3, 10):
        pytest.skip(f"{MLFLOW_REQUIREMENT} needs Python >= 3.10; checked on the newer Pythons")
    cache = shared_test_cache()
    core_args = install_arguments([host_distribution("pyfunc-core")], root=cache / "pyfunc-core-wheels")
    pins = [MLFLOW_REQUIREMENT, *(f"{n}=={metadata.version(n)}" for n in MATCHED)]
    python = cached_venv(
        VENV, [*pins, *core_args], check="import mlflow.pyfunc, pyfunc_core", timeout=INSTALL_TIMEOUT
    )
    venv = python.parent.parent
    for older in cache.glob(f"{VENV}-py*"):  # built for earlier pyfunc-core sources
        if older != venv and ".tmp-" not in older.name and (older / ".complete").is_file():
            shutil.rmtree(older, ignore_errors=True)
    return python


def _import_from(folder: Path, name: str, source: str) -> Any:
    (folder / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))


@pytest.fixture(scope="module")
def in_mlflow(tmp_path_factory: pytest.TempPathFactory, mlflow_with_core_python: Path) -> dict[str, Any]:
    """Our PythonModel directories, the frames they predict on, and what MLflow made of them."""
    import cloudpickle

    root = tmp_path_factory.mktemp("python-models")
    code = tmp_path_factory.mktemp("code")
    by_value = _import_from(code, "dynamic_python_models", BY_VALUE)
    shipped = _import_from(code, "shipped_python_models", SHIPPED)
    scale = code / "scale.txt"
    scale.write_text("2.5", encoding="utf-8")
    frame = pd.DataFrame({"x": [1.0, -2.0, 3.5], "y": [0.5, 4.0, -1.0]})
    cloudpickle.register_pickle_by_value(by_value)
    try:
        save_model(
            root / "artifacts_config_by_value",
            by_value.ScaleAdd(),
            artifacts={"scale": scale},
            model_config={"n": 3},
            input_example=frame[:2],
        )
    finally:
        cloudpickle.unregister_pickle_by_value(by_value)
    save_model(
        root / "code_paths_no_context",
        shipped.Squares(),
        code_paths=[shipped.__file__],
        input_example=frame[:2],
    )
    save_model(root / "no_example", shipped.Squares(), code_paths=[shipped.__file__])
    names = ["artifacts_config_by_value", "code_paths_no_context", "no_example"]
    cases = {n: {"columns": list(frame.columns), "data": frame.to_numpy().tolist()} for n in names}
    (root / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONWARNINGS"] = "ignore"
    run_checked(
        [str(mlflow_with_core_python), str(LOAD), str(root)], SCRIPT_TIMEOUT, "loading with MLflow", env=env
    )
    results = json.loads((root / "results.json").read_text(encoding="utf-8"))
    return {"root": root, "frame": frame, "names": names, **results}


def test_mlflow_venv_runs_this_pyfunc_core(in_mlflow: dict[str, Any]) -> None:
    assert in_mlflow["mlflow_version"].startswith("3.")
    assert in_mlflow["pyfunc_core_version"] == metadata.version("pyfunc-core")


@pytest.mark.parametrize("case", ["artifacts_config_by_value", "code_paths_no_context", "no_example"])
def test_mlflow_pyfunc_predicts_what_we_predict(in_mlflow: dict[str, Any], case: str) -> None:
    theirs = in_mlflow["cases"][case]["pyfunc"]
    assert "ok" in theirs, theirs
    ours = load_model(in_mlflow["root"] / case).predict(in_mlflow["frame"])
    assert isinstance(ours, pd.DataFrame)
    np.testing.assert_allclose(ours.to_numpy(), theirs["ok"], rtol=1e-12)
    if case == "artifacts_config_by_value":  # the artifact and model_config reached load_context
        np.testing.assert_allclose(theirs["ok"], in_mlflow["frame"].to_numpy() * 2.5 + 3)


@pytest.mark.parametrize("case", ["artifacts_config_by_value", "code_paths_no_context"])
def test_validate_serving_input_passes_on_our_serving_example(in_mlflow: dict[str, Any], case: str) -> None:
    path = in_mlflow["root"] / case
    result = in_mlflow["cases"][case]["validate_serving_input"]
    assert "ok" in result, result
    model = load_model(path)  # the same JSON body, decoded as our server decodes it
    body = json.loads((path / "serving_input_example.json").read_text(encoding="utf-8"))
    request = decode_json_payload(body, model.metadata.get_input_schema())
    np.testing.assert_allclose(
        model.predict(request.data, request.params).to_numpy(), result["ok"], rtol=1e-12
    )


def test_requirements_and_info_say_mlflow_needs_pyfunc_core(
    in_mlflow: dict[str, Any], pyfunc_cli: Callable
) -> None:
    path = in_mlflow["root"] / "artifacts_config_by_value"
    core = f"pyfunc-core=={metadata.version('pyfunc-core')}"
    assert core in (path / "requirements.txt").read_text(encoding="utf-8").split()
    lines = pyfunc_cli("info", "-m", str(path)).output.splitlines()
    assert "mlflow:       loads in MLflow with pyfunc-core installed (needs cloudpickle)" in lines
    data = json.loads(pyfunc_cli("info", "-m", str(path), "--json").output)
    assert data["mlflow"]["pyfunc"] is True and data["mlflow"]["native"] is None
