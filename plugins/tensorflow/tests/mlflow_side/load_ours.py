"""Run inside the MLflow virtualenv (which has no pyfunc distribution): load model directories
written by ``pyfunc_tensorflow.save_model`` with MLflow's own loaders and record what they predict
(the loop and the recording are ``dev/loads_ours_side.py``'s, on ``PYTHONPATH``).

Usage: python load_ours.py ROOT

Reads ROOT/cases.json ``{case: {"input": {...}, "native": [loader, ...]}}`` and writes
ROOT/results.json ``{"mlflow_version", "ours_importable", "cases": {case: {call: result}}}``, each
result ``{"ok": value}`` or ``{"error": "Type: message"}``. The calls:
``mlflow.pyfunc.load_model(path).predict(input)``; ``mlflow.tensorflow.load_model(path)`` and
``mlflow.keras.load_model(path)`` then predicting natively (a Keras model's ``predict_on_batch``,
a SavedModel signature called with named tensors); ``mlflow.models.validate_serving_input(path,
<serving_input_example.json>)``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import mlflow.keras
import mlflow.pyfunc
import mlflow.tensorflow
import numpy as np
import pandas as pd

from loads_ours_side import attempt, main, validate_serving


def decode(encoded):
    if encoded["kind"] == "dict":
        return {k: np.asarray(v, dtype=np.float32) for k, v in encoded["data"].items()}
    if encoded["kind"] == "dataframe":
        return pd.DataFrame(encoded["data"], columns=encoded["columns"], dtype=np.float32)
    return np.asarray(encoded["data"], dtype=np.float32)


def jsonable(value):
    if isinstance(value, dict):
        return {"dict": {str(k): jsonable(v) for k, v in value.items()}}
    if isinstance(value, pd.DataFrame):
        return {"dataframe": value.to_numpy().tolist(), "index": value.index.tolist()}
    if (
        isinstance(value, (list, tuple))
        and value
        and not np.isscalar(value[0])
        and hasattr(value[0], "numpy")
    ):
        return {"list": [jsonable(v) for v in value]}
    return {"array": np.asarray(value).tolist()}


def native_predict(loaded, data):
    """Predict with what a native loader returned: a Keras model or a SavedModel signature."""
    import tensorflow as tf

    if hasattr(loaded, "predict_on_batch"):
        return loaded.predict_on_batch(data)
    if not isinstance(data, dict):
        raise TypeError(f"a SavedModel signature takes named tensors, got {type(data).__name__}")
    return {k: v.numpy() for k, v in loaded(**{k: tf.constant(v) for k, v in data.items()}).items()}


def load_case(path: Path, case: dict) -> dict:
    data = decode(case["input"])
    loaders = {"mlflow.tensorflow": mlflow.tensorflow.load_model, "mlflow.keras": mlflow.keras.load_model}
    result = {"pyfunc": attempt(lambda: mlflow.pyfunc.load_model(str(path)).predict(data), jsonable)}
    for name in case["native"]:
        result[name] = attempt(lambda: native_predict(loaders[name](str(path)), data), jsonable)  # noqa: B023
    return validate_serving(path, result, jsonable)


if __name__ == "__main__":
    main(Path(sys.argv[1]), ("pyfunc_core", "pyfunc_tensorflow"), load_case)
