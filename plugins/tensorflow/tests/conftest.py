"""Shared fixtures: tiny Keras models and SavedModels with fixed weights, saved once per
session, and real ``pyfunc-core serve`` processes on 127.0.0.1.

TensorFlow is imported once per session (by the first fixture that needs it); every model
is a few dozen weights so each test runs in well under a second once it is loaded.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pytest

from pyfunc_core.testing import ServerProcess
from repo_testing import build_once, digest, make_venv, run_checked, shared_test_cache

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0

A = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0], [0.0, 0.0, 1.0]], dtype=np.float32)
B = np.array([[1.0, -1.0], [2.0, 0.5], [0.0, 3.0]], dtype=np.float32)
X = np.array([[1.0, 2.0], [3.0, 4.0], [-1.0, 0.5]], dtype=np.float32)


def multi_input_keras() -> Any:
    """``concat(a[3], b[2]) -> Dense(2)`` with fixed weights: inputs named ``a`` and ``b``."""
    import keras

    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    out = keras.layers.Dense(2, name="score")(keras.layers.Concatenate()([a, b]))
    model = keras.Model([a, b], out)
    kernel = np.arange(10, dtype=np.float32).reshape(5, 2) / 10.0
    model.get_layer("score").set_weights([kernel, np.array([0.5, -0.5], dtype=np.float32)])
    return model


def single_input_keras() -> Any:
    """``x[2] -> Dense(1)``: weights (1, 2), bias 0.25."""
    import keras

    model = keras.Sequential([keras.Input((2,), name="x"), keras.layers.Dense(1, name="out")])
    model.get_layer("out").set_weights([np.array([[1.0], [2.0]], np.float32), np.array([0.25], np.float32)])
    return model


def linear_module() -> Any:
    """A ``tf.Module`` with a serving signature: ``x[2] -> {"y": x @ w, "z": 2x}``."""
    import tensorflow as tf

    class Linear(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable([[1.0], [2.0]])

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="x")])
        def __call__(self, x: Any) -> Any:
            return {"y": tf.matmul(x, self.w), "z": x * 2.0}

    return Linear()


class Saved:
    """The tiny models, and their directories saved by ``pyfunc_tensorflow.save_model``."""

    def __init__(self, root: Path) -> None:
        import pyfunc_tensorflow

        self.root = root
        self.A, self.B, self.X = A, B, X
        self.keras_multi = multi_input_keras()
        self.keras_single = single_input_keras()
        self.multi = root / "multi"
        pyfunc_tensorflow.save_model(self.keras_multi, self.multi, input_example={"a": A[:2], "b": B[:2]})
        self.single = root / "single"
        pyfunc_tensorflow.save_model(self.keras_single, self.single, input_example=X[:2])
        self.unsigned = root / "unsigned"
        pyfunc_tensorflow.save_model(self.keras_single, self.unsigned)
        self.module = root / "module"
        pyfunc_tensorflow.save_model(linear_module(), self.module, input_example={"x": X[:2]})
        exported = root / "exported-savedmodel"
        self.keras_multi.export(str(exported), verbose=False)
        self.exported = root / "exported"
        pyfunc_tensorflow.save_model(exported, self.exported, input_example={"a": A[:2], "b": B[:2]})


class Tiny:
    """The fixed inputs and model builders above, for test modules (which cannot import this one)."""

    A, B, X = A, B, X
    multi_input_keras = staticmethod(multi_input_keras)
    single_input_keras = staticmethod(single_input_keras)
    linear_module = staticmethod(linear_module)


@pytest.fixture(scope="session")
def tiny() -> type[Tiny]:
    return Tiny


@pytest.fixture(scope="session")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Saved:
    return Saved(tmp_path_factory.mktemp("tf-models"))


@pytest.fixture(scope="session")
def expected(saved: Saved) -> dict[str, Any]:
    """What the native models answer for the fixed inputs."""
    return {
        "multi": saved.keras_multi.predict_on_batch([A, B]),
        "single": saved.keras_single.predict_on_batch(X),
        "y": X @ np.array([[1.0], [2.0]], np.float32),
        "z": X * 2.0,
    }


# -- servers --------------------------------------------------------------------------------


class Server(ServerProcess):
    """A ``python -m pyfunc_core serve`` subprocess on 127.0.0.1 (stopped by the fixture)."""

    def __init__(self, model: Path, log: Path, *extra: str, python_args: tuple[str, ...] = ()) -> None:
        super().__init__(
            model, *extra, log=log, python_args=python_args,
            start_timeout=START_TIMEOUT, stop_timeout=STOP_TIMEOUT,
        )  # fmt: skip

    def post(self, path: str, body: Any) -> Any:
        import requests

        return requests.post(self.url + path, json=body, timeout=60)


@pytest.fixture(scope="module")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    """``start_server(model_dir, *serve_args)``: a running server, stopped after the module."""
    pytest.importorskip("pyfunc_scoring_server", reason="needs the pyfunc-scoring-server plugin")
    logs = tmp_path_factory.mktemp("server-logs")
    started: list[Server] = []

    def start(model: Path, *extra: str, python_args: tuple[str, ...] = ()) -> Server:
        server = Server(model, logs / f"server-{len(started)}.log", *extra, python_args=python_args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# -- model directories written by the real MLflow -------------------------------------------

MLFLOW_REQUIREMENT = "mlflow-skinny==3.17.2"
#: MLflow's TensorFlow flavor imports pandas; inferring a signature needs scipy.
MLFLOW_EXTRAS = ("pandas", "scipy")
MAKE_MODELS = Path(__file__).parent / "mlflow_side" / "make_models.py"
INSTALL_TIMEOUT = 1500
SCRIPT_TIMEOUT = 900


def _mlflow_pins() -> list[str]:
    """MLflow plus the host's exact TensorFlow build and Keras, so the saved files match."""
    from importlib import metadata

    from pyfunc_tensorflow.framework import tensorflow_distribution

    found = tensorflow_distribution()
    assert found is not None, "TensorFlow is not installed"
    return [
        MLFLOW_REQUIREMENT,
        f"{found[0]}=={found[1]}",
        f"keras=={metadata.version('keras')}",
        *MLFLOW_EXTRAS,
    ]


