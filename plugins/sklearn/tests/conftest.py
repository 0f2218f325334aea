"""Shared fixtures: fixed datasets, fitted estimators, saved model directories, and
model directories written by the real MLflow in a virtualenv of its own.

The MLflow virtualenv is built once per machine and cached under
``$PYFUNC_CORE_TEST_CACHE`` (default ``~/.cache/pyfunc-core-tests``), keyed by the MLflow
version and the host's scikit-learn, numpy, scipy, pandas, cloudpickle and skops versions,
which it pins so MLflow's pickles load here. MLflow is never installed beside our code.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest

from repo_testing import build_once, digest, make_venv, run_checked, shared_test_cache

MLFLOW_REQUIREMENT = "mlflow-skinny==3.17.2"
MLFLOW_MIN_PYTHON = (3, 10)
#: Host packages the MLflow venv must match exactly (pickles and skops files cross over).
MATCHED_PACKAGES = ("scikit-learn", "numpy", "scipy", "pandas", "cloudpickle", "skops")
TREE = ["sklearn.tree._tree.Tree"]
MAKE_MODELS = Path(__file__).parent / "mlflow_side" / "make_models.py"
INSTALL_TIMEOUT = 1200
SCRIPT_TIMEOUT = 900


# -- data and estimators -------------------------------------------------------------------


class Data:
    """Fixed random datasets (the same generators as ``mlflow_side/make_models.py``)."""

    def __init__(self) -> None:
        rng = np.random.RandomState(42)
        self.X = rng.normal(size=(200, 6))
        self.y_cls = (self.X[:, 0] + 0.5 * self.X[:, 1] - self.X[:, 2] > 0).astype(int)
        self.y_reg = 3 * self.X[:, 0] - 2 * self.X[:, 3] + rng.normal(scale=0.1, size=200)
        self.Xdf = pd.DataFrame(self.X, columns=[f"f{i}" for i in range(6)])
        rng = np.random.RandomState(7)
        n = 200
        self.mixed = pd.DataFrame(
            {
                "age": rng.randint(18, 80, size=n).astype("int64"),
                "income": rng.normal(50_000, 15_000, size=n),
                "city": rng.choice(["paris", "lyon", "nice"], size=n).astype(object),
                "plan": rng.choice(["free", "pro"], size=n).astype(object),
            }
        )
        self.y_mixed = (
            ((self.mixed["income"] > 50_000) ^ (self.mixed["city"] == "nice")).astype(int).to_numpy()
        )


class Estimators:
    """One fitted estimator of each kind the tests use."""

    def __init__(self, data: Data) -> None:
        from sklearn.cluster import KMeans
        from sklearn.compose import ColumnTransformer
        from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.mixture import GaussianMixture
        from sklearn.naive_bayes import GaussianNB
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        self.logreg = LogisticRegression(max_iter=500).fit(data.X, data.y_cls)
        self.logreg_named = LogisticRegression(max_iter=500).fit(data.Xdf, data.y_cls)
        self.forest = RandomForestClassifier(n_estimators=20, max_depth=5, random_state=0).fit(
            data.X, data.y_cls
        )
        self.gbr = GradientBoostingRegressor(n_estimators=30, random_state=0).fit(data.X, data.y_reg)
        self.kmeans = KMeans(n_clusters=3, n_init=3, random_state=0).fit(data.X)
        self.naive_bayes = GaussianNB().fit(data.X, data.y_cls)
        self.mixture = GaussianMixture(n_components=2, random_state=0).fit(data.X)
        pre = ColumnTransformer(
            [
                ("num", StandardScaler(), ["age", "income"]),
                ("cat", OneHotEncoder(handle_unknown="ignore"), ["city", "plan"]),
            ]
        )
        self.pipeline = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=500))]).fit(
            data.mixed, data.y_mixed
        )


@pytest.fixture(scope="session")
def data() -> Data:
    return Data()


@pytest.fixture(scope="session")
def estimators(data: Data) -> Estimators:
    return Estimators(data)


@pytest.fixture(scope="session")
def save(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``save(name, estimator, **save_model_kwargs)``: saved once per session, by name."""
    import pyfunc_sklearn

    root = tmp_path_factory.mktemp("saved")
    done: dict[str, Path] = {}

    def _save(name: str, estimator: Any, **kwargs: Any) -> Path:
        if name not in done:
            path = root / name
            pyfunc_sklearn.save_model(estimator, path, **kwargs)
            done[name] = path
        return done[name]

    return _save


