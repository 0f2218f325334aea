"""The door the other way: directories written by ``pyfunc_sklearn.save_model`` load in MLflow
3.x, in a virtualenv without any pyfunc distribution, with ``mlflow.pyfunc.load_model``,
``mlflow.sklearn.load_model`` and ``mlflow.models.validate_serving_input``, and predict what we
predict (floats within a tolerance, labels exactly), for every format and option we offer."""

from __future__ import annotations

import json
import textwrap
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import pyfunc_core
import pyfunc_sklearn
from loads_ours import load_ours_with_mlflow, shipped_module
from pyfunc_core.codecs.json_codec import decode_json_payload
from pyfunc_core.schema import ModelSignature, infer_schema

LOAD_OURS = Path(__file__).parent / "mlflow_side" / "load_ours.py"
TREE = ["sklearn.tree._tree.Tree"]
SCRIPT_TIMEOUT = 600
#: A custom estimator shipped with the model through code_paths (MLflow's venv cannot import it otherwise).
SHIPPED = textwrap.dedent(
    """
    import numpy as np
    from sklearn.base import BaseEstimator, TransformerMixin


    class Doubler(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None):
            return self

        def transform(self, X):
            return np.asarray(X, dtype=float) * 2.0
    """
)


def encode(value: Any) -> dict[str, Any]:
    if isinstance(value, pd.DataFrame):
        return {
            "kind": "dataframe",
            "columns": list(value.columns),
            "dtypes": [str(t) for t in value.dtypes],
            "data": value.astype(object).values.tolist(),
        }
    return {"kind": "ndarray", "dtype": str(value.dtype), "data": value.tolist()}


def assert_same(ours: Any, theirs: Any) -> None:
    ours = np.asarray(ours.to_numpy() if hasattr(ours, "to_numpy") else ours)
    theirs = np.asarray(theirs)
    assert ours.shape == theirs.shape
    if ours.dtype.kind == "f":  # the other venv's BLAS may round differently
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    else:
        assert ours.tolist() == theirs.tolist()


def _cases(data: Any, est: Any, shipped: Any) -> dict[str, tuple[Any, dict[str, Any], Any]]:
    """name -> (estimator, save_model kwargs, test input)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    X, Xdf, mixed = data.X[:20], data.Xdf[:20], data.mixed[:20]
    shipped_pipe = Pipeline([("double", shipped.Doubler()), ("clf", LogisticRegression(max_iter=500))])
    shipped_pipe.fit(data.X, data.y_cls)
    explicit = ModelSignature(infer_schema(data.X[:5]), infer_schema(est.gbr.predict(data.X[:5])))
    code = [shipped.__file__]
    return {
        "logreg_cloudpickle": (est.logreg, {"input_example": data.X[:3]}, X),
        "logreg_named_pickle_proba": (
            est.logreg_named,
            {
                "serialization_format": "pickle",
                "pyfunc_predict_fn": "predict_proba",
                "input_example": Xdf[:3],
            },
            Xdf,
        ),
        "forest_skops_trusted_proba": (
            est.forest,
            {
                "serialization_format": "skops",
                "skops_trusted_types": TREE,
                "pyfunc_predict_fn": "predict_proba",
                "input_example": data.X[:3],
            },
            X,
        ),
        "gbr_pickle_signature": (est.gbr, {"serialization_format": "pickle", "signature": explicit}, X),
        "pipeline_skops_example": (
            est.pipeline,
            {"serialization_format": "skops", "input_example": mixed[:3]},
            mixed,
        ),
        "pipeline_cloudpickle_log_proba": (
            est.pipeline,
            {"pyfunc_predict_fn": "predict_log_proba", "input_example": mixed[:3]},
            mixed,
        ),
        "kmeans_pickle": (est.kmeans, {"serialization_format": "pickle"}, X),
        "naive_bayes_joint_log_proba": (
            est.naive_bayes,
            {"serialization_format": "skops", "pyfunc_predict_fn": "predict_joint_log_proba"},
            X,
        ),
        "shipped_cloudpickle_code_paths": (
            shipped_pipe,
            {"code_paths": code, "input_example": data.X[:3]},
            X,
        ),
        "shipped_skops_code_paths": (
            shipped_pipe,
            {
                "serialization_format": "skops",
                "skops_trusted_types": ["shipped_sklearn_code.Doubler"],
                "code_paths": code,
                "input_example": data.X[:3],
            },
            X,
        ),
        # MLflow's pyfunc wrapper has no decision_function: only mlflow.sklearn.load_model works
        "logreg_decision_function": (est.logreg, {"pyfunc_predict_fn": "decision_function"}, X),
    }


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Any:
    yield from shipped_module(tmp_path_factory.mktemp("shipped-code"), "shipped_sklearn_code", SHIPPED)


@pytest.fixture(scope="module")
def loaded_by_mlflow(
    tmp_path_factory: pytest.TempPathFactory, mlflow_python: Path, data: Any, estimators: Any, shipped: Any
) -> dict[str, Any]:
    """Our directories, our own predictions for them, and what MLflow's venv made of them."""
    root = tmp_path_factory.mktemp("ours-for-mlflow")
    cases, ours = {}, {}
    for name, (estimator, kwargs, test_input) in _cases(data, estimators, shipped).items():
        pyfunc_sklearn.save_model(estimator, root / name, **kwargs)
        predict_fn = kwargs.get("pyfunc_predict_fn", "predict")
        cases[name] = {"input": encode(test_input), "predict_fn": predict_fn}
        ours[name] = {"input": test_input, "native": getattr(estimator, predict_fn)(test_input)}
    results = load_ours_with_mlflow(mlflow_python, LOAD_OURS, root, cases, SCRIPT_TIMEOUT)
    return {"root": root, "ours": ours, **results}


