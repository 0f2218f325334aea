"""A linear model served from its arrays alone, so that a later start never imports scikit-learn.

Importing scikit-learn takes about a second (it imports scipy.stats, pandas and most of
scipy) and about 70 MB per process, while a linear model's ``predict`` on a numeric array is
one matrix product (:mod:`pyfunc_sklearn.linear`). Once an estimator that predicts through
scikit-learn's linear mixins has been loaded from a model file, the arrays of that product
(``coef_``, ``intercept_``, ``classes_``), its fitted inputs (width, column names) and its named
outputs are written to the user's cache (``sklearn-linear``, a numpy ``.npz`` read without
pickle), keyed by the file's SHA-256, the ``predict_fn``, the trusted skops types and the
installed scikit-learn and numpy versions. A later load of the same file serves a
:class:`LinearSnapshot`: the same routing and the same product on the same arrays, so the
same answers.

Only what the product answers stays in numpy. Any other input (NaN or infinity, strings,
sparse matrices) and any other output (``predict_proba``, ``raw_model``) loads the estimator
from the model file on first use, once, through the flavor's ordinary loader, and asks it.
``PYFUNC_SKLEARN_LINEAR_SNAPSHOT=0`` turns this off.
"""

from __future__ import annotations

import json
import logging
import threading
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from pyfunc_core.formats import file_cache
from pyfunc_sklearn.linear import LinearParts, linear_function, linear_parts
from pyfunc_sklearn.routing import InputRouting

if TYPE_CHECKING:
    from pyfunc_sklearn.predictor import SklearnPredictor

logger = logging.getLogger("pyfunc_sklearn")

ENV_SWITCH = "PYFUNC_SKLEARN_LINEAR_SNAPSHOT"
FOLDER = "sklearn-linear"
#: Bumped when what an entry holds changes meaning.
LAYOUT = 1
#: Larger files are not hashed for a snapshot: linear models are kilobytes, and hashing a
#: large forest's file on every start would cost more than the snapshot saves anyone.
MAX_FILE_BYTES = 32 << 20
_KEY_DISTRIBUTIONS = ("scikit-learn", "numpy")


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
    key = ["linear", LAYOUT, digest, predict_fn, sorted(set(trusted)), versions]
    return file_cache.cache_entry(FOLDER, key, ".npz")


def write(entry: Path, predictor: SklearnPredictor) -> bool:
    """Keep ``predictor``'s product at ``entry`` when it is one; whether an entry was written."""
    import numpy as np

    if predictor.feature_names is not None and predictor._array_method is None:
        return False  # named columns that only the estimator itself can check
    parts = linear_parts(predictor.raw_model, predictor.predict_fn)
    if parts is None:
        return False
    classes = parts.classes
    class_list = None
    if classes is not None and classes.dtype == object:
        if not all(type(c) is str for c in classes):
            return False  # labels JSON would not give back as they were
        class_list, classes = list(classes), None
    meta = {
        "model_name": predictor._model_name,
        "predict_fn": predictor.predict_fn,
        "n_features": parts.n_features,
        "feature_names": predictor.feature_names,
        "classifier": parts.classifier,
        "labels": parts.labels,
        "object_classes": class_list,
        "outputs": predictor.outputs(),
    }
    arrays: dict[str, Any] = {"coef": np.asarray(parts.coef), "intercept": np.asarray(parts.intercept)}
    if classes is not None:
        arrays["classes"] = np.asarray(classes)
    return file_cache.store(entry, lambda f: np.savez(f, meta=np.array(json.dumps(meta)), **arrays))


def read(entry: Path, load_full: Callable[[], SklearnPredictor]) -> LinearSnapshot | None:
    """The snapshot at ``entry``, or None when there is none (a damaged one is dropped)."""
    if not entry.is_file():
        return None
    import numpy as np

    try:
        with np.load(entry, allow_pickle=False) as stored:
            meta = json.loads(str(stored["meta"]))
            classes = stored["classes"] if "classes" in stored.files else None
            coef, intercept = stored["coef"], stored["intercept"]
        if meta["object_classes"] is not None:
            classes = np.array(meta["object_classes"], dtype=object)
        parts = LinearParts(coef, intercept, classes, meta["n_features"], meta["classifier"], meta["labels"])
        snapshot = LinearSnapshot(parts, meta, load_full)
    except Exception as exc:
        logger.warning("dropping unreadable linear snapshot %s: %s", entry, exc)
        file_cache.forget(entry)
        return None
    file_cache.mark_used(entry)
    return snapshot


class LinearSnapshot(InputRouting):
    """A linear estimator's ``predict_fn`` from its arrays; the estimator itself loads on first need."""

    row_independent = True

    def __init__(
        self, parts: LinearParts, meta: dict[str, Any], load_full: Callable[[], SklearnPredictor]
    ) -> None:
        self.predict_fn = str(meta["predict_fn"])
        self._init_inputs(str(meta["model_name"]), meta["n_features"], meta["feature_names"])
        self._outputs = {str(k): (str(v[0]), [int(d) for d in v[1]]) for k, v in meta["outputs"].items()}
        self._load_full = load_full
        self._full: SklearnPredictor | None = None
        self._lock = threading.Lock()
        product = linear_function(parts, self._ask_estimator)
        if self.feature_names is None:
            self._method, self._array_method = product, None
        else:  # a frame that is not one numeric block goes to the estimator, names and all
            self._method, self._array_method = self._ask_estimator, product

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
        return f"LinearSnapshot({self._model_name}.{self.predict_fn})"