def _run_clean(cmd: list[str], timeout: float, what: str) -> None:
    """``run_checked`` without the host's PYTHONPATH/PYTHONHOME leaking into the MLflow venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    run_checked(cmd, timeout, what, env=env)


def _cached(final: Path, build: Callable[[Path], None]) -> Path:
    """``final``, built once per machine; older builds of the same kind are pruned."""
    build_once(final, build)
    _prune_older(final)
    return final


def _prune_older(final: Path) -> None:
    """Remove earlier builds of the same kind (other keys), which a version change left behind."""
    import shutil

    prefix = final.name.rsplit("-", 1)[0] + "-"
    for sibling in final.parent.glob(prefix + "*"):
        if sibling != final and ".tmp-" not in sibling.name and (sibling / ".complete").is_file():
            shutil.rmtree(sibling, ignore_errors=True)


def _build_mlflow_venv(dest: Path) -> None:
    # Through uv when it is installed: TensorFlow's gigabyte is then linked from the cache that
    # ./.venv was installed from, not copied a second time.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    make_venv(dest, _mlflow_pins(), timeout=INSTALL_TIMEOUT, env=env)
    python = str(dest / "bin" / "python")
    _run_clean([python, "-c", "import mlflow.tensorflow, mlflow.keras"], 300, "importing mlflow.tensorflow")


@pytest.fixture(scope="session")
def mlflow_python() -> Path:
    """The Python of a cached virtualenv with MLflow and the host's TensorFlow and Keras.

    Kept apart from the scikit-learn tests' MLflow venv (``mlflow-tensorflow-venv-*``); built
    once per machine under ``$PYFUNC_CORE_TEST_CACHE`` (default ``~/.cache/pyfunc-core-tests``).
    """
    tag = f"py{sys.version_info[0]}{sys.version_info[1]}-{digest(*_mlflow_pins())}"
    venv = _cached(shared_test_cache() / f"mlflow-tensorflow-venv-{tag}", _build_mlflow_venv)
    return venv / "bin" / "python"


@pytest.fixture(scope="session")
def mlflow_models(mlflow_python: Path) -> dict[str, Any]:
    """Directories saved by ``mlflow.tensorflow`` / ``mlflow.keras`` and MLflow's predictions.

    ``{"root": Path, "mlflow_version": str, "cases": {name: {input, output (+ kinds)}}}``;
    cached beside the venv, keyed by the script and the venv.
    """
    import json

    script = MAKE_MODELS.read_text(encoding="utf-8")
    tag = digest(str(mlflow_python), script, *_mlflow_pins())

    def generate(out: Path) -> None:
        out.mkdir(parents=True)
        _run_clean(
            [str(mlflow_python), str(MAKE_MODELS), str(out)], SCRIPT_TIMEOUT, "saving models with MLflow"
        )

    root = _cached(shared_test_cache() / f"mlflow-tensorflow-models-{tag}", generate)
    report = json.loads((root / "cases.json").read_text(encoding="utf-8"))
    return {"root": root, **report}
