"""Saving real estimators in each format and loading them back, natively and as pyfunc."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import sklearn
import yaml

import pyfunc_core
import pyfunc_sklearn
from pyfunc_core.errors import InvalidParameterError

TREE = ["sklearn.tree._tree.Tree"]


def _existing(*names: str) -> list[str]:
    """Those of ``names`` (``module.Class``) this scikit-learn has."""
    found = []
    for name in names:
        module, _, attr = name.rpartition(".")
        try:
            if hasattr(importlib.import_module(module), attr):
                found.append(name)
        except ImportError:
            continue
    return found


# Types skops does not trust by default that only some scikit-learn versions write: the
# gradient-boosting loss object before 1.4, a ColumnTransformer's remainder list in 1.5-1.6.
GB_LOSS = _existing("sklearn.ensemble._gb_losses.LeastSquaresError")
REMAINDER = _existing("sklearn.compose._column_transformer._RemainderColsList") or None
FORMATS = ["cloudpickle", "pickle", "skops"]

# name -> (estimator attribute, training data attribute, skops trusted types)
KINDS = {
    "logreg": ("logreg", "X", None),
    "forest": ("forest", "X", TREE),
    "gbr": ("gbr", "X", TREE + GB_LOSS),
    "kmeans": ("kmeans", "X", None),
    "pipeline": ("pipeline", "mixed", REMAINDER),
}


def _saved(save: Callable, estimators: Any, kind: str, fmt: str) -> Path:
    attr, _, trusted = KINDS[kind]
    kwargs: dict[str, Any] = {"serialization_format": fmt}
    if fmt == "skops" and trusted:
        kwargs["skops_trusted_types"] = trusted
    return save(f"{kind}-{fmt}", getattr(estimators, attr), **kwargs)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", list(KINDS))
def test_round_trip(save: Callable, estimators: Any, data: Any, kind: str, fmt: str) -> None:
    attr, data_attr, _ = KINDS[kind]
    estimator = getattr(estimators, attr)
    X = getattr(data, data_attr)[:30]
    path = _saved(save, estimators, kind, fmt)

    native = pyfunc_sklearn.load_model(path)
    assert type(native) is type(estimator)
    assert native.predict(X).tolist() == estimator.predict(X).tolist()

    model = pyfunc_core.load_model(path)
    assert model.flavor.name == "sklearn"
    assert type(model.get_raw_model()) is type(estimator)
    out = model.predict(X)
    assert isinstance(out, np.ndarray)
    assert out.tolist() == estimator.predict(X).tolist()


@pytest.mark.parametrize("fmt", FORMATS)
def test_mlmodel_layout(save: Callable, estimators: Any, fmt: str) -> None:
    path = _saved(save, estimators, "forest", fmt)
    meta = yaml.safe_load((path / "MLmodel").read_text())
    model_file = "model.skops" if fmt == "skops" else "model.pkl"
    assert meta["flavors"]["sklearn"] == {
        "pickled_model": model_file,
        "sklearn_version": sklearn.__version__,
        "serialization_format": fmt,
        "code": None,
        "skops_trusted_types": TREE if fmt == "skops" else None,
    }
    pyfunc = meta["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "mlflow.sklearn"  # MLflow loads it without our plugin
    assert pyfunc["model_path"] == model_file
    assert pyfunc["predict_fn"] == "predict"
    assert pyfunc["env"] == {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
    assert (path / model_file).is_file()
    for name in ("requirements.txt", "python_env.yaml", "conda.yaml"):
        assert (path / name).is_file()


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("cloudpickle", {"scikit-learn", "cloudpickle"}),
        ("pickle", {"scikit-learn"}),
        ("skops", {"scikit-learn", "skops"}),
    ],
)
def test_default_requirements_are_pinned(
    save: Callable, estimators: Any, fmt: str, expected: set[str]
) -> None:
    from importlib import metadata

    path = _saved(save, estimators, "forest", fmt)
    lines = (path / "requirements.txt").read_text().split()
    assert {line.split("==")[0] for line in lines} == expected
    for line in lines:
        name, _, version = line.partition("==")
        assert version == metadata.version(name)


def test_requirement_overrides_code_paths_and_metadata(tmp_path: Path, estimators: Any, data: Any) -> None:
    helper = tmp_path / "helpers"
    helper.mkdir()
    (helper / "sk_feature_helpers.py").write_text("SCALE = 2\n")
    path = tmp_path / "model"
    pyfunc_sklearn.save_model(
        estimators.logreg,
        path,
        code_paths=[helper],
        extra_pip_requirements=["requests>=2"],
        metadata={"owner": "team-a"},
    )
    meta = yaml.safe_load((path / "MLmodel").read_text())
    assert meta["flavors"]["sklearn"]["code"] == "code"
    assert meta["flavors"]["python_function"]["code"] == "code"
    assert (path / "code" / "helpers" / "sk_feature_helpers.py").is_file()
    assert meta["metadata"] == {"owner": "team-a"}
    assert "requests>=2" in (path / "requirements.txt").read_text().split()
    model = pyfunc_core.load_model(path)
    assert model.metadata.metadata == {"owner": "team-a"}
    assert model.predict(data.X[:3]).shape == (3,)

    replaced = tmp_path / "replaced"
    pyfunc_sklearn.save_model(estimators.logreg, replaced, pip_requirements=["scikit-learn>=1.2"])
    assert (replaced / "requirements.txt").read_text().split() == ["scikit-learn>=1.2"]


def test_save_refuses_bad_arguments(tmp_path: Path, estimators: Any, save: Callable) -> None:
    with pytest.raises(InvalidParameterError, match="serialization_format 'joblib'"):
        pyfunc_sklearn.save_model(estimators.logreg, tmp_path / "a", serialization_format="joblib")
    with pytest.raises(InvalidParameterError, match="only to serialization_format='skops'"):
        pyfunc_sklearn.save_model(estimators.logreg, tmp_path / "b", skops_trusted_types=TREE)
    existing = save("logreg-existing", estimators.logreg)
    with pytest.raises(FileExistsError):
        pyfunc_sklearn.save_model(estimators.logreg, existing)
    for name in ("a", "b"):
        assert not (tmp_path / name).exists()


def test_skops_save_names_types_to_trust(tmp_path: Path, estimators: Any) -> None:
    with pytest.raises(InvalidParameterError) as err:
        pyfunc_sklearn.save_model(estimators.forest, tmp_path / "m", serialization_format="skops")
    assert "sklearn.tree._tree.Tree" in str(err.value)
    assert "skops_trusted_types=['sklearn.tree._tree.Tree']" in str(err.value)
    assert not (tmp_path / "m").exists()  # the half-written directory is removed


def test_lambda_needs_cloudpickle(tmp_path: Path, data: Any) -> None:
    """skops refuses what it cannot represent safely; cloudpickle saves it."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    pipe = make_pipeline(FunctionTransformer(lambda x: x * 2), LogisticRegression(max_iter=500))
    pipe.fit(data.X, data.y_cls)
    with pytest.raises(InvalidParameterError, match="cloudpickle"):
        pyfunc_sklearn.save_model(pipe, tmp_path / "skops", serialization_format="skops")
    pyfunc_sklearn.save_model(pipe, tmp_path / "cp")
    assert (
        pyfunc_core.load_model(tmp_path / "cp").predict(data.X[:5]).tolist()
        == pipe.predict(data.X[:5]).tolist()
    )
