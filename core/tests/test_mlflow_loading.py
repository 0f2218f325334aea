"""What a model directory tells about MLflow loading it, without MLflow: the ``info`` verdicts,
the ``_load_pyfunc`` entry point MLflow calls, and requirements inferred from pickles."""

from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pytest

import pyfunc_core.python_model
from pyfunc_core.model.mlflow_loading import mlflow_loading
from pyfunc_core.model.mlmodel import ModelDirectory
from pyfunc_core.python_model.flavor import save_model


def model_dir(path: Path, pyfunc: dict[str, Any] | None, requirements: str = "") -> ModelDirectory:
    import yaml

    path.mkdir()
    flavors = {"python_function": pyfunc} if pyfunc is not None else {"keras": {"data": "data"}}
    (path / "MLmodel").write_text(yaml.safe_dump({"flavors": flavors}), encoding="utf-8")
    (path / "requirements.txt").write_text(requirements, encoding="utf-8")
    return ModelDirectory.open(path)


@pytest.mark.parametrize(
    ("pyfunc", "requirements", "expected"),
    [
        (
            {"loader_module": "mlflow.sklearn", "predict_fn": "predict_proba"},
            "mlflow==3.17.2\nscikit-learn==1.9.1\ncloudpickle==3.1.3\n",
            "loads with mlflow.sklearn (needs scikit-learn, cloudpickle); "
            "MLflow 3 asks for MLFLOW_ALLOW_PICKLE_DESERIALIZATION=true",
        ),
        (
            {"loader_module": "mlflow.sklearn", "predict_fn": "score_samples"},
            "scikit-learn==1.9.1\n",
            "loads only natively, with mlflow.sklearn.load_model (needs scikit-learn); MLflow's pyfunc "
            "wrapper has no score_samples(); MLflow 3 asks for MLFLOW_ALLOW_PICKLE_DESERIALIZATION=true",
        ),
        (
            {"loader_module": "mlflow.keras"},
            "keras==3.15.1\ncloudpickle==3.1.3\n",
            "loads with mlflow.keras (needs keras, cloudpickle); "
            "MLflow 3 asks for MLFLOW_ALLOW_PICKLE_DESERIALIZATION=true",
        ),
        (
            {"loader_module": "mlflow.tensorflow"},
            "tensorflow==2.21.0\n",
            "loads with mlflow.tensorflow (needs tensorflow)",
        ),
        (
            {"loader_module": "pyfunc_core.python_model"},
            "cloudpickle==3.1.3\npyfunc-core==0.1.0\n",
            "loads in MLflow with pyfunc-core installed (needs cloudpickle)",
        ),
        (
            {"loader_module": "pyfunc_sklearn"},
            "scikit-learn==1.9.1\n",
            "MLflow cannot load it; its loader_module pyfunc_sklearn is not one of MLflow's; "
            "re-save it with the current plugin",
        ),
        (None, "", "MLflow cannot load it; it has no python_function flavor"),
    ],
)
def test_verdicts(tmp_path: Path, pyfunc: dict[str, Any] | None, requirements: str, expected: str) -> None:
    assert mlflow_loading(model_dir(tmp_path / "m", pyfunc, requirements)).describe() == expected


class Configured(pyfunc_core.python_model.PythonModel):
    def load_context(self, context: Any) -> None:
        self.n = context.model_config["n"]

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return model_input + self.n


def test_load_pyfunc_is_mlflows_entry_point(tmp_path: Path) -> None:
    """What mlflow.pyfunc.load_model calls: the directory, and the effective model_config if any."""
    save_model(tmp_path / "m", Configured(), model_config={"n": 1})
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    loaded = pyfunc_core.python_model._load_pyfunc(str(tmp_path / "m"))
    assert loaded.predict(frame, params=None)["x"].tolist() == [2.0, 3.0]
    overridden = pyfunc_core.python_model._load_pyfunc(str(tmp_path / "m"), {"n": 10})
    assert overridden.predict(frame)["x"].tolist() == [11.0, 12.0]


def test_load_pyfunc_puts_the_code_directory_on_sys_path(tmp_path: Path) -> None:
    code = tmp_path / "src"
    code.mkdir()
    (code / "mlflow_loading_helper.py").write_text("OFFSET = 5\n", encoding="utf-8")
    save_model(
        tmp_path / "m", Configured(), model_config={"n": 0}, code_paths=[code / "mlflow_loading_helper.py"]
    )
    shipped = str((tmp_path / "m" / "code").resolve())
    try:
        pyfunc_core.python_model._load_pyfunc(str(tmp_path / "m"))
        assert shipped in sys.path
    finally:
        if shipped in sys.path:
            sys.path.remove(shipped)


class HoldsAScaler(pyfunc_core.python_model.PythonModel):
    def __init__(self, scaler: Any) -> None:
        self.scaler = scaler

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return self.scaler.transform(model_input)


def test_requirements_name_what_unpickling_imports(tmp_path: Path, pyfunc_cli: Callable) -> None:
    """A PythonModel holding a scikit-learn object needs scikit-learn to load, here or in MLflow;
    numpy (which scikit-learn pulls in) is not listed, and an explicit list is kept as given."""
    sklearn = pytest.importorskip("sklearn.preprocessing")
    scaler = sklearn.StandardScaler().fit([[0.0], [2.0]])
    save_model(tmp_path / "inferred", HoldsAScaler(scaler))
    lines = (tmp_path / "inferred" / "requirements.txt").read_text(encoding="utf-8").split()
    assert lines == [
        f"cloudpickle=={metadata.version('cloudpickle')}",
        f"scikit-learn=={metadata.version('scikit-learn')}",
        f"pyfunc-core=={metadata.version('pyfunc-core')}",
    ]
    info = json.loads(pyfunc_cli("info", "-m", str(tmp_path / "inferred"), "--json").output)
    assert info["mlflow"]["needs"] == ["cloudpickle", "scikit-learn"]

    save_model(tmp_path / "given", HoldsAScaler(scaler), pip_requirements=["scikit-learn>=1.2"])
    given = (tmp_path / "given" / "requirements.txt").read_text(encoding="utf-8").split()
    assert given == ["scikit-learn>=1.2", f"pyfunc-core=={metadata.version('pyfunc-core')}"]
