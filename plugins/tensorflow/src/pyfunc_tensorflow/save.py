"""``save_model``: a Keras 3 model, a ``tf.Module`` or a SavedModel directory as a model directory.

The layout is MLflow's ``mlflow.tensorflow`` layout (``data/model.keras`` or
``tf2model/saved_model.pb`` and the ``tensorflow`` flavor in ``MLmodel``), so MLflow reads it
too. The native files are written to a staging directory first: the model is loaded back
from them to infer the tensor signature before the model directory is assembled.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any, Sequence

from pyfunc_core.errors import InvalidInputError, InvalidParameterError, PyfuncError
from pyfunc_core.model import ModelMeta, save_model_directory
from pyfunc_tensorflow.constants import (
    CUSTOM_OBJECTS_FILE,
    DATA_DIR,
    DEFAULT_SIGNATURE_KEY,
    FLAVOR_NAME,
    KERAS_FILE_STEM,
    KERAS_FLAVOR_NAME,
    KERAS_MODULE_FILE,
    MLFLOW_LOADER_MODULE,
    MODEL_TYPE_KERAS,
    MODEL_TYPE_TF1_ESTIMATOR,
    MODEL_TYPE_TF2_MODULE,
    SAVE_FORMAT_FILE,
    SAVED_MODEL_DIR,
    SAVED_MODEL_PB,
    SERVE_TAGS,
)
from pyfunc_tensorflow.framework import check_tensorflow, default_requirements, import_tensorflow

logger = logging.getLogger("pyfunc_tensorflow")


def save_model(
    model: Any,
    path: str | Path,
    *,
    custom_objects: dict[str, Any] | None = None,
    signature: Any = None,
    input_example: Any = None,
    code_paths: Sequence[str | Path] | None = None,
    pip_requirements: Sequence[str] | str | Path | None = None,
    extra_pip_requirements: Sequence[str] | str | Path | None = None,
    metadata: dict[str, Any] | None = None,
    signatures: Any = None,
    signature_def_key: str = DEFAULT_SIGNATURE_KEY,
    keras_model_kwargs: dict[str, Any] | None = None,
    saved_model_kwargs: dict[str, Any] | None = None,
) -> ModelMeta:
    """Save ``model`` as a model directory at ``path`` and return its ``MLmodel``.

    ``model`` is a ``keras.Model`` (saved as ``data/model.keras``), a ``tf.Module`` (saved
    with ``tf.saved_model.save``, ``signatures`` passed through), or the path of an existing
    SavedModel directory, such as one written by ``keras_model.export(dir)``. A SavedModel
    is served through its ``signature_def_key`` signature when it has one, else by calling
    it. Without ``signature``, a tensor signature is inferred from ``input_example``: a dict
    of arrays (named inputs), an array, or a DataFrame (its columns become the model's
    named inputs, or one tensor for a single-input model). ``custom_objects`` are Keras
    custom layers and functions, cloudpickled beside the model.
    """
    check_tensorflow()
    tf = import_tensorflow()
    import keras

    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise FileExistsError(f"Path '{path}' already exists and is not empty")
    if signature is not None:
        _validate_signature(signature)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
    try:
        if isinstance(model, keras.Model):
            flavor_conf, pyfunc_conf, predictor = _stage_keras(
                model, staging, custom_objects, keras_model_kwargs or {}
            )
        elif isinstance(model, tf.Module):
            tf.saved_model.save(
                model, str(staging / SAVED_MODEL_DIR), signatures, **(saved_model_kwargs or {})
            )
            flavor_conf, pyfunc_conf, predictor = _stage_saved_model(staging, signature_def_key)
        elif isinstance(model, (str, Path)) and (Path(model) / SAVED_MODEL_PB).is_file():
            shutil.copytree(model, staging / SAVED_MODEL_DIR)
            flavor_conf, pyfunc_conf, predictor = _stage_saved_model(staging, signature_def_key)
        else:
            raise InvalidParameterError(
                "model must be a keras.Model, a tf.Module or the path of a SavedModel directory, "
                f"got {type(model).__name__}"
            )
        if code_paths:
            flavor_conf["code"] = "code"
        extra_flavors = (
            _mlflow_keras_flavor(flavor_conf) if flavor_conf["model_type"] == MODEL_TYPE_KERAS else None
        )
        if signature is None and input_example is not None:
            signature = infer_tensor_signature(predictor, input_example)

        def write(dest: Path) -> dict[str, Any]:
            for child in staging.iterdir():
                shutil.move(str(child), str(dest / child.name))
            return flavor_conf

        return save_model_directory(
            path,
            flavor_name=FLAVOR_NAME,
            loader_module=MLFLOW_LOADER_MODULE,
            write_model=write,
            pyfunc_conf=pyfunc_conf,
            default_requirements=default_requirements(custom_objects=bool(custom_objects)),
            code_paths=code_paths,
            signature=signature,
            input_example=input_example,
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
            metadata=metadata,
            extra_flavors=extra_flavors,
            pickled_files=[f"{DATA_DIR}/{CUSTOM_OBJECTS_FILE}"] if custom_objects else [],
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _stage_keras(
    model: Any, staging: Path, custom_objects: dict[str, Any] | None, kwargs: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    import keras
    import tensorflow as tf

    from pyfunc_tensorflow.keras_predictor import KerasPredictor

    data = staging / DATA_DIR
    data.mkdir()
    model.save(str(data / f"{KERAS_FILE_STEM}.keras"), **kwargs)
    # MLflow's marker files, so that mlflow.tensorflow loads our directories as well
    (data / KERAS_MODULE_FILE).write_text("keras", encoding="utf-8")
    (data / SAVE_FORMAT_FILE).write_text("keras", encoding="utf-8")
    if custom_objects:
        import cloudpickle

        with open(data / CUSTOM_OBJECTS_FILE, "wb") as f:
            cloudpickle.dump(custom_objects, f)
    flavor_conf = {
        "code": None,
        "data": DATA_DIR,
        "model_type": MODEL_TYPE_KERAS,
        "keras_version": keras.__version__,
        "tensorflow_version": tf.__version__,
        "save_format": "keras",
    }
    return flavor_conf, {"data": DATA_DIR}, KerasPredictor(model)


def _mlflow_keras_flavor(tf_conf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """MLflow's ``keras`` flavor section for the same ``data/model.keras``, so that
    ``mlflow.keras.load_model`` loads it too. MLflow's ``mlflow.tensorflow`` reads this section
    instead of ``tensorflow`` when both exist, so it repeats the keys that loader needs."""
    import keras

    return {
        KERAS_FLAVOR_NAME: {
            "data": tf_conf["data"],
            "keras_version": tf_conf["keras_version"],
            "keras_backend": keras.backend.backend(),
            "save_exported_model": False,
            "model_type": MODEL_TYPE_KERAS,
            "save_format": tf_conf["save_format"],
            "code": tf_conf["code"],
        }
    }


def _stage_saved_model(staging: Path, signature_key: str) -> tuple[dict[str, Any], dict[str, Any], Any]:
    import tensorflow as tf

    from pyfunc_tensorflow.saved_model_predictor import ModulePredictor, SignaturePredictor

    loaded = tf.saved_model.load(str(staging / SAVED_MODEL_DIR))
    flavor_conf: dict[str, Any] = {
        "code": None,
        "saved_model_dir": SAVED_MODEL_DIR,
        "model_type": MODEL_TYPE_TF2_MODULE,
        "tensorflow_version": tf.__version__,
    }
    if signature_key in loaded.signatures:
        # MLflow serves a SavedModel through a signature only under this model_type.
        flavor_conf["model_type"] = MODEL_TYPE_TF1_ESTIMATOR
        flavor_conf["meta_graph_tags"] = list(SERVE_TAGS)
        flavor_conf["signature_def_key"] = signature_key
        predictor: Any = SignaturePredictor(loaded, signature_key)
    elif callable(loaded):
        logger.warning(
            "The SavedModel has no %r signature (signatures: %s); it will be called directly on one tensor",
            signature_key,
            ", ".join(loaded.signatures) or "none",
        )
        predictor = ModulePredictor(loaded)
    else:
        raise InvalidParameterError(
            f"The SavedModel has no {signature_key!r} signature (signatures: "
            f"{', '.join(loaded.signatures) or 'none'}) and is not callable: save it with "
            "signatures=, or decorate its __call__ with @tf.function(input_signature=...)"
        )
    return flavor_conf, {}, predictor


def infer_tensor_signature(predictor: Any, input_example: Any) -> Any:
    """A tensor signature from an example: named specs for named inputs, outputs from predicting it."""
    import numpy as np
    import pandas as pd

    from pyfunc_core.schema import ModelSignature, infer_schema
    from pyfunc_tensorflow.inputs import named_tensors

    example = input_example
    if isinstance(example, pd.DataFrame):
        names = getattr(predictor, "input_names", None) or ["input"]
        try:
            tensors = named_tensors(example, names)
        except InvalidInputError as exc:
            raise InvalidParameterError(f"input_example does not fit the model: {exc.message}") from None
        example = next(iter(tensors.values())) if len(tensors) == 1 else tensors
    elif isinstance(example, (list, tuple)):
        example = np.asarray(example)
    try:
        inputs = infer_schema(example)
    except ValueError as exc:
        raise InvalidParameterError(f"Cannot infer a tensor signature from input_example: {exc}") from None
    outputs = None
    try:
        outputs = infer_schema(_named_outputs(predictor.predict(example), predictor))
    except PyfuncError as exc:
        raise InvalidParameterError(f"The model cannot predict its input_example: {exc.message}") from None
    except ValueError as exc:
        logger.warning("Could not infer the output schema from the input example: %s", exc)
    return ModelSignature(inputs, outputs)


def _named_outputs(result: Any, predictor: Any) -> Any:
    """A multi-output Keras list as a dict keyed by the model's output names."""
    if isinstance(result, list):
        names = list(getattr(getattr(predictor, "raw_model", None), "output_names", None) or [])
        if len(names) != len(result):
            names = [f"output_{i}" for i in range(len(result))]
        return dict(zip(names, result))
    return result


def _validate_signature(signature: Any) -> None:
    from pyfunc_core.schema import ModelSignature, TensorSpec

    if not isinstance(signature, ModelSignature) or signature.inputs is None:
        raise InvalidParameterError("signature must be a ModelSignature with an input schema")
    for spec in signature.inputs.inputs:
        if not isinstance(spec, TensorSpec):
            raise InvalidParameterError(
                "All fields in the model signature's input schema must be TensorSpecs for the "
                f"{FLAVOR_NAME} flavor"
            )
        if not spec.shape or spec.shape[0] != -1:
            raise InvalidParameterError(
                f"Input {spec.name or 0!r} of the signature must have a variable first (batch) "
                f"dimension (-1), got shape {list(spec.shape)}"
            )
