"""The predictor hands scikit-learn arrays where that is safe, and the same predictions."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from pyfunc_core.errors import ModelLoadError
from pyfunc_sklearn import SklearnPredictor


def test_named_estimator_served_from_arrays_without_warnings(estimators: Any, data: Any) -> None:
    est = estimators.logreg_named
    predictor = SklearnPredictor(est, "predict_proba")
    expected = est.predict_proba(data.Xdf[:50])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns about the array; we must not
        # (an array in C order may differ from the frame's values in the last bit, in BLAS)
        expected_from_array = est.predict_proba(data.X[:50])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert predictor.predict(data.Xdf[:50]).tolist() == expected.tolist()
        assert predictor.predict(data.X[:50]).tolist() == expected_from_array.tolist()
        reordered = data.Xdf[list(reversed(data.Xdf.columns))][:50]
        assert predictor.predict(reordered).tolist() == expected.tolist()
    # the estimator the user gets back is untouched
    assert list(predictor.raw_model.feature_names_in_) == list(data.Xdf.columns)


def test_unnamed_estimator_given_a_frame(estimators: Any, data: Any) -> None:
    predictor = SklearnPredictor(estimators.logreg)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X has feature names, but ... fitted without"
        out = predictor.predict(data.Xdf[:20])
    assert out.tolist() == estimators.logreg.predict(data.X[:20]).tolist()


def test_ensemble_of_named_members_keeps_frames(data: Any) -> None:
    """A stacking ensemble's members check names themselves: no name-less shortcut."""
    from sklearn.ensemble import StackingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB

    stack = StackingClassifier([("nb", GaussianNB())], final_estimator=LogisticRegression(), cv=3)
    stack.fit(data.Xdf, data.y_cls)
    predictor = SklearnPredictor(stack)
    assert predictor._array_method is None
    expected = stack.predict(data.Xdf[:30]).tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert predictor.predict(data.Xdf[:30]).tolist() == expected
        assert predictor.predict(data.X[:30]).tolist() == expected


def test_pipeline_keeps_frames(estimators: Any, data: Any) -> None:
    predictor = SklearnPredictor(estimators.pipeline)
    assert predictor._array_method is None
    assert predictor.feature_names == ["age", "income", "city", "plan"]
    assert (
        predictor.predict(data.mixed[:10]).tolist() == estimators.pipeline.predict(data.mixed[:10]).tolist()
    )


def test_params_are_accepted_and_ignored(estimators: Any, data: Any) -> None:
    predictor = SklearnPredictor(estimators.kmeans)
    assert (
        predictor.predict(data.X[:5], params={"x": 1}).tolist()
        == estimators.kmeans.predict(data.X[:5]).tolist()
    )


def test_unknown_predict_fn(estimators: Any) -> None:
    with pytest.raises(ModelLoadError, match="Unsupported predict_fn"):
        SklearnPredictor(estimators.logreg, "fit")


def test_integer_frame_matches_sklearn(estimators: Any, data: Any) -> None:
    ints = data.Xdf[:10].round().astype("int64")
    predictor = SklearnPredictor(estimators.logreg_named)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = estimators.logreg_named.predict(ints)
    assert np.array_equal(predictor.predict(ints), expected)


def test_mixed_numeric_and_object_frames(estimators: Any, data: Any) -> None:
    """Int and float columns become one float array; anything else stays a DataFrame."""
    frame = data.Xdf[:10].copy()
    frame["f0"] = frame["f0"].round().astype("int64")
    predictor = SklearnPredictor(estimators.logreg)
    assert predictor.predict(frame).tolist() == estimators.logreg.predict(frame.to_numpy(float)).tolist()
    frame["f1"] = frame["f1"] > 0  # booleans beside numbers: pandas gives objects
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn notes the names, as it does for MLflow
        expected = estimators.logreg.predict(frame)
        assert predictor.predict(frame).tolist() == expected.tolist()
