"""Linear models and forests served from their arrays alone: later starts never import scikit-learn.

Importing scikit-learn takes about a second (it imports scipy.stats, pandas and most of
scipy) and about 70 MB per process. A linear model's ``predict`` on a numeric array is one
matrix product (:mod:`pyfunc_sklearn.linear`) and a forest's is a walk of its trees that the
plugin's compiled module does (:mod:`pyfunc_sklearn.forest`); neither needs scikit-learn once
the arrays are out. So once such an estimator has been loaded from a model file, the arrays
(``coef_``/``intercept_``, or every tree's nodes and leaf values, and ``classes_``), its fitted
inputs (width, column names) and its named outputs are written to the user's cache
(``sklearn-snapshots``, a numpy ``.npz`` read without pickle), keyed by the file's SHA-256, the
``predict_fn``, the trusted skops types and the installed scikit-learn and numpy versions. A
later load of the same file serves a :class:`SnapshotPredictor`: the same routing and the same
computation on the same arrays, so the same answers.

Only what that computation answers stays in numpy. Any other input (NaN or infinity, strings,
sparse matrices) and any other output (``predict_proba`` asked by name, ``raw_model``) loads
the estimator from the model file on first use, once, through the flavor's ordinary loader,
and asks it. ``PYFUNC_SKLEARN_SNAPSHOTS=0`` turns this off.
"""

from __future__ import annotations

import json
import logging
import threading
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from pyfunc_core.formats import file_cache
from pyfunc_sklearn.forest import ForestParts, forest_function, forest_parts, native
from pyfunc_sklearn.linear import LinearParts, linear_function, linear_parts
from pyfunc_sklearn.routing import InputRouting

if TYPE_CHECKING:
    from pyfunc_sklearn.predictor import SklearnPredictor

logger = logging.getLogger("pyfunc_sklearn")

ENV_SWITCH = "PYFUNC_SKLEARN_SNAPSHOTS"
FOLDER = "sklearn-snapshots"
#: Bumped when what an entry holds changes meaning.
LAYOUT = 1
#: Larger files are not hashed for a snapshot: hashing a big ensemble's file on every start
#: would cost more than the snapshot saves, and its entry would be as big.
MAX_FILE_BYTES = 32 << 20
#: Entries kept (forests' run to megabytes).
MAX_ENTRIES = 16
_KEY_DISTRIBUTIONS = ("scikit-learn", "numpy")
_LINEAR_ARRAYS = ("coef", "intercept")
_FOREST_ARRAYS = ("feature", "threshold", "left", "right", "values", "roots")

Method = Callable[[Any], Any]


def entry_for(model_file: Path, predict_fn: str, trusted: Sequence[str]) -> Path | None:
    """Where the snapshot of ``model_file`` would be, or None when snapshots do not apply."""
    if file_cache.switched_off(ENV_SWITCH):
        return None
    try:
        if model_file.stat().st_size > MAX_FILE_BYTES:
            return None
        versions = [metadata.version(dist) for dist in _KEY_DISTRIBUTIONS]
        digest = file_cache.file_sha256(model_file)
    except (OSError, metadata.PackageNotFoundError):
        return None  # the ordinary loader words what is wrong
    key = ["snapshot", LAYOUT, digest, predict_fn, sorted(set(trusted)), versions]
    return file_cache.cache_entry(FOLDER, key, ".npz")


def write(entry: Path, predictor: SklearnPredictor) -> bool:
    """Keep ``predictor``'s computation at ``entry`` when it is one; whether an entry was written."""
    import numpy as np

    if predictor.feature_names is not None and predictor._array_method is None:
        return False  # named columns that only the estimator itself can check
    estimator, predict_fn = predictor.raw_model, predictor.predict_fn
    arrays: dict[str, Any]
    linear = linear_parts(estimator, predict_fn)
    forest = forest_parts(estimator, predict_fn) if linear is None and native() is not None else None
    if linear is not None:
        kind, classes = "linear", linear.classes
        flags = {"n_features": linear.n_features, "classifier": linear.classifier, "labels": linear.labels}
        arrays = {"coef": np.asarray(linear.coef), "intercept": np.asarray(linear.intercept)}
    elif forest is not None:
        kind, classes = "forest", forest.classes
        flags = {"n_features": forest.n_features, "regressor": forest.regressor}
        arrays = {name: getattr(forest, name) for name in _FOREST_ARRAYS}
    else:
        return False
    class_list = None
    if classes is not None and classes.dtype == object:
        if not all(type(c) is str for c in classes):
            return False  # labels JSON would not give back as they were
        class_list, classes = list(classes), None
    if classes is not None:
        arrays["classes"] = np.asarray(classes)
    meta = {
        "kind": kind,
        "model_name": predictor._model_name,
        "predict_fn": predict_fn,
        "feature_names": predictor.feature_names,
        "object_classes": class_list,
        "outputs": predictor.outputs(),
        **flags,
    }
    return file_cache.store(
        entry, lambda f: np.savez(f, meta=np.array(json.dumps(meta)), **arrays), keep=MAX_ENTRIES
    )


