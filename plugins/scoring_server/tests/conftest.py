"""Fixtures: small PythonModel directories and real servers started as subprocesses on loopback."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Iterator

import cloudpickle
import numpy as np
import pandas as pd
import pytest
import requests

from pyfunc_core import PythonModel, save_model
from pyfunc_core.schema import ColSpec, ModelSignature, ParamSchema, ParamSpec, Schema, TensorSpec
from pyfunc_core.testing import ServerProcess

# The server process cannot import this test module: pickle its classes by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class ScoreModel(PythonModel):
    """``a * multiplier + b``; raises on a negative ``a``; sleeps ``params["sleep"]`` seconds."""

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        params = params or {}
        if params.get("sleep"):
            time.sleep(params["sleep"])
        if (model_input["a"] < 0).any():
            raise ValueError("negative a is not allowed")
        return (model_input["a"] * params.get("multiplier", 1.0) + model_input["b"]).to_numpy()


class WrappedEstimator(PythonModel):
    """A fitted scikit-learn estimator behind the PythonModel API."""

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return self.estimator.predict(model_input)


class TensorModel(PythonModel):
    """Sum over the last axis of a float32 (-1, 3) tensor."""

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return np.asarray(model_input).sum(axis=-1)


class BatchProbe(PythonModel):
    """Each row's ``a`` and the number of rows in the predict call that saw it."""

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        if (model_input["a"] < 0).any():
            raise ValueError("negative a is not allowed")
        return pd.DataFrame({"a": model_input["a"], "batch": len(model_input)})


class TextModel(PythonModel):
    """A DataFrame of the upper-cased text and its length, per row (an unencodable object for "opaque")."""

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        text = model_input["text"].astype(str)
        if (text == "opaque").any():
            return [object()]  # nothing can encode this: the server's 500 path
        return pd.DataFrame({"upper": text.str.upper(), "length": text.str.len() + model_input["n"]})


SCORE_SIGNATURE = ModelSignature(
    inputs=Schema([ColSpec("double", "a"), ColSpec("double", "b")]),
    outputs=Schema([ColSpec("double")]),
    params=ParamSchema([ParamSpec("multiplier", "double", 1.0), ParamSpec("sleep", "double", 0.0)]),
)
FEATURES = [f"f{i}" for i in range(20)]


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Model directories by name: score, logreg, tensor, probe, text."""
    from sklearn.linear_model import LogisticRegression

    root = tmp_path_factory.mktemp("models")
    out = {}
    out["score"] = root / "score"
    save_model(out["score"], python_model=ScoreModel(), signature=SCORE_SIGNATURE)
    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(300, 20)), columns=FEATURES)
    y = (X["f0"] + X["f1"] > 0).astype(int)
    out["logreg"] = root / "logreg"
    save_model(
        out["logreg"], python_model=WrappedEstimator(LogisticRegression().fit(X, y)), input_example=X.head(2)
    )
    out["tensor"] = root / "tensor"
    save_model(
        out["tensor"],
        python_model=TensorModel(),
        signature=ModelSignature(inputs=Schema([TensorSpec("float32", (-1, 3))])),
    )
    out["probe"] = root / "probe"
    save_model(
        out["probe"],
        python_model=BatchProbe(),
        signature=ModelSignature(inputs=Schema([ColSpec("long", "a")])),
    )
    out["text"] = root / "text"
    save_model(
        out["text"],
        python_model=TextModel(),
        signature=ModelSignature(inputs=Schema([ColSpec("string", "text"), ColSpec("long", "n")])),
    )
    return out


class Server(ServerProcess):
    """A ``pyfunc-core serve`` subprocess on 127.0.0.1, with request helpers."""

    def __init__(self, model: Path, args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        super().__init__(
            model, *args, log=log, env=env, start_timeout=START_TIMEOUT, stop_timeout=STOP_TIMEOUT
        )

    def post(self, path: str, body: Any = None, *, data: Any = None, headers: Any = None, **kw: Any) -> Any:
        if body is not None:
            return requests.post(self.url + path, json=body, headers=headers, timeout=30, **kw)
        return requests.post(self.url + path, data=data, headers=headers, timeout=30, **kw)

    def get(self, path: str, **kw: Any) -> Any:
        return requests.get(self.url + path, timeout=30, **kw)


@pytest.fixture(scope="module")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """``start_server(model_dir, *args)`` -> a running :class:`Server`; all stopped at the end."""
    started: list[Server] = []
    logs = tmp_path_factory.mktemp("logs")
    # one log directory per module

    def start(model: Path, *args: str, env: dict[str, str] | None = None) -> Server:
        server = Server(model, list(args), logs / f"server-{len(started)}.log", env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
