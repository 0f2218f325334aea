"""Fixed data and models, and MLflow's side: a cached virtualenv with mlflow-skinny and the
host's xgboost (never beside our code) that writes model directories and loads ours."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest

from repo_testing import build_once, cached_venv, digest, matched_pins, run_checked, shared_test_cache

MLFLOW_REQUIREMENT = "mlflow-skinny==3.17.2"
#: Host packages the MLflow venv must match exactly (model files and predictions cross over).
MATCHED = ("xgboost", "scikit-learn", "numpy", "scipy", "pandas", "cloudpickle", "skops")
MLFLOW_SIDE = Path(__file__).parent / "mlflow_side" / "mlflow_side.py"


class Data:
    """The same generator as ``mlflow_side.py``."""

    def __init__(self) -> None:
        rng = np.random.RandomState(3)
        self.X = pd.DataFrame(rng.normal(size=(300, 5)), columns=[f"f{i}" for i in range(5)])
        self.y_bin = (self.X["f0"] + self.X["f1"] > 0).astype(int).to_numpy()
        self.y_multi = np.digitize(self.X["f2"] + 0.5 * self.X["f3"], [-0.5, 0.5])
        self.y_reg = (2 * self.X["f0"] - self.X["f4"]).to_numpy()


class Models:
    def __init__(self, data: Data) -> None:
        import xgboost as xgb

        params = {"objective": "binary:logistic", "max_depth": 3, "seed": 0}
        self.booster = xgb.train(params, xgb.DMatrix(data.X, data.y_bin), 8)
        self.classifier = xgb.XGBClassifier(n_estimators=8, max_depth=3, random_state=0).fit(
            data.X, data.y_bin
        )
        self.multi = xgb.XGBClassifier(n_estimators=8, max_depth=3, random_state=0).fit(data.X, data.y_multi)
        self.regressor = xgb.XGBRegressor(n_estimators=8, max_depth=3, random_state=0).fit(data.X, data.y_reg)


@pytest.fixture(scope="session")
def data() -> Data:
    return Data()


@pytest.fixture(scope="session")
def models(data: Data) -> Models:
    return Models(data)


def _pins() -> list[str]:
    return [MLFLOW_REQUIREMENT, *matched_pins(*MATCHED)]


@pytest.fixture(scope="session")
def mlflow_python() -> Path:
    if os.environ.get("PYFUNC_XGBOOST_SKIP_MLFLOW") == "1":
        pytest.skip("PYFUNC_XGBOOST_SKIP_MLFLOW=1")
    return cached_venv("mlflow-xgboost", _pins(), check="import mlflow.xgboost, mlflow.pyfunc")


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("PYTHONPATH", None)
    return env


@pytest.fixture(scope="session")
def mlflow_models(mlflow_python: Path) -> dict[str, Any]:
    """Directories saved by ``mlflow.xgboost``: ``{"root", "mlflow_version", "cases": {name: predictions}}``."""
    tag = digest(str(mlflow_python.resolve()), MLFLOW_SIDE.read_text(encoding="utf-8"), *_pins())

    def generate(out: Path) -> None:
        out.mkdir(parents=True)
        cmd = [str(mlflow_python), str(MLFLOW_SIDE), "make", str(out)]
        run_checked(cmd, 900, "saving models with MLflow", env=_env())

    root = build_once(shared_test_cache() / f"mlflow-xgboost-models-{tag}", generate)
    return {"root": root, **json.loads((root / "cases.json").read_text(encoding="utf-8"))}


@pytest.fixture(scope="session")
def mlflow_load(mlflow_python: Path) -> Callable[..., dict[str, dict[str, Any]]]:
    """Load directories with MLflow (``mlflow.pyfunc`` and ``mlflow.xgboost``): {dir: result}."""

    def load(*dirs: Path) -> dict[str, dict[str, Any]]:
        cmd = [str(mlflow_python), str(MLFLOW_SIDE), "load", *map(str, dirs)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=_env(), check=False)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return {r["dir"]: r for r in map(json.loads, proc.stdout.splitlines())}

    return load
