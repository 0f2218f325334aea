"""Model directories written by MLflow's own ``mlflow.sklearn.save_model`` load here and
predict exactly what MLflow predicts (value for value), in every format MLflow writes."""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
import pytest
import yaml

import pyfunc_core
import pyfunc_sklearn
from pyfunc_core.errors import InvalidInputError
from pyfunc_sklearn.predictor import SklearnPredictor
from pyfunc_sklearn.snapshot import SnapshotPredictor

TREE = ["sklearn.tree._tree.Tree"]
CASES = [
    "logreg_skops_default",
    "logreg_skops_example",
    "logreg_cloudpickle",
    "logreg_pickle_named",
    "logreg_cloudpickle_proba",
    "forest_skops_proba",
    "forest_pickle_log_proba",
    "gbr_cloudpickle_example",
    "gbr_skops",
    "pipeline_skops_example",
    "pipeline_cloudpickle",
    "pipeline_pickle_proba",
    "kmeans_skops",
    "kmeans_pickle_example",
]


def test_every_case_was_written(mlflow_models: dict[str, Any]) -> None:
    assert sorted(mlflow_models["cases"]) == sorted(CASES)
    formats = set()
    for name in CASES:
        meta = yaml.safe_load((mlflow_models["root"] / name / "MLmodel").read_text())
        assert meta["flavors"]["python_function"]["loader_module"] == "mlflow.sklearn"
        assert meta["mlflow_version"] == mlflow_models["mlflow_version"]
        formats.add(meta["flavors"]["sklearn"]["serialization_format"])
    assert formats == {"skops", "cloudpickle", "pickle"}


def test_mlflow_default_format_is_skops(mlflow_models: dict[str, Any]) -> None:
    meta = yaml.safe_load((mlflow_models["root"] / "logreg_skops_default" / "MLmodel").read_text())
    assert meta["flavors"]["sklearn"]["serialization_format"] == "skops"
    assert "signature" not in meta


@pytest.mark.parametrize("case", CASES)
def test_predictions_match_mlflow(mlflow_models: dict[str, Any], decode: Callable, case: str) -> None:
    record = mlflow_models["cases"][case]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = pyfunc_core.load_model(mlflow_models["root"] / case)
        assert model.flavor.name == "sklearn"
        # a linear model or forest loaded before in this session is served from its snapshot
        assert isinstance(model.model_impl, (SklearnPredictor, SnapshotPredictor))
        predictions = model.predict(decode(record["input"]))
    # same scikit-learn on both sides: no version warning, no feature-name warnings
    noise = [
        str(w.message)
        for w in caught
        if "scikit-learn" in str(w.message) or "feature names" in str(w.message)
    ]
    assert noise == []
    assert isinstance(predictions, np.ndarray)  # MLflow's wrapper returns the raw array too
    expected = np.asarray(record["predictions"])
    assert predictions.shape == expected.shape
    if expected.dtype.kind == "f":  # probabilities: the other venv's BLAS may round differently
        np.testing.assert_allclose(predictions, expected, rtol=1e-9, atol=1e-12)
    else:
        assert predictions.tolist() == expected.tolist()


@pytest.mark.parametrize("case", ["logreg_skops_example", "forest_skops_proba", "pipeline_pickle_proba"])
def test_native_load_model(mlflow_models: dict[str, Any], decode: Callable, case: str) -> None:
    estimator = pyfunc_sklearn.load_model(mlflow_models["root"] / case)
    meta = yaml.safe_load((mlflow_models["root"] / case / "MLmodel").read_text())
    method = getattr(estimator, meta["flavors"]["python_function"]["predict_fn"])
    assert (
        method(decode(mlflow_models["cases"][case]["input"])).tolist()
        == (mlflow_models["cases"][case]["predictions"])
    )


def test_mlflow_signature_enforced(mlflow_models: dict[str, Any]) -> None:
    """MLflow's column signature for the mixed pipeline is enforced on our side too."""
    model = pyfunc_core.load_model(mlflow_models["root"] / "pipeline_skops_example")
    inputs = model.metadata.get_input_schema()
    assert inputs.input_names() == ["age", "income", "city", "plan"]
    with pytest.raises(InvalidInputError, match="missing inputs"):
        model.predict({"age": [30], "income": [1.0], "city": ["nice"]})


def test_our_mlmodel_has_mlflow_keys(mlflow_models: dict[str, Any], save: Callable, estimators: Any) -> None:
    """Our MLmodel's flavor sections carry the same keys as MLflow's, in the same meaning."""
    ours_path = save(
        "forest_skops_keys", estimators.forest, serialization_format="skops", skops_trusted_types=TREE
    )
    ours = yaml.safe_load((ours_path / "MLmodel").read_text())["flavors"]
    theirs = yaml.safe_load((mlflow_models["root"] / "forest_skops_proba" / "MLmodel").read_text())["flavors"]
    assert set(ours["sklearn"]) == set(theirs["sklearn"])
    assert set(ours["python_function"]) == set(theirs["python_function"])
    for key in ("pickled_model", "serialization_format", "sklearn_version", "skops_trusted_types", "code"):
        assert ours["sklearn"][key] == theirs["sklearn"][key]
    assert ours["python_function"]["model_path"] == theirs["python_function"]["model_path"]
    assert (
        ours["python_function"]["loader_module"]
        == theirs["python_function"]["loader_module"]
        == "mlflow.sklearn"
    )