def test_mlflow_venv_has_no_pyfunc_distribution(loaded_by_mlflow: dict[str, Any]) -> None:
    assert loaded_by_mlflow["ours_importable"] == []
    assert loaded_by_mlflow["mlflow_version"].startswith("3.")


CASES = [
    "logreg_cloudpickle",
    "logreg_named_pickle_proba",
    "forest_skops_trusted_proba",
    "gbr_pickle_signature",
    "pipeline_skops_example",
    "pipeline_cloudpickle_log_proba",
    "kmeans_pickle",
    "naive_bayes_joint_log_proba",
    "shipped_cloudpickle_code_paths",
    "shipped_skops_code_paths",
]


@pytest.mark.parametrize("case", CASES)
def test_mlflow_pyfunc_and_native_predict_what_we_predict(
    loaded_by_mlflow: dict[str, Any], case: str
) -> None:
    root, ours = loaded_by_mlflow["root"], loaded_by_mlflow["ours"][case]
    theirs = loaded_by_mlflow["cases"][case]
    model = pyfunc_core.load_model(root / case)  # our own loading keeps working
    assert model.flavor.name == "sklearn"
    ours_pyfunc = model.predict(ours["input"])
    assert "ok" in theirs["pyfunc"], theirs["pyfunc"]
    assert_same(ours_pyfunc, theirs["pyfunc"]["ok"])
    assert "ok" in theirs["native"], theirs["native"]
    assert_same(ours["native"], theirs["native"]["ok"])


WITH_EXAMPLE = [
    "logreg_cloudpickle",
    "logreg_named_pickle_proba",
    "forest_skops_trusted_proba",
    "pipeline_skops_example",
    "pipeline_cloudpickle_log_proba",
    "shipped_cloudpickle_code_paths",
    "shipped_skops_code_paths",
]


@pytest.mark.parametrize("case", WITH_EXAMPLE)
def test_validate_serving_input_passes_on_our_serving_example(
    loaded_by_mlflow: dict[str, Any], case: str
) -> None:
    root = loaded_by_mlflow["root"]
    result = loaded_by_mlflow["cases"][case].get("validate_serving_input")
    example = (root / case / "serving_input_example.json").read_text(encoding="utf-8")
    assert result is not None and "ok" in result, result
    model = pyfunc_core.load_model(root / case)  # the same JSON body, decoded as our server decodes it
    request = decode_json_payload(json.loads(example), model.metadata.get_input_schema())
    assert_same(model.predict(request.data, request.params), result["ok"])


def test_decision_function_loads_natively_but_not_as_mlflow_pyfunc(
    loaded_by_mlflow: dict[str, Any], pyfunc_cli: Any
) -> None:
    case = "logreg_decision_function"
    theirs = loaded_by_mlflow["cases"][case]
    assert "decision_function" in theirs["pyfunc"]["error"]
    assert_same(loaded_by_mlflow["ours"][case]["native"], theirs["native"]["ok"])
    info = pyfunc_cli("info", "-m", str(loaded_by_mlflow["root"] / case))
    assert "mlflow:       loads only natively, with mlflow.sklearn.load_model" in info.output
    assert "MLflow's pyfunc wrapper has no decision_function()" in info.output


def test_requirements_pin_what_loading_needs(loaded_by_mlflow: dict[str, Any]) -> None:
    root = loaded_by_mlflow["root"]
    sk = f"scikit-learn=={metadata.version('scikit-learn')}"
    cp = f"cloudpickle=={metadata.version('cloudpickle')}"
    skops = f"skops=={metadata.version('skops')}"
    assert (root / "logreg_cloudpickle" / "requirements.txt").read_text().split() == [sk, cp]
    assert (root / "kmeans_pickle" / "requirements.txt").read_text().split() == [sk]
    assert (root / "forest_skops_trusted_proba" / "requirements.txt").read_text().split() == [sk, skops]


def test_info_says_mlflow_loads_it_and_what_it_needs(
    loaded_by_mlflow: dict[str, Any], pyfunc_cli: Any
) -> None:
    path = loaded_by_mlflow["root"] / "forest_skops_trusted_proba"
    lines = pyfunc_cli("info", "-m", str(path)).output.splitlines()
    assert "loader:       mlflow.sklearn -> sklearn" in lines
    assert (
        "mlflow:       loads with mlflow.sklearn (needs scikit-learn, skops); "
        "MLflow 3 asks for MLFLOW_ALLOW_PICKLE_DESERIALIZATION=true"
    ) in lines
    data = json.loads(pyfunc_cli("info", "-m", str(path), "--json").output)
    assert data["mlflow"]["pyfunc"] is True
    assert data["mlflow"]["native"] == "mlflow.sklearn.load_model"
    assert data["mlflow"]["needs"] == ["scikit-learn", "skops"]
