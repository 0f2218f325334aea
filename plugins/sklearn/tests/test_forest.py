"""A forest predicted tree by tree (no joblib dispatch) answers what scikit-learn answers."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)

from pyfunc_core.errors import InvalidInputError
from pyfunc_sklearn import SklearnPredictor
from pyfunc_sklearn.forest import forest_method

CLASSIFIERS = (RandomForestClassifier, ExtraTreesClassifier)
REGRESSORS = (RandomForestRegressor, ExtraTreesRegressor)


def _fit(cls: Any, *, frame: bool = False, **kwargs: Any) -> tuple[Any, Any]:
    X, y = (load_iris if cls in CLASSIFIERS else load_diabetes)(return_X_y=True, as_frame=frame)
    return cls(n_estimators=15, random_state=0, **kwargs).fit(X, y), X


def _same(ours: Any, theirs: Any) -> None:
    # The same operations in the same order; a tolerance all the same (no bit-exact floats).
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    if ours.dtype.kind == "f":
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
    else:
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("cls", CLASSIFIERS + REGRESSORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("rows", [1, 7, 150])
def test_the_tree_loop_answers_as_scikit_learn(cls: Any, rows: int) -> None:
    est, X = _fit(cls)
    fns = ["predict", "predict_proba"] if cls in CLASSIFIERS else ["predict"]
    for fn in fns:
        assert forest_method(est, fn, getattr(est, fn)) is not None
        predictor = SklearnPredictor(est, fn)
        _same(predictor.predict(X[:rows]), getattr(est, fn)(X[:rows]))
        _same(predictor.predict(X[:rows].astype(np.float32)), getattr(est, fn)(X[:rows]))
        _same(predictor.predict(pd.DataFrame(X[:rows])), getattr(est, fn)(X[:rows]))


def test_integer_input_and_a_forest_fitted_on_named_columns() -> None:
    est, X = _fit(RandomForestClassifier, frame=True)
    predictor = SklearnPredictor(est, "predict_proba")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no feature-name warnings on the fast path
        _same(predictor.predict(X[:40]), est.predict_proba(X[:40]))
        reordered = X[list(reversed(X.columns))][:40]
        _same(predictor.predict(reordered), est.predict_proba(X[:40]))
        ints = X[:40].round().astype(np.int64)
        _same(predictor.predict(ints), est.predict_proba(ints))


def test_input_the_loop_does_not_take_goes_to_scikit_learn() -> None:
    est, X = _fit(RandomForestRegressor)
    predictor = SklearnPredictor(est)
    bad = X[:3].copy()
    bad[1, 2] = np.nan
    try:  # forests that learned no missing values reject NaN; newer ones may accept it
        expected = est.predict(bad)
    except ValueError as exc:
        with pytest.raises(InvalidInputError, match=r"RandomForestRegressor\.predict failed") as err:
            predictor.predict(bad)
        assert str(exc).splitlines()[0] in str(err.value)
    else:
        _same(predictor.predict(bad), expected)
    huge = X[:2].copy()
    huge[0, 0] = 1e300  # beyond float32
    with pytest.raises(InvalidInputError, match="too large"):
        predictor.predict(huge)
    with pytest.raises(InvalidInputError, match="features"):
        predictor.predict(X[:2, :4])


@pytest.mark.parametrize(
    "make",
    [
        lambda: _fit(RandomForestClassifier, n_jobs=2)[0],  # the user asked for threads
        lambda: RandomForestClassifier(n_estimators=3).fit([[0.0, 1.0], [1.0, 0.0]], [[0, 1], [1, 0]]),
        lambda: type("MyForest", (RandomForestClassifier,), {})(n_estimators=3).fit([[0.0], [1.0]], [0, 1]),
    ],
    ids=["n_jobs", "multi-output", "subclass"],
)
def test_other_forests_keep_scikit_learns_own_method(make: Any) -> None:
    est = make()
    assert forest_method(est, "predict", est.predict) is None
