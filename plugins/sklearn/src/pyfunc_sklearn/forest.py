"""A random forest's ``predict`` without joblib's per-tree dispatch.

scikit-learn's forests predict through ``joblib.Parallel`` even with ``n_jobs=None``: one
dispatched call per tree, about 30 µs each, so a 100-tree forest spends 3 ms of a 1-row
request (p99 7 ms) in the machinery and 0.7 ms in the trees. For the four public forest
classes, single-output and sequential (``n_jobs`` None or 1), this module does the same
work in a plain loop: the input converted to float32 as scikit-learn converts it, each
tree's public ``predict_proba``/``predict(X, check_input=False)`` summed in tree order into
zeros and divided by the number of trees, as ``sklearn.ensemble._forest`` does, so the
answers are the same numbers. Any input it does not recognise as a plain finite numeric
array (NaN for a forest that learned missing values, sparse matrices, objects) goes to
scikit-learn's own method, which validates it and words its errors.
"""

from __future__ import annotations

from typing import Any, Callable

Method = Callable[[Any], Any]

#: predict_fn -> (forest kind, the per-tree method summed).
_SUPPORTED = {
    "predict": {"classifier": "predict_proba", "regressor": "predict"},
    "predict_proba": {"classifier": "predict_proba"},
}


def forest_method(estimator: Any, predict_fn: str, fallback: Method) -> Method | None:
    """``predict_fn`` of ``estimator`` as a loop over its trees, or None when not a plain
    sequential single-output forest. ``fallback`` (scikit-learn's own method, possibly the
    name-check-free view's) answers every input the loop does not take."""
    if not type(estimator).__module__.startswith("sklearn.ensemble."):
        return None  # and scikit-learn's ensemble module stays unimported
    from sklearn.ensemble import (
        ExtraTreesClassifier,
        ExtraTreesRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )

    kinds = {
        RandomForestClassifier: "classifier",
        ExtraTreesClassifier: "classifier",
        RandomForestRegressor: "regressor",
        ExtraTreesRegressor: "regressor",
    }
    kind = kinds.get(type(estimator))  # exact types: a subclass may predict differently
    tree_method = _SUPPORTED.get(predict_fn, {}).get(kind or "")
    trees = getattr(estimator, "estimators_", None)
    if (
        tree_method is None
        or not trees
        or getattr(estimator, "n_outputs_", None) != 1
        or getattr(estimator, "n_jobs", None) not in (None, 1)
    ):
        return None
    n_features = getattr(estimator, "n_features_in_", None)
    methods = [getattr(tree, tree_method) for tree in trees]
    classes: Any = getattr(estimator, "classes_", None)
    labels = predict_fn == "predict" and kind == "classifier"

    def predict(data: Any) -> Any:
        import numpy as np

        if not isinstance(data, np.ndarray) or data.ndim != 2 or data.dtype.kind not in "biuf":
            return fallback(data)
        if n_features is not None and data.shape[1] != n_features:
            return fallback(data)
        with np.errstate(over="ignore"):  # scikit-learn's own cast below says it again
            X = np.ascontiguousarray(data, dtype=np.float32)
        if not np.isfinite(X).all():  # NaN, or a value beyond float32: scikit-learn decides
            return fallback(data)
        total: Any = None
        for method in methods:
            part = method(X, check_input=False)
            if total is None:
                total = np.zeros(part.shape, dtype=np.float64)
            total += part
        total /= len(methods)
        return classes.take(np.argmax(total, axis=1), axis=0) if labels else total

    return predict
