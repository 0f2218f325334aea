"""Each ``pyfunc_predict_fn`` is written to MLmodel and used by the loaded model."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

import pyfunc_core
import pyfunc_sklearn
from pyfunc_core.errors import InvalidParameterError, ModelLoadError

CASES = [
    ("predict", "kmeans", "skops"),
    ("predict_proba", "logreg", "cloudpickle"),
    ("predict_log_proba", "forest", "pickle"),
    ("predict_joint_log_proba", "naive_bayes", "skops"),
    ("decision_function", "logreg", "skops"),
    ("score_samples", "mixture", "cloudpickle"),
]


@pytest.mark.parametrize(("fn", "kind", "fmt"), CASES)
def test_predict_fn_is_used(save: Callable, estimators: Any, data: Any, fn: str, kind: str, fmt: str) -> None:
    estimator = getattr(estimators, kind)
    path = save(f"{kind}-{fmt}-{fn}", estimator, serialization_format=fmt, pyfunc_predict_fn=fn,
                input_example=data.X[:4])  # fmt: skip
    meta = yaml.safe_load((path / "MLmodel").read_text())
    assert meta["flavors"]["python_function"]["predict_fn"] == fn
    model = pyfunc_core.load_model(path)
    assert model.model_impl.predict_fn == fn
    expected = getattr(estimator, fn)(data.X[:20])
    assert model.predict(data.X[:20]).tolist() == expected.tolist()
    # the output schema was inferred from the chosen method
    outputs = model.metadata.get_output_schema()
    assert outputs is not None and outputs.inputs[0].shape == (-1, *expected.shape[1:])


def test_unsupported_predict_fn_refused_at_save(tmp_path: Path, estimators: Any) -> None:
    with pytest.raises(InvalidParameterError, match="Unsupported pyfunc_predict_fn 'transform'"):
        pyfunc_sklearn.save_model(estimators.kmeans, tmp_path / "m", pyfunc_predict_fn="transform")


def test_missing_method_refused_at_save(tmp_path: Path, estimators: Any) -> None:
    with pytest.raises(InvalidParameterError) as err:
        pyfunc_sklearn.save_model(estimators.forest, tmp_path / "m", pyfunc_predict_fn="decision_function")
    assert "RandomForestClassifier has no decision_function()" in str(err.value)
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        ("decision_function", "'decision_function', but RandomForestClassifier has no decision_function()"),
        ("transform", "Unsupported predict_fn 'transform'"),
    ],
)
def test_bad_predict_fn_refused_at_load(
    save: Callable, estimators: Any, copy_model: Callable, edit: Callable, fn: str, message: str
) -> None:
    path = copy_model(save("forest-pickle", estimators.forest, serialization_format="pickle"))
    edit(path, lambda m: m["flavors"]["python_function"].update(predict_fn=fn))
    with pytest.raises(ModelLoadError) as err:
        pyfunc_core.load_model(path)
    assert message in str(err.value)
