"""A linear model computed as its matrix product answers what scikit-learn answers."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import (
    HuberRegressor,
    Lasso,
    LinearRegression,
    LogisticRegression,
    Ridge,
    RidgeClassifier,
    SGDClassifier,
)
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC, LinearSVR

from pyfunc_core.errors import InvalidInputError
from pyfunc_sklearn import SklearnPredictor
from pyfunc_sklearn.linear import linear_method


def _data(name: str, frame: bool = False) -> tuple[Any, Any]:
    loader = {"iris": load_iris, "cancer": load_breast_cancer, "diabetes": load_diabetes}[name]
    X, y = loader(return_X_y=True, as_frame=frame)
    if not frame:
        X = StandardScaler().fit_transform(X)
    return X, y


def _same(ours: Any, theirs: Any) -> None:
    # The same product on the same array; a tolerance all the same (no bit-exact floats).
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    if ours.dtype.kind == "f":
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    else:
        np.testing.assert_array_equal(ours, theirs)


# (data, estimator, whether every supported scikit-learn predicts it through the linear mixins:
# Ridge and LinearRegression have their own predict in some versions and not in others)
CASES = [
    ("iris", lambda: LogisticRegression(max_iter=500), True),  # three classes: argmax
    ("cancer", lambda: LogisticRegression(max_iter=2000), True),  # two: the sign of one score
    ("iris", lambda: LinearSVC(), True),
    ("iris", lambda: SGDClassifier(random_state=0), True),
    ("diabetes", lambda: HuberRegressor(max_iter=500), True),
    ("diabetes", lambda: LinearSVR(max_iter=5000), True),
    ("cancer", lambda: RidgeClassifier(), False),
    ("diabetes", lambda: LinearRegression(), False),
    ("diabetes", lambda: Ridge(), False),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{type(c[1]()).__name__}")
@pytest.mark.parametrize("rows", [1, 9, 100])
def test_the_product_answers_as_scikit_learn(case: Any, rows: int) -> None:
    name, make, always = case
    X, y = _data(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of a short fit
        est = make().fit(X, y)
    fns = ["predict", "decision_function"] if hasattr(est, "classes_") else ["predict"]
    for fn in fns:
        if always:
            assert linear_method(est, fn, getattr(est, fn)) is not None
        predictor = SklearnPredictor(est, fn)
        expected = getattr(est, fn)(X[:rows])
        _same(predictor.predict(X[:rows]), expected)
        _same(predictor.predict(np.asfortranarray(X[:rows])), expected)
        _same(predictor.predict(X[:rows].astype(np.float32)), getattr(est, fn)(X[:rows].astype(np.float32)))


def test_two_targets_string_classes_and_integer_input() -> None:
    X, y = _data("diabetes")
    two = Ridge().fit(X, np.c_[y, -y])  # a 2-d coef_
    _same(SklearnPredictor(two).predict(X[:5]), two.predict(X[:5]))
    Xi, yi = _data("iris")
    words = LogisticRegression(max_iter=500).fit(Xi, np.array(["a", "b", "c"])[yi])
    _same(SklearnPredictor(words).predict(Xi[:30]), words.predict(Xi[:30]))
    ints = np.rint(Xi[:30] * 3).astype(np.int64)
    _same(SklearnPredictor(words).predict(ints), words.predict(ints))


def test_fitted_on_named_columns() -> None:
    X, y = _data("iris", frame=True)
    est = LogisticRegression(max_iter=1000).fit(X, y)
    predictor = SklearnPredictor(est)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _same(predictor.predict(X[:20]), est.predict(X[:20]))
        _same(predictor.predict(X[list(reversed(X.columns))][:20]), est.predict(X[:20]))


def test_input_the_product_does_not_take_goes_to_scikit_learn() -> None:
    X, y = _data("iris")
    predictor = SklearnPredictor(LogisticRegression(max_iter=500).fit(X, y))
    bad = X[:3].copy()
    bad[0, 1] = np.nan
    with pytest.raises(InvalidInputError, match="NaN"):
        predictor.predict(bad)
    bad[0, 1] = np.inf
    with pytest.raises(InvalidInputError, match="infinity"):
        predictor.predict(bad)
    with pytest.raises(InvalidInputError, match="features"):
        predictor.predict(X[:2, :3])


def test_models_that_predict_otherwise_keep_their_own_method() -> None:
    X, y = _data("diabetes")
    lasso = Lasso(alpha=0.1).fit(X, y)  # its own _decision_function (sparse coefficients)
    assert linear_method(lasso, "predict", lasso.predict) is None
    Xi, yi = _data("iris")
    logreg = LogisticRegression(max_iter=500).fit(Xi, yi)
    assert linear_method(logreg, "predict_proba", logreg.predict_proba) is None
    subclass = type(
        "Shifted", (LogisticRegression,), {"predict": lambda self, X: super(type(self), self).predict(X)}
    )
    est = subclass(max_iter=500).fit(Xi, yi)
    assert linear_method(est, "predict", est.predict) is None
