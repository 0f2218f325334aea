"""A forest walked without joblib's per-tree dispatch (by the compiled ``_trees``, or tree by
tree in Python without it) answers what scikit-learn answers."""

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
from pyfunc_sklearn import SklearnPredictor, forest
from pyfunc_sklearn.forest import ForestParts, forest_function, forest_method, forest_parts, native

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


def test_the_compiled_walk_is_built_here() -> None:
    """The plugin compiles ``_trees`` wherever a C compiler is (every machine the suites run
    on); without it forests still work, tree by tree (below)."""
    assert native() is not None


@pytest.mark.parametrize("cls", CLASSIFIERS + REGRESSORS, ids=lambda c: c.__name__)
def test_without_the_compiled_walk_the_trees_are_summed_in_python(
    cls: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forest, "native", lambda: None)  # an install where it could not be compiled
    est, X = _fit(cls)
    for fn in ["predict", "predict_proba"] if cls in CLASSIFIERS else ["predict"]:
        method = forest_method(est, fn, getattr(est, fn))
        assert method is not None and method.__qualname__.startswith("_tree_loop")
        _same(method(X[:33]), getattr(est, fn)(X[:33]))


def test_a_forest_too_big_to_copy_keeps_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    est, X = _fit(RandomForestClassifier)
    monkeypatch.setattr(forest, "MAX_WALK_BYTES", 1000)
    method = forest_method(est, "predict_proba", est.predict_proba)
    assert method is not None and method.__qualname__.startswith("_tree_loop")
    _same(method(X[:20]), est.predict_proba(X[:20]))


def test_arrays_that_are_not_trees_are_refused() -> None:
    """A walk must end and stay in bounds: a child before its parent (a cycle), a child or a
    feature out of range is refused before anything is walked."""
    est, X = _fit(RandomForestClassifier)
    parts = forest_parts(est, "predict_proba")
    assert parts is not None
    inner = int(np.flatnonzero(parts.left >= 0)[1])

    def damaged(name: str, value: int) -> ForestParts:
        array = getattr(parts, name).copy()
        array[inner] = value
        return parts._replace(**{name: array})

    for bad in (
        damaged("left", 0),  # back to a root: would loop for ever
        damaged("right", inner),  # itself
        damaged("left", len(parts.left)),  # past the end
        damaged("feature", X.shape[1]),  # past the row
        parts._replace(roots=parts.roots + len(parts.left)),
    ):
        with pytest.raises(ValueError, match="do not describe"):
            forest_function(bad, est.predict_proba)
