"""The pytest side of the booster flavors' parity tests with MLflow (lightgbm, xgboost).

A flavor's ``tests/conftest.py`` defines a session fixture ``mlflow_side`` returning an
:class:`MlflowSide` and imports the fixtures ``data``, ``models``, ``mlflow_python``,
``mlflow_models`` and ``mlflow_load`` from here; its ``test_mlflow.py`` keeps its own cases and calls the checks
:func:`check_predicts_like_mlflow`, :func:`check_loads_in_mlflow` and :func:`check_served`.
MLflow runs in a cached virtualenv with the host's versions of the libraries whose files cross
over (:func:`repo_testing.cached_venv`); its script is ``tests/mlflow_side/mlflow_side.py``
(see :mod:`mlflow_parity_side`).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pytest
import yaml

from mlflow_parity_side import ROWS
from mlflow_parity_side import data as make_data
from repo_testing import build_once, cached_venv, digest, matched_pins, run_checked, shared_test_cache

MLFLOW_REQUIREMENT = "mlflow-skinny==3.17.2"
SIDE_KIT = Path(__file__).with_name("mlflow_parity_side.py")
Loader = Callable[..., dict[str, dict[str, Any]]]


class Data:
    """The arrays the MLflow side builds from the same seed."""

    def __init__(self, seed: int) -> None:
        self.X, self.y_bin, self.y_multi, self.y_reg = make_data(seed)


class MlflowSide:
    """MLflow's side for ``flavor``: its virtualenv (MLflow and the host's ``matched``
    distributions), the models its ``script`` saves, and loading our directories with it.
    ``models(seed)`` builds our side's models (the ``models`` fixture)."""

    def __init__(
        self, flavor: str, script: Path, matched: Sequence[str], seed: int, models: Callable[[int], Any]
    ) -> None:
        self.flavor, self.script, self.seed, self.matched = flavor, script, seed, matched
        self.build_models = models

    @property
    def pins(self) -> list[str]:
        return [MLFLOW_REQUIREMENT, *matched_pins(*self.matched)]

    def python(self) -> Path:
        """The virtualenv's Python; skips when ``PYFUNC_<FLAVOR>_SKIP_MLFLOW=1``."""
        skip = f"PYFUNC_{self.flavor.upper()}_SKIP_MLFLOW"
        if os.environ.get(skip) == "1":
            pytest.skip(f"{skip}=1")
        check = f"import mlflow.{self.flavor}, mlflow.pyfunc"
        return cached_venv(f"mlflow-{self.flavor}", self.pins, check=check)

    def command(self, python: Path, action: str, *paths: Path) -> list[str]:
        return [str(python), str(self.script), action, str(self.seed), *map(str, paths)]

    def env(self) -> dict[str, str]:
        """The script's environment: only ``dev/`` (for :mod:`mlflow_parity_side`) on the path."""
        return {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": str(SIDE_KIT.parent)}

    def models(self, python: Path) -> dict[str, Any]:
        """Directories MLflow saved, built once per machine: ``{"root", "mlflow_version",
        "cases": {name: predictions}}``."""
        sources = [p.read_text(encoding="utf-8") for p in (self.script, SIDE_KIT)]
        tag = digest(str(python.resolve()), str(self.seed), *sources, *self.pins)

        def generate(out: Path) -> None:
            out.mkdir(parents=True)
            run_checked(self.command(python, "make", out), 900, "saving models with MLflow", env=self.env())

        root = build_once(shared_test_cache() / f"mlflow-{self.flavor}-models-{tag}", generate)
        return {"root": root, **json.loads((root / "cases.json").read_text(encoding="utf-8"))}

    def loader(self, python: Path) -> Loader:
        """Load directories with ``mlflow.pyfunc`` and the flavor's MLflow module: {dir: result}."""

        def load(*dirs: Path) -> dict[str, dict[str, Any]]:
            cmd = self.command(python, "load", *dirs)
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=600, env=self.env(), check=False
            )
            assert proc.returncode == 0, proc.stderr[-3000:]
            return {r["dir"]: r for r in map(json.loads, proc.stdout.splitlines())}

        return load


@pytest.fixture(scope="session")
def data(mlflow_side: MlflowSide) -> Data:
    return Data(mlflow_side.seed)


@pytest.fixture(scope="session")
def models(mlflow_side: MlflowSide) -> Any:
    return mlflow_side.build_models(mlflow_side.seed)


@pytest.fixture(scope="session")
def mlflow_python(mlflow_side: MlflowSide) -> Path:
    return mlflow_side.python()


