"""Loading a model directory of the ``tensorflow`` flavor (or MLflow's ``keras``) into a predictor."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyfunc_core.errors import ModelLoadError
from pyfunc_core.model import ModelDirectory
from pyfunc_tensorflow.constants import (
    CUSTOM_OBJECTS_FILE,
    DATA_DIR,
    DEFAULT_SIGNATURE_KEY,
    FLAVOR_NAME,
    GLOBAL_CUSTOM_OBJECTS_FILE,
    KERAS_FILE_STEM,
    KERAS_FLAVOR_NAME,
    MODEL_TYPE_KERAS,
    MODEL_TYPE_TF1_ESTIMATOR,
    MODEL_TYPE_TF2_MODULE,
    SERVE_TAGS,
)
from pyfunc_tensorflow.framework import check_tensorflow, import_tensorflow

if TYPE_CHECKING:
    from pyfunc_core.registry import Predictor


def load_predictor(model_dir: ModelDirectory) -> Predictor:
    """The predictor for ``model_dir``: a Keras model or a SavedModel, as its MLmodel says."""
    check_tensorflow()
    flavors = model_dir.meta.flavors
    if model_dir.loader_module == "mlflow.keras" or (
        FLAVOR_NAME not in flavors and KERAS_FLAVOR_NAME in flavors
    ):
        return _load_mlflow_keras(model_dir)
    conf = model_dir.flavor_conf(FLAVOR_NAME)
    model_type = conf.get("model_type") or MODEL_TYPE_TF1_ESTIMATOR
    if model_type == MODEL_TYPE_KERAS:
        from pyfunc_tensorflow.keras_predictor import KerasPredictor

        return KerasPredictor(_load_keras(model_dir, conf))
    if model_type in (MODEL_TYPE_TF2_MODULE, MODEL_TYPE_TF1_ESTIMATOR):
        return _load_saved_model(model_dir, conf, model_type)
    raise ModelLoadError(
        f"Unknown tensorflow model_type {model_type!r} in '{model_dir.path}' "
        f"(expected {MODEL_TYPE_KERAS}, {MODEL_TYPE_TF2_MODULE} or {MODEL_TYPE_TF1_ESTIMATOR})"
    )


def load_model(path: str | Path) -> Any:
    """The native model of a saved directory: a ``keras.Model``, or the restored SavedModel."""
    from pyfunc_core.model import resolve_flavor
    from pyfunc_core.plugins import get_plugins

    model_dir = ModelDirectory.open(path)
    flavor = resolve_flavor(model_dir, get_plugins())
    if flavor.name != FLAVOR_NAME:
        raise ModelLoadError(f"Model '{model_dir.path}' is of the {flavor.name} flavor, not {FLAVOR_NAME}")
    return load_predictor(model_dir).raw_model  # type: ignore[attr-defined]


def _load_keras(model_dir: ModelDirectory, conf: dict[str, Any]) -> Any:
    import_tensorflow()
    import keras

    data = model_dir.file(conf.get("data") or DATA_DIR, what="Keras model data")
    model_file = _keras_file(data, conf.get("save_format"))
    custom_objects = {
        **_unpickle(data / GLOBAL_CUSTOM_OBJECTS_FILE),
        **_unpickle(data / CUSTOM_OBJECTS_FILE),
    }
    if model_file.is_dir():
        raise ModelLoadError(
            f"'{model_file}' is a legacy TF SavedModel-format Keras model, which Keras 3 cannot load; "
            "re-save it in the .keras format"
        )
    return keras.saving.load_model(model_file, custom_objects=custom_objects or None, compile=False)


def _keras_file(data: Path, save_format: str | None) -> Path:
    if data.is_file():
        return data
    stem = data / KERAS_FILE_STEM
    candidates = [stem.with_suffix(".h5")] if save_format == "h5" else []
    candidates += [stem.with_suffix(".keras"), stem.with_suffix(".h5"), stem]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise ModelLoadError(f"No Keras model file ({KERAS_FILE_STEM}.keras) in '{data}'")


def _unpickle(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    import cloudpickle

    try:
        with open(path, "rb") as f:
            loaded = cloudpickle.load(f)
    except Exception as exc:
        raise ModelLoadError(f"{path.name} cannot be unpickled: {type(exc).__name__}: {exc}") from exc
    return dict(loaded or {})


def _load_saved_model(model_dir: ModelDirectory, conf: dict[str, Any], model_type: str) -> Predictor:
    from pyfunc_tensorflow.saved_model_predictor import ModulePredictor, SignaturePredictor

    tf = import_tensorflow()
    saved = model_dir.file(conf.get("saved_model_dir"), what="SavedModel directory")
    if model_type == MODEL_TYPE_TF1_ESTIMATOR:
        tags = conf.get("meta_graph_tags") or list(SERVE_TAGS)
        loaded = tf.saved_model.load(str(saved), tags=tags)
        return SignaturePredictor(loaded, conf.get("signature_def_key") or DEFAULT_SIGNATURE_KEY)
    loaded = tf.saved_model.load(str(saved))
    key = conf.get("signature_def_key")
    return SignaturePredictor(loaded, key) if key else ModulePredictor(loaded)


def _load_mlflow_keras(model_dir: ModelDirectory) -> Predictor:
    """MLflow's Keras 3 flavor: ``data/model.keras``, or an exported SavedModel in ``data/model``."""
    conf = model_dir.flavor_conf(KERAS_FLAVOR_NAME)
    data = model_dir.file(conf.get("data") or DATA_DIR, what="Keras model data")
    if conf.get("save_exported_model"):
        from pyfunc_tensorflow.saved_model_predictor import ExportedKerasPredictor

        tf = import_tensorflow()
        exported = data / KERAS_FILE_STEM if (data / KERAS_FILE_STEM).is_dir() else data
        return ExportedKerasPredictor(tf.saved_model.load(str(exported)))
    from pyfunc_tensorflow.keras_predictor import KerasPredictor

    return KerasPredictor(_load_keras(model_dir, conf))
