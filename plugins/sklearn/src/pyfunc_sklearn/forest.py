"""A random forest's ``predict`` without joblib's per-tree dispatch.

scikit-learn's forests predict through ``joblib.Parallel`` even with ``n_jobs=None``: one
dispatched call and one new array per tree, so a 100-tree forest spends 4 ms of a 1-row
request in the machinery around microseconds of tree walking. For the four public forest
classes, single-output and sequential (``n_jobs`` None or 1), this module does the same work
in one call of the compiled ``pyfunc_sklearn._trees`` (every tree for every row, the GIL
released): the input converted to float32 as scikit-learn converts it, each leaf's values
(a classifier's normalised as each tree's ``predict_proba`` normalises them) added into zeros
in tree order, divided by the number of trees, as ``sklearn.ensemble._forest`` does, so the
answers are the same numbers. Where the compiled module is missing (installed without a C
compiler), each tree's own ``predict_proba``/``predict(X, check_input=False)`` is summed in
a Python loop instead. Any input that is not a plain finite numeric array (NaN for a forest
that learned missing values, sparse matrices, objects) goes to scikit-learn's own method,
which validates it and words its errors.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

Method = Callable[[Any], Any]

#: Beyond this much, the flat copy of a loaded forest's trees costs more memory than its speed is
#: worth beside the estimator's own trees (which ``raw_model`` keeps): such forests keep the loop.
MAX_WALK_BYTES = 128 << 20

#: predict_fn -> (forest kind, the per-tree method summed).
_SUPPORTED = {
    "predict": {"classifier": "predict_proba", "regressor": "predict"},
    "predict_proba": {"classifier": "predict_proba"},
}


class ForestParts(NamedTuple):
    """Every tree of a forest as flat arrays: node ``i`` of tree ``t`` is ``roots[t] + i``."""

    feature: Any  #: int64 per node
    threshold: Any  #: float64 per node
    left: Any  #: int64 per node, -1 at a leaf
    right: Any  #: int64 per node
    values: Any  #: float64 (nodes, outputs): a classifier's class fractions, a regressor's value
    roots: Any  #: int64 per tree
    classes: Any  #: ``classes_`` when ``predict`` returns labels, else None
    n_features: int
    regressor: bool  #: one value per row, returned 1-d


def native() -> Any:
    """The compiled ``pyfunc_sklearn._trees``, or None where it was not built."""
    import importlib

    try:
        return importlib.import_module("pyfunc_sklearn._trees")
    except ImportError:
        return None


def _forest_trees(estimator: Any, predict_fn: str) -> tuple[list[Any], str, bool] | None:
    """The trees, the per-tree method and whether ``predict`` gives labels, when this applies."""
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
    return list(trees), tree_method, predict_fn == "predict" and kind == "classifier"


def forest_parts(estimator: Any, predict_fn: str) -> ForestParts | None:
    """``estimator``'s trees as :class:`ForestParts`, or None when not a plain sequential
    single-output forest."""
    import numpy as np

    found = _forest_trees(estimator, predict_fn)
    if found is None:
        return None
    trees, tree_method, labels = found
    n_features = getattr(estimator, "n_features_in_", None)
    if n_features is None:
        return None
    structures = [tree.tree_ for tree in trees]
    offsets = np.cumsum([0] + [s.node_count for s in structures])
    values = []
    for s in structures:
        value = s.value[:, 0, :]
        if tree_method == "predict_proba":  # as DecisionTreeClassifier.predict_proba normalises
            normalizer = value.sum(axis=1)[:, np.newaxis]
            normalizer[normalizer == 0.0] = 1.0
            value = value / normalizer
        values.append(value)

    def joined(arrays: list[Any], dtype: Any) -> Any:
        return np.ascontiguousarray(np.concatenate(arrays), dtype=dtype)

    return ForestParts(
        feature=joined([s.feature for s in structures], np.int64),
        threshold=joined([s.threshold for s in structures], np.float64),
        left=joined(
            [np.where(s.children_left >= 0, s.children_left + o, -1) for s, o in zip(structures, offsets)],
            np.int64,
        ),
        right=joined(
            [np.where(s.children_right >= 0, s.children_right + o, -1) for s, o in zip(structures, offsets)],
            np.int64,
        ),
        values=joined(values, np.float64),
        roots=np.ascontiguousarray(offsets[:-1], dtype=np.int64),
        classes=getattr(estimator, "classes_", None) if labels else None,
        n_features=int(n_features),
        regressor=tree_method == "predict",
    )


def forest_function(parts: ForestParts, fallback: Method) -> Method | None:
    """The forest ``parts`` describe, walked by the compiled module on a plain finite numeric
    2-d array of the fitted width (``fallback`` answers any other input); None without the
    compiled module. Arrays that do not describe trees (children after their parent, features
    within the width) raise ValueError: the walk must end and stay within them."""
    trees = native()
    if trees is None:
        return None
    import numpy as np

    feature, threshold, left, right, values, roots = (
        np.ascontiguousarray(a, dtype=t)
        for a, t in zip(parts[:6], (np.int64, np.float64, np.int64, np.int64, np.float64, np.int64))
    )
    classes, n_features, regressor = parts.classes, parts.n_features, parts.regressor
    _check_trees(feature, threshold, left, right, values, roots, n_features)
    n_values = values.shape[1]
    arrays = (feature, threshold, left, right, values)  # kept alive by this closure

    def predict(data: Any) -> Any:
        if not isinstance(data, np.ndarray) or data.ndim != 2 or data.dtype.kind not in "biuf":
            return fallback(data)
        if data.shape[1] != n_features:
            return fallback(data)
        with np.errstate(over="ignore"):  # scikit-learn's own cast below says it again
            X = np.ascontiguousarray(data, dtype=np.float32)
        if not np.isfinite(X).all():  # NaN, or a value beyond float32: scikit-learn decides
            return fallback(data)
        total = np.zeros((X.shape[0], n_values), dtype=np.float64)
        trees.forest_sum(
            X.ctypes.data,
            X.shape[0],
            n_features,
            *(a.ctypes.data for a in arrays[:4]),
            arrays[4].ctypes.data,
            n_values,
            roots.ctypes.data,
            len(roots),
            total.ctypes.data,
        )
        total /= len(roots)
        if classes is not None:
            return classes.take(np.argmax(total, axis=1), axis=0)
        return total.reshape(-1) if regressor else total

    return predict


def _check_trees(
    feature: Any, threshold: Any, left: Any, right: Any, values: Any, roots: Any, n_features: int
) -> None:
    import numpy as np

    n_nodes = left.shape[0]
    node = np.arange(n_nodes)
    inner = left >= 0
    ok = (
        feature.shape == threshold.shape == right.shape == (n_nodes,)
        and values.ndim == 2
        and values.shape[0] == n_nodes
        and values.shape[1] > 0
        and roots.ndim == 1
        and roots.size > 0
        and bool(np.all((roots >= 0) & (roots < n_nodes)))
        and bool(np.all(left[inner] > node[inner]))
        and bool(np.all(right[inner] > node[inner]))
        and bool(np.all(left[inner] < n_nodes))
        and bool(np.all(right[inner] < n_nodes))
        and bool(np.all((feature[inner] >= 0) & (feature[inner] < n_features)))
    )
    if not ok:
        raise ValueError("the arrays do not describe a forest's trees")


def forest_method(estimator: Any, predict_fn: str, fallback: Method) -> Method | None:
    """``predict_fn`` of ``estimator`` without joblib, or None when not a plain sequential
    single-output forest. ``fallback`` (scikit-learn's own method, possibly the
    name-check-free view's) answers every input this does not take."""
    found = _forest_trees(estimator, predict_fn)
    if found is None:
        return None
    trees, tree_method, labels = found
    if native() is not None and _flat_bytes(trees) <= MAX_WALK_BYTES:
        parts = forest_parts(estimator, predict_fn)
        if parts is not None:
            return forest_function(parts, fallback)
    return _tree_loop(estimator, trees, tree_method, labels, fallback)


def _flat_bytes(trees: list[Any]) -> int:
    """What :func:`forest_parts` would allocate: 32 bytes a node plus its leaf values."""
    return sum(t.tree_.node_count * (32 + 8 * t.tree_.value.shape[2]) for t in trees)


def _tree_loop(estimator: Any, trees: list[Any], tree_method: str, labels: bool, fallback: Method) -> Method:
    """Each tree's own method summed in a Python loop (without the compiled module)."""
    n_features = getattr(estimator, "n_features_in_", None)
    methods = [getattr(tree, tree_method) for tree in trees]
    classes: Any = getattr(estimator, "classes_", None)

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