@pytest.fixture(scope="session")
def mlflow_models(mlflow_side: MlflowSide, mlflow_python: Path) -> dict[str, Any]:
    return mlflow_side.models(mlflow_python)


@pytest.fixture(scope="session")
def mlflow_load(mlflow_side: MlflowSide, mlflow_python: Path) -> Loader:
    return mlflow_side.loader(mlflow_python)


def check_predicts_like_mlflow(
    mlflow_models: dict[str, Any], case: str, flavor: str, X: Any
) -> dict[str, Any]:
    """MLflow's directory ``case`` loads here as ``flavor`` and predicts what MLflow predicted;
    returns its ``MLmodel`` for the flavor's own checks."""
    import pyfunc_core

    path = mlflow_models["root"] / case
    meta: dict[str, Any] = yaml.safe_load((path / "MLmodel").read_text())
    assert meta["mlflow_version"] == mlflow_models["mlflow_version"]
    model = pyfunc_core.load_model(path)
    assert model.flavor.name == flavor
    ours = np.asarray(model.predict(X[:ROWS]))
    np.testing.assert_allclose(ours, np.asarray(mlflow_models["cases"][case]), rtol=1e-6, atol=1e-7)
    return meta


def check_loads_in_mlflow(
    saved: dict[str, tuple[Any, str]],
    save: Callable[[Any, Path, str], None],
    X: Any,
    tmp_path: Path,
    load: Loader,
) -> None:
    """Each ``{name: (native, format)}`` saved by ``save(native, dest, format)`` loads in MLflow
    as the same class and predicts what it predicts here."""
    import pyfunc_core

    for name, (native, fmt) in saved.items():
        save(native, tmp_path / name, fmt)
    loaded = load(*(tmp_path / n for n in saved))
    for name, (native, _) in saved.items():
        result = loaded[str(tmp_path / name)]
        assert result["native_class"] == type(native).__name__
        ours = np.asarray(pyfunc_core.load_model(tmp_path / name).predict(X[:ROWS]))
        np.testing.assert_allclose(np.asarray(result["predictions"]), ours, rtol=1e-6, atol=1e-7)


def check_served(
    booster_dir: Path,
    expected: Sequence[float],
    proba_dir: Path,
    multi: Any,
    X: Any,
    datatype: str,
    tmp_path: Path,
) -> None:
    """Serve MLflow's binary booster and our three-class ``predict_proba`` directory over HTTP:
    ``/invocations`` and the V2 protocol answer ``expected`` (as ``datatype``) and ``multi``'s
    probabilities, and a frame missing columns is a 400 with MLflow's error JSON."""
    import requests

    from pyfunc_core.testing import ServerProcess

    rows = X[:5]
    split = {"dataframe_split": {"columns": list(rows.columns), "data": rows.to_numpy().tolist()}}
    v2: dict[str, Any] = {
        "inputs": [
            {"name": c, "shape": [5], "datatype": "FP64", "data": rows[c].tolist()} for c in rows.columns
        ]
    }
    v2["parameters"] = {"content_type": "pd"}
    servers = [
        ServerProcess(booster_dir, "--name", "model", log=tmp_path / "booster.log", wait=False),
        ServerProcess(proba_dir, "--name", "model", "--workers", "2", log=tmp_path / "proba.log", wait=False),
    ]
    try:
        for server in servers:
            server.wait_ready()
        booster, proba = servers
        answer = requests.post(booster.url + "/invocations", json=split, timeout=30).json()
        np.testing.assert_allclose(answer["predictions"], expected, rtol=1e-6)
        out = requests.post(booster.url + "/v2/models/model/infer", json=v2, timeout=30).json()["outputs"][0]
        assert out["datatype"] == datatype and out["shape"] == [5]  # a binary objective: probabilities
        np.testing.assert_allclose(out["data"], expected, rtol=1e-6)

        out = requests.post(proba.url + "/v2/models/model/infer", json=v2, timeout=30).json()["outputs"][0]
        assert out["shape"] == [5, 3] and out["datatype"] == datatype
        np.testing.assert_allclose(
            np.asarray(out["data"]).reshape(5, 3), multi.predict_proba(rows), rtol=1e-6
        )
        bad = requests.post(
            proba.url + "/invocations",
            json={"dataframe_split": {"columns": ["f0"], "data": [[1.0]]}},
            timeout=30,
        )
        assert bad.status_code == 400 and bad.json()["error_code"] == "BAD_REQUEST"
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            assert server.stop() == 0, server.output()
