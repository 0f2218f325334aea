"""Loading a model directory: the native estimator, or the flavor's predictor."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any, Sequence

from pyfunc_core.model import ModelDirectory
from pyfunc_sklearn import serialization, snapshot
from pyfunc_sklearn.constants import FLAVOR_NAME, PICKLE, SklearnVersionWarning
from pyfunc_sklearn.predictor import SklearnPredictor
from pyfunc_sklearn.snapshot import SnapshotPredictor


def load_model(path: str | Path, *, skops_trusted_types: Sequence[str] | None = None) -> Any:
    """Load the scikit-learn estimator saved in the model directory at ``path``.

    ``skops_trusted_types`` adds types to trust beyond those the ``MLmodel`` records.
    """
    model_dir = ModelDirectory.open(path)
    conf = model_dir.flavor_conf(FLAVOR_NAME)
    _add_code_path(model_dir, conf.get("code"))
    model_file = model_dir.file(conf.get("pickled_model"), what="scikit-learn model file")
    return _read_estimator(model_dir, model_file, conf, skops_trusted_types)


def load_predictor(
    model_dir: ModelDirectory, *, skops_trusted_types: Sequence[str] | None = None
) -> SklearnPredictor | SnapshotPredictor:
    """The flavor's loader: the estimator wrapped to call the saved ``predict_fn``, or, for a
    linear model or forest loaded before from the same file, its snapshot (:mod:`pyfunc_sklearn.snapshot`)."""
    pyfunc_conf = model_dir.pyfunc_conf
    # MLflow reads the file named by python_function.model_path; without a sklearn section
    # (very old MLflow models) it assumes pickle.
    conf = model_dir.meta.flavors.get(FLAVOR_NAME) or {"serialization_format": PICKLE}
    if pyfunc_conf.get("model_path") or pyfunc_conf.get("data"):
        model_file = model_dir.data_path
    else:
        model_file = model_dir.file(conf.get("pickled_model"), what="scikit-learn model file")
    predict_fn = str(pyfunc_conf.get("predict_fn") or "predict")

    def load_full() -> SklearnPredictor:
        _add_code_path(model_dir, conf.get("code"))
        estimator = _read_estimator(model_dir, model_file, conf, skops_trusted_types)
        return SklearnPredictor(estimator, predict_fn)

    entry = snapshot.entry_for(model_file, predict_fn, _trusted(conf, skops_trusted_types))
    served = snapshot.read(entry, load_full) if entry is not None else None
    if served is not None:
        _warn_on_version_mismatch(model_dir, _saved_version(conf))
        return served
    predictor = load_full()
    if entry is not None:
        snapshot.write(entry, predictor)
    return predictor


def _read_estimator(
    model_dir: ModelDirectory,
    model_file: Path,
    conf: dict[str, Any],
    extra_trusted: Sequence[str] | None,
) -> Any:
    saved_version = _saved_version(conf)
    fmt = str(conf.get("serialization_format") or PICKLE)
    with warnings.catch_warnings():
        # scikit-learn's InconsistentVersionWarning (one per estimator class) gives way to ours.
        _ignore_sklearn_version_warnings()
        estimator = serialization.read(
            model_file, fmt, trusted=_trusted(conf, extra_trusted), saved_version=saved_version
        )
    _warn_on_version_mismatch(model_dir, saved_version)
    return estimator


def _saved_version(conf: dict[str, Any]) -> str | None:
    saved_version = conf.get("sklearn_version")
    return str(saved_version) if saved_version else None


def _trusted(conf: dict[str, Any], extra_trusted: Sequence[str] | None) -> list[str]:
    return [
        *(conf.get("skops_trusted_types") or ()),
        *(extra_trusted or ()),
        *serialization.env_trusted_types(),
    ]


def _warn_on_version_mismatch(model_dir: ModelDirectory, saved_version: str | None) -> None:
    installed = serialization.installed_sklearn_version()
    if saved_version and installed and saved_version != installed:
        message = (
            f"Model '{model_dir.path}' was saved with scikit-learn {saved_version} but scikit-learn "
            f"{installed} is installed; predictions may differ or fail. Install "
            f"scikit-learn=={saved_version} to be sure (the model's requirements.txt pins it)"
        )
        warnings.warn(message, SklearnVersionWarning, stacklevel=3)


def _ignore_sklearn_version_warnings() -> None:
    try:
        from sklearn.exceptions import InconsistentVersionWarning
    except ImportError:  # scikit-learn < 1.3 warns with a plain UserWarning
        warnings.filterwarnings("ignore", message=r"Trying to unpickle estimator")
    else:
        warnings.filterwarnings("ignore", category=InconsistentVersionWarning)


def _add_code_path(model_dir: ModelDirectory, code: Any) -> None:
    if not code:
        return
    code_dir = str(model_dir.file(str(code), what="code directory"))
    if code_dir not in sys.path:
        sys.path.insert(0, code_dir)
