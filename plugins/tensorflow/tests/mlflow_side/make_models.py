"""Run inside the MLflow virtualenv: save tiny TensorFlow/Keras models with MLflow's own
``save_model`` functions and record what ``mlflow.pyfunc`` predicts for each.

Usage: ``python make_models.py OUT_DIR``. Writes ``OUT_DIR/<case>/`` model directories and
``OUT_DIR/cases.json``: ``{case: {"input": ..., "input_kind": ..., "output": ..., "output_kind": ...}}``.
The models are the same fixed-weight models as the tests' ``conftest.py`` builds.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import mlflow
import mlflow.keras
import mlflow.pyfunc
import mlflow.tensorflow
import numpy as np
import pandas as pd

A = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0], [0.0, 0.0, 1.0]], dtype=np.float32)
B = np.array([[1.0, -1.0], [2.0, 0.5], [0.0, 3.0]], dtype=np.float32)
X = np.array([[1.0, 2.0], [3.0, 4.0], [-1.0, 0.5]], dtype=np.float32)


def multi_input_keras():
    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    out = keras.layers.Dense(2, name="score")(keras.layers.Concatenate()([a, b]))
    model = keras.Model([a, b], out)
    kernel = np.arange(10, dtype=np.float32).reshape(5, 2) / 10.0
    model.get_layer("score").set_weights([kernel, np.array([0.5, -0.5], dtype=np.float32)])
    return model


def single_input_keras():
    model = keras.Sequential([keras.Input((2,), name="x"), keras.layers.Dense(1, name="out")])
    model.get_layer("out").set_weights([np.array([[1.0], [2.0]], np.float32), np.array([0.25], np.float32)])
    return model


REQUIREMENTS = [f"keras=={keras.__version__}"]


def linear_module():
    import tensorflow as tf

    class Linear(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable([[1.0], [2.0]])

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="x")])
        def __call__(self, x):
            return {"y": tf.matmul(x, self.w), "z": x * 2.0}

    return Linear()


def encode(value):
    """(kind, JSON-able data) for a prediction or an input."""
    if isinstance(value, pd.DataFrame):
        return "dataframe", {
            "columns": [str(c) for c in value.columns],
            "data": value.to_numpy().tolist(),
            "index": value.index.tolist(),
        }
    if isinstance(value, dict):
        return "dict", {k: np.asarray(v).tolist() for k, v in value.items()}
    return "ndarray", np.asarray(value).tolist()


def main(out: Path) -> None:
    cases = {
        # mlflow.tensorflow with a Keras 3 model: loader_module mlflow.tensorflow, model_type keras
        "tf_keras_multi": (
            lambda p: mlflow.tensorflow.save_model(
                multi_input_keras(), p, input_example={"a": A[:2], "b": B[:2]}
            ),
            {"a": A, "b": B},
        ),
        "tf_keras_single": (
            lambda p: mlflow.tensorflow.save_model(single_input_keras(), p, input_example=X[:2]),
            X,
        ),
        # mlflow.tensorflow with a tf.Module: model_type tf2-module, called on one tensor
        "tf_module": (
            lambda p: mlflow.tensorflow.save_model(linear_module(), p, pip_requirements=REQUIREMENTS),
            X,
        ),
        # MLflow's Keras 3 flavor: loader_module mlflow.keras, no signature, DataFrame in and out.
        # (Explicit requirements skip MLflow's requirement inference, a subprocess per model.)
        "keras3_single": (
            lambda p: mlflow.keras.save_model(single_input_keras(), p, pip_requirements=REQUIREMENTS),
            pd.DataFrame(X),
        ),
        "keras3_exported": (
            lambda p: mlflow.keras.save_model(
                single_input_keras(),
                p,
                save_exported_model=True,
                signature=mlflow.models.infer_signature(X, single_input_keras().predict_on_batch(X)),
                pip_requirements=REQUIREMENTS,
            ),
            X,
        ),
    }
    report = {"mlflow_version": mlflow.__version__, "cases": {}}
    for name, (save, model_input) in cases.items():
        path = out / name
        path.mkdir(parents=True)
        save(str(path))
        prediction = mlflow.pyfunc.load_model(str(path)).predict(model_input)
        input_kind, input_data = encode(model_input)
        output_kind, output_data = encode(prediction)
        report["cases"][name] = {
            "input_kind": input_kind,
            "input": input_data,
            "output_kind": output_kind,
            "output": output_data,
        }
    (out / "cases.json").write_text(json.dumps(report), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
