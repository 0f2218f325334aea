"""Saving and loading boosters and scikit-learn-API estimators in each XGBoost model file,
served predictions, bad files and bad input as one-line errors, and the plugin's contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import pyfunc_core
import pyfunc_xgboost
from pyfunc_core.errors import InvalidInputError, InvalidParameterError, ModelLoadError

FORMATS = ["ubj", "json", "xgb"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("which", ["booster", "classifier", "regressor"])
def test_round_trip_in_every_format(models: Any, data: Any, tmp_path: Path, fmt: str, which: str) -> None:
    native = getattr(models, which)
    pyfunc_xgboost.save_model(native, tmp_path / "m", model_format=fmt, input_example=data.X[:3])
    meta = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    section = meta["flavors"]["xgboost"]
    assert section["model_format"] == fmt and section["data"] == f"model.{fmt}"
    assert section["model_class"] == f"{type(native).__module__}.{type(native).__qualname__}"
    assert meta["flavors"]["python_function"] == {
        **meta["flavors"]["python_function"],
        "loader_module": "mlflow.xgboost",
        "data": f"model.{fmt}",
    }
    model = pyfunc_core.load_model(tmp_path / "m")
    assert model.flavor.name == "xgboost" and model.flavor.fork_safe is False
    expected = native.predict(__import__("xgboost").DMatrix(data.X[:20])) if which == "booster" else None
    if expected is None:
        expected = native.predict(data.X[:20])
    np.testing.assert_allclose(np.asarray(model.predict(data.X[:20])), expected, rtol=1e-6)
    assert type(pyfunc_xgboost.load_model(tmp_path / "m")) is type(native)
    requirements = (tmp_path / "m" / "requirements.txt").read_text().split()
    assert requirements[0].startswith("xgboost==")
    assert any(r.startswith("scikit-learn==") for r in requirements) == (which != "booster")


def test_predict_proba_serves_probabilities(models: Any, data: Any, tmp_path: Path) -> None:
    pyfunc_xgboost.save_model(models.multi, tmp_path / "m", pyfunc_predict_fn="predict_proba")
    out = np.asarray(pyfunc_core.load_model(tmp_path / "m").predict(data.X[:10]))
    assert out.shape == (10, 3)
    np.testing.assert_allclose(out, models.multi.predict_proba(data.X[:10]), rtol=1e-6)
    with pytest.raises(InvalidParameterError, match="not a method Booster serves"):
        pyfunc_xgboost.save_model(models.booster, tmp_path / "b", pyfunc_predict_fn="predict_proba")


def test_bad_arguments_are_refused(models: Any, tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="Unknown model_format 'bin'"):
        pyfunc_xgboost.save_model(models.booster, tmp_path / "a", model_format="bin")
    with pytest.raises(InvalidParameterError, match="Expected an xgboost Booster or XGBModel, got list"):
        pyfunc_xgboost.save_model([1], tmp_path / "b")


def test_only_xgboost_classes_are_built(models: Any, tmp_path: Path, pyfunc_cli: Any) -> None:
    """MLflow builds whatever model_class MLmodel names; we build XGBoost model classes only."""
    pyfunc_xgboost.save_model(models.booster, tmp_path / "m")
    mlmodel = tmp_path / "m" / "MLmodel"
    mlmodel.write_text(mlmodel.read_text().replace("xgboost.core.Booster", "subprocess.Popen"))
    with pytest.raises(
        ModelLoadError, match=r"names model_class 'subprocess\.Popen', which is not an XGBoost"
    ):
        pyfunc_core.load_model(tmp_path / "m")
    info = json.loads(pyfunc_cli("info", "-m", str(tmp_path / "m"), "--json").output)
    assert info["format"]["safety_check"] is False


def test_damaged_file_and_bad_input_are_one_line(models: Any, data: Any, tmp_path: Path) -> None:
    pyfunc_xgboost.save_model(models.classifier, tmp_path / "m", model_format="json")
    model = pyfunc_core.load_model(tmp_path / "m")
    with pytest.raises(InvalidInputError) as err:
        model.predict(data.X[["f0", "f1"]][:3])
    assert "XGBClassifier.predict failed on the input" in str(err.value) and "\n" not in str(err.value)
    (tmp_path / "m" / "model.json").write_text('{"learner": ')
    with pytest.raises(ModelLoadError) as err:
        pyfunc_core.load_model(tmp_path / "m")
    assert "model.json" in str(err.value) and "cannot be read as xgboost-json" in str(err.value)
    assert "\n" not in str(err.value)


def test_info_and_plugins_show_the_format(models: Any, tmp_path: Path, pyfunc_cli: Any) -> None:
    pyfunc_xgboost.save_model(models.booster, tmp_path / "m")
    out = pyfunc_cli("info", "-m", str(tmp_path / "m")).output
    assert "format:       xgboost-ubj (model.ubj): safety check passed" in out
    listed = pyfunc_cli("plugins").output
    assert "flavors: xgboost (formats: xgboost-ubj, xgboost-json, xgboost-xgb)" in listed
    assert "formats: xgboost-json, xgboost-ubj, xgboost-xgb" in listed


def test_entry_point_imports_no_xgboost() -> None:
    code = "import sys, pyfunc_xgboost.plugin; print(sorted(m for m in sys.modules if m.split('.')[0] in ('xgboost', 'sklearn', 'pandas', 'numpy')))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"
