"""Saving and loading boosters (LightGBM's text file) and scikit-learn-API estimators (the
core's skops, cloudpickle and pickle formats), bad files and bad input as one-line errors,
and the plugin's contract."""

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
import pyfunc_lightgbm
from pyfunc_core.errors import InvalidInputError, InvalidParameterError, ModelLoadError

FORMATS = ["skops", "cloudpickle", "pickle"]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYFUNC_CORE_CACHE_DIR", str(tmp_path / "cache"))


def test_booster_is_saved_as_lightgbm_text(models: Any, data: Any, tmp_path: Path) -> None:
    pyfunc_lightgbm.save_model(models.booster, tmp_path / "m", input_example=data.X[:3])
    section = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())["flavors"]["lightgbm"]
    assert section["data"] == "model.lgb" and section["model_class"] == "lightgbm.basic.Booster"
    assert (tmp_path / "m" / "model.lgb").read_text().startswith("tree\n")
    model = pyfunc_core.load_model(tmp_path / "m")
    assert model.flavor.name == "lightgbm" and model.flavor.fork_safe is False
    np.testing.assert_allclose(model.predict(data.X[:20]), models.booster.predict(data.X[:20]), rtol=1e-9)
    assert (tmp_path / "m" / "requirements.txt").read_text().split()[0].startswith("lightgbm==")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("which", ["classifier", "regressor"])
def test_estimators_round_trip_in_every_format(
    models: Any, data: Any, tmp_path: Path, fmt: str, which: str
) -> None:
    native = getattr(models, which)
    pyfunc_lightgbm.save_model(native, tmp_path / "m", serialization_format=fmt, input_example=data.X[:3])
    meta = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    section = meta["flavors"]["lightgbm"]
    assert section["serialization_format"] == fmt
    assert section["data"] == {"skops": "model.skops"}.get(fmt, "model.pkl")
    assert meta["flavors"]["python_function"]["loader_module"] == "mlflow.lightgbm"
    if fmt == "skops":  # MLflow's own list, so MLflow loads it too
        assert "lightgbm.sklearn.LGBMClassifier" in section["skops_trusted_types"]
    model = pyfunc_core.load_model(tmp_path / "m")
    np.testing.assert_allclose(model.predict(data.X[:20]), native.predict(data.X[:20]), rtol=1e-9)
    assert type(pyfunc_lightgbm.load_model(tmp_path / "m")) is type(native)
    requirements = {r.split("==")[0] for r in (tmp_path / "m" / "requirements.txt").read_text().split()}
    assert {"lightgbm", "scikit-learn"} <= requirements
    assert ("skops" in requirements) == (fmt == "skops") and ("cloudpickle" in requirements) == (
        fmt == "cloudpickle"
    )


def test_predict_proba_serves_probabilities(models: Any, data: Any, tmp_path: Path) -> None:
    pyfunc_lightgbm.save_model(models.multi, tmp_path / "m", pyfunc_predict_fn="predict_proba")
    out = np.asarray(pyfunc_core.load_model(tmp_path / "m").predict(data.X[:10]))
    np.testing.assert_allclose(out, models.multi.predict_proba(data.X[:10]), rtol=1e-9)
    with pytest.raises(InvalidParameterError, match="not a method Booster serves"):
        pyfunc_lightgbm.save_model(models.booster, tmp_path / "b", pyfunc_predict_fn="predict_proba")
    with pytest.raises(InvalidParameterError, match="Unknown serialization_format 'joblib'"):
        pyfunc_lightgbm.save_model(models.classifier, tmp_path / "j", serialization_format="joblib")


def test_skops_trust_is_checked_and_code_types_refused(
    models: Any, tmp_path: Path, pyfunc_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The core's skops checks, with no serialization code in this plugin."""
    pyfunc_lightgbm.save_model(models.classifier, tmp_path / "m")
    mlmodel = tmp_path / "m" / "MLmodel"
    meta = yaml.safe_load(mlmodel.read_text())
    trusted = meta["flavors"]["lightgbm"]["skops_trusted_types"]

    def write(types: list[str]) -> None:
        meta["flavors"]["lightgbm"]["skops_trusted_types"] = types
        mlmodel.write_text(yaml.safe_dump(meta))

    write([t for t in trusted if t != "lightgbm.sklearn.LGBMClassifier"])
    with pytest.raises(ModelLoadError, match=r"not trusted: \['lightgbm.sklearn.LGBMClassifier'\]"):
        pyfunc_core.load_model(tmp_path / "m")
    info = json.loads(pyfunc_cli("info", "-m", str(tmp_path / "m"), "--json").output)
    assert info["format"]["format"] == "skops" and info["format"]["safety_check"] is False
    write([*trusted, "posix.system"])
    with pytest.raises(ModelLoadError, match="run code"):
        pyfunc_core.load_model(tmp_path / "m")
    monkeypatch.setenv("PYFUNC_CORE_ALLOW_CODE_TYPES", "1")
    assert pyfunc_core.load_model(tmp_path / "m").flavor.name == "lightgbm"


def test_damaged_file_and_bad_input_are_one_line(models: Any, data: Any, tmp_path: Path) -> None:
    pyfunc_lightgbm.save_model(models.classifier, tmp_path / "m", serialization_format="pickle")
    model = pyfunc_core.load_model(tmp_path / "m")
    with pytest.raises(InvalidInputError) as err:
        model.predict(data.X[["f0", "f1"]][:3].to_numpy())
    assert "LGBMClassifier.predict failed on the input" in str(err.value) and "\n" not in str(err.value)
    path = tmp_path / "m" / "model.pkl"
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(ModelLoadError) as err:
        pyfunc_core.load_model(tmp_path / "m")
    assert "model.pkl" in str(err.value) and "corrupted or truncated" in str(err.value)
    assert "\n" not in str(err.value)


def test_info_and_plugins_show_the_formats(models: Any, tmp_path: Path, pyfunc_cli: Any) -> None:
    pyfunc_lightgbm.save_model(models.booster, tmp_path / "m")
    out = pyfunc_cli("info", "-m", str(tmp_path / "m")).output
    assert "format:       lightgbm-text (model.lgb): safety check passed" in out
    listed = pyfunc_cli("plugins").output
    assert "flavors: lightgbm (formats: lightgbm-text, skops, cloudpickle, pickle)" in listed
    assert "formats: lightgbm-text" in listed


def test_entry_point_imports_no_lightgbm() -> None:
    code = (
        "import sys, pyfunc_lightgbm.plugin; print(sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('lightgbm', 'sklearn', 'skops', 'pandas', 'numpy')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"
