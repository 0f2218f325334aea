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

from typing import Any, Callable, NamedTuple

Method = Callable[[Any], Any]

#: Modules whose estimators may use the linear mixins (checked before importing anything).
_MODULES = ("sklearn.linear_model.", "sklearn.svm.")


class LinearParts(NamedTuple):
    """What a linear ``predict``/``decision_function`` computes with: plain numpy arrays."""

    coef: Any  #: ``coef_`` as fitted (1-d or 2-d)
    intercept: Any  #: ``intercept_`` (an array, or a float without an intercept)
    classes: Any  #: ``classes_`` for a classifier, else None
    n_features: int | None
    classifier: bool  #: scores of one column come out 1-d, as the classifier mixin returns them
    labels: bool  #: ``predict`` of a classifier: the sign or argmax taken into ``classes``


def linear_parts(estimator: Any, predict_fn: str) -> LinearParts | None:
    """The arrays ``predict_fn`` of ``estimator`` is a product of, or None when the estimator does
    not predict through scikit-learn's own linear mixins."""
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
    classes = getattr(estimator, "classes_", None) if classifier else None
    if labels and classes is None:
        return None
    n = int(n_features) if n_features is not None else None
    return LinearParts(coef, intercept, classes, n, classifier, labels)


def linear_function(parts: LinearParts, fallback: Method) -> Method:
    """The product ``parts`` describe, on a plain finite numeric 2-d array of the fitted width;
    ``fallback`` answers every other input."""
    coef, intercept, classes, n_features, classifier, labels = parts
    coef_t = coef.T if coef.ndim == 2 else coef

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


def linear_method(estimator: Any, predict_fn: str, fallback: Method) -> Method | None:
    """``predict_fn`` of ``estimator`` as a matrix product, or None when the estimator does not
    predict through scikit-learn's own linear mixins. ``fallback`` answers what this does not."""
    parts = linear_parts(estimator, predict_fn)
    return None if parts is None else linear_function(parts, fallback)