def edit_mlmodel(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    """Rewrite ``path/MLmodel`` after ``edit(mapping)`` changed it in place."""
    import yaml

    file = path / "MLmodel"
    meta = yaml.safe_load(file.read_text(encoding="utf-8"))
    edit(meta)
    file.write_text(yaml.safe_dump(meta), encoding="utf-8")


@pytest.fixture(scope="session")
def edit() -> Callable[[Path, Callable[[dict[str, Any]], None]], None]:
    return edit_mlmodel


@pytest.fixture(scope="session")
def _skops_cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pyfunc-cache")


@pytest.fixture(autouse=True)
def _private_skops_cache(_skops_cache_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Skops models these tests load are cached in a session folder, not the user's cache."""
    monkeypatch.setenv("PYFUNC_CORE_CACHE_DIR", str(_skops_cache_root))


@pytest.fixture
def copy_model(tmp_path: Path) -> Callable[[Path], Path]:
    """A private copy of a saved model directory, for tests that damage it."""

    def _copy(src: Path) -> Path:
        dest = tmp_path / src.name
        shutil.copytree(src, dest)
        return dest

    return _copy


# -- MLflow-written model directories -------------------------------------------------------


def _pins() -> list[str]:
    return [MLFLOW_REQUIREMENT, *(f"{name}=={metadata.version(name)}" for name in MATCHED_PACKAGES)]


def _make_venv(dest: Path) -> None:
    make_venv(dest, _pins(), timeout=INSTALL_TIMEOUT)
    run_checked(
        [str(dest / "bin" / "python"), "-c", "import mlflow.sklearn, mlflow.pyfunc"], 300, "importing MLflow"
    )


@pytest.fixture(scope="session")
def mlflow_python() -> Path:
    """The Python of a cached virtualenv holding MLflow and the host's scikit-learn."""
    if os.environ.get("PYFUNC_SKLEARN_SKIP_MLFLOW") == "1":
        pytest.skip("PYFUNC_SKLEARN_SKIP_MLFLOW=1")
    if sys.version_info < MLFLOW_MIN_PYTHON:
        pytest.skip(
            f"{MLFLOW_REQUIREMENT} needs Python >= {'.'.join(map(str, MLFLOW_MIN_PYTHON))}; "
            "MLflow-written models are checked on the newer Pythons"
        )
    tag = f"py{sys.version_info[0]}{sys.version_info[1]}-{digest(*_pins())}"
    venv = build_once(shared_test_cache() / f"mlflow-venv-{tag}", _make_venv)
    return venv / "bin" / "python"


@pytest.fixture(scope="session")
def mlflow_models(mlflow_python: Path) -> dict[str, Any]:
    """Model directories saved by ``mlflow.sklearn`` plus MLflow's own predictions.

    Returns ``{"root": Path, "mlflow_version": str, "cases": {name: {"input", "predictions"}}}``.
    """
    script = MAKE_MODELS.read_bytes().decode()
    tag = digest(str(mlflow_python.resolve()), script, *_pins())

    def generate(out: Path) -> None:
        out.mkdir(parents=True)
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        env.pop("PYTHONPATH", None)
        run_checked(
            [str(mlflow_python), str(MAKE_MODELS), str(out)],
            SCRIPT_TIMEOUT,
            "saving models with MLflow",
            env=env,
        )

    root = build_once(shared_test_cache() / f"mlflow-models-{tag}", generate)
    record = json.loads((root / "cases.json").read_text(encoding="utf-8"))
    return {"root": root, **record}


def decode_input(encoded: dict[str, Any]) -> Any:
    """The test input ``make_models.py`` recorded, rebuilt with its dtypes."""
    if encoded["kind"] == "dataframe":
        frame = pd.DataFrame(encoded["data"], columns=encoded["columns"])
        return frame.astype(dict(zip(encoded["columns"], encoded["dtypes"])))
    return np.asarray(encoded["data"], dtype=encoded["dtype"])


@pytest.fixture(scope="session")
def decode() -> Callable[[dict[str, Any]], Any]:
    return decode_input