def read(entry: Path, load_full: Callable[[], SklearnPredictor]) -> SnapshotPredictor | None:
    """The snapshot at ``entry``, or None when there is none (a damaged one is dropped)."""
    if not entry.is_file():
        return None
    import numpy as np

    try:
        with np.load(entry, allow_pickle=False) as stored:
            meta = json.loads(str(stored["meta"]))
            arrays = {name: stored[name] for name in stored.files if name != "meta"}
        classes = arrays.get("classes")
        if meta["object_classes"] is not None:
            classes = np.array(meta["object_classes"], dtype=object)
        snapshot = SnapshotPredictor(meta, load_full)
        snapshot._serve(_computation(meta, arrays, classes, snapshot._ask_estimator))
    except Exception as exc:
        logger.warning("dropping unreadable sklearn snapshot %s: %s", entry, exc)
        file_cache.forget(entry)
        return None
    file_cache.mark_used(entry)
    return snapshot


def _computation(meta: dict[str, Any], arrays: dict[str, Any], classes: Any, fallback: Method) -> Method:
    n_features = meta["n_features"]
    if meta["kind"] == "linear":
        coef, intercept = (arrays[name] for name in _LINEAR_ARRAYS)
        return linear_function(
            LinearParts(coef, intercept, classes, n_features, meta["classifier"], meta["labels"]), fallback
        )
    if meta["kind"] == "forest":
        feature, threshold, left, right, values, roots = (arrays[name] for name in _FOREST_ARRAYS)
        parts = ForestParts(
            feature, threshold, left, right, values, roots, classes, n_features, meta["regressor"]
        )
        walk = forest_function(parts, fallback)
        if walk is None:
            raise ValueError("the compiled pyfunc_sklearn._trees is not installed")
        return walk
    raise ValueError(f"unknown snapshot kind {meta['kind']!r}")


class SnapshotPredictor(InputRouting):
    """An estimator's ``predict_fn`` from its arrays; the estimator itself loads on first need."""

    row_independent = True

    def __init__(self, meta: dict[str, Any], load_full: Callable[[], SklearnPredictor]) -> None:
        self.predict_fn = str(meta["predict_fn"])
        self._init_inputs(str(meta["model_name"]), meta["n_features"], meta["feature_names"])
        self._outputs = {str(k): (str(v[0]), [int(d) for d in v[1]]) for k, v in meta["outputs"].items()}
        self._load_full = load_full
        self._full: SklearnPredictor | None = None
        self._lock = threading.Lock()
        self._method: Method = self._ask_estimator
        self._array_method: Method | None = None

    def _serve(self, computation: Method) -> None:
        if self.feature_names is None:
            self._method = computation
        else:  # a frame that is not one numeric block goes to the estimator, names and all
            self._array_method = computation

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """``predict_fn`` on ``data``, as :meth:`SklearnPredictor.predict` answers it."""
        method, data = self._route(data, self._method, self._array_method)
        return method(data)

    def outputs(self) -> dict[str, tuple[str, list[int]]]:
        """The named outputs (``predict_fn`` first), as the estimator's predictor describes them."""
        return dict(self._outputs)

    def predict_output(self, name: str, data: Any, params: dict[str, Any] | None = None) -> Any:
        """One named output; any but ``predict_fn`` is the estimator's."""
        if name == self.predict_fn:
            return self.predict(data)
        return self.full().predict_output(name, data, params)

    @property
    def raw_model(self) -> Any:
        """The estimator, loaded from the model file on first use."""
        return self.full().raw_model

    def full(self) -> SklearnPredictor:
        """The ordinary predictor of the same model file, loaded once on first need."""
        with self._lock:
            if self._full is None:
                self._full = self._load_full()
            return self._full

    def _ask_estimator(self, data: Any) -> Any:
        return self.full().predict(data)

    def __repr__(self) -> str:
        return f"SnapshotPredictor({self._model_name}.{self.predict_fn})"
