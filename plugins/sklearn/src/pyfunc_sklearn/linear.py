"""A linear model's ``predict`` as the one matrix product it is.

For a row or a few, scikit-learn's linear models spend ~100 µs per call in input validation
and array-API dispatch around a product that takes ~3 µs. For an estimator whose
``predict``/``decision_function`` are the ones scikit-learn's linear mixins define (not
overridden: LogisticRegression, Ridge, LinearSVC, SGD... but not Lasso's sparse variant),
this module computes what those methods compute on a plain finite numeric array — the same
array object handed to the same ``X @ coef_.T + intercept_``, then the same sign or argmax
and ``classes_.take`` — so the answers are the same numbers. Anything else (NaN, sparse
matrices, objects, the wrong width) goes to scikit-learn's own method.
"""

from __future__ import annotations

from typing import Any, Callable

Method = Callable[[Any], Any]

#: Modules whose estimators may use the linear mixins (checked before importing anything).
_MODULES = ("sklearn.linear_model.", "sklearn.svm.")


def linear_method(estimator: Any, predict_fn: str, fallback: Method) -> Method | None:
    """``predict_fn`` of ``estimator`` as a matrix product, or None when the estimator does not
    predict through scikit-learn's own linear mixins. ``fallback`` answers what this does not."""
    cls = type(estimator)
    if not cls.__module__.startswith(_MODULES):
        return None
    try:
        from sklearn.linear_model._base import LinearClassifierMixin, LinearModel
    except ImportError:  # a scikit-learn that moved them: its own methods, unchanged
        return None
    coef = getattr(estimator, "coef_", None)
    intercept = getattr(estimator, "intercept_", None)
    n_features = getattr(estimator, "n_features_in_", None)
    if coef is None or intercept is None or getattr(coef, "ndim", 0) not in (1, 2):
        return None
    if hasattr(coef, "toarray"):  # sparsified coefficients: not this plain product
        return None
    classifier = (
        getattr(cls, "predict", None) is LinearClassifierMixin.predict
        and getattr(cls, "decision_function", None) is LinearClassifierMixin.decision_function
    )
    regressor = (
        getattr(cls, "predict", None) is LinearModel.predict
        and getattr(cls, "_decision_function", None) is LinearModel._decision_function
    )
    if classifier and predict_fn in ("predict", "decision_function"):
        labels = predict_fn == "predict"
    elif regressor and predict_fn == "predict":
        labels = False
    else:
        return None
    coef_t = coef.T if coef.ndim == 2 else coef
    classes: Any = getattr(estimator, "classes_", None)

    def predict(data: Any) -> Any:
        import numpy as np

        if not isinstance(data, np.ndarray) or data.ndim != 2 or data.dtype.kind not in "biuf":
            return fallback(data)
        if n_features is not None and data.shape[1] != n_features:
            return fallback(data)
        if data.dtype.kind == "f" and not np.isfinite(data).all():
            return fallback(data)
        scores = data @ coef_t + intercept
        if classifier and scores.ndim == 2 and scores.shape[1] == 1:
            scores = scores.reshape(-1)
        if not labels:
            return scores
        indices = (scores > 0).astype(np.intp) if scores.ndim == 1 else np.argmax(scores, axis=1)
        return classes.take(indices, axis=0)

    return predict
