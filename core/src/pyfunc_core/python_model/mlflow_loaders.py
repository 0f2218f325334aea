"""Directories MLflow 3 wrote for models from code and for its chat and agent classes.

Their ``loader_module`` is one of MLflow's (``mlflow.pyfunc.loaders.code_model``,
``chat_model``, ``chat_agent``, ``responses_agent``) and their model is code that imports
``mlflow`` (a file calling ``mlflow.models.set_model``, or a pickled subclass of MLflow's
classes), so their ``requirements.txt`` lists ``mlflow``. We load them by calling that loader
module's ``_load_pyfunc`` where MLflow is installed, which runs the user's code exactly as
MLflow does; without MLflow the load fails with one line saying so. The returned wrapper
takes a request dict and returns MLflow's response dict (and ``predict_stream`` yields dicts).
"""

from __future__ import annotations

import importlib
from typing import Any

from pyfunc_core.errors import ModelLoadError
from pyfunc_core.model.mlmodel import ModelDirectory

LOADER_MODULES = (
    "mlflow.pyfunc.loaders.code_model",
    "mlflow.pyfunc.loaders.chat_model",
    "mlflow.pyfunc.loaders.chat_agent",
    "mlflow.pyfunc.loaders.responses_agent",
)


def load(model_dir: ModelDirectory) -> Any:
    loader = model_dir.loader_module
    try:
        module = importlib.import_module(loader)
    except ImportError as exc:
        raise ModelLoadError(
            f"This model was written by MLflow ({loader}) and its code needs MLflow: "
            f"pip install mlflow-skinny (its requirements.txt names the version). ({exc})"
        ) from None
    conf = model_dir.pyfunc_conf or {}
    wrapper = module._load_pyfunc(str(model_dir.path), conf.get("config"))
    return _Delegate(wrapper)


class _Delegate:
    """MLflow's wrapper with our predictor surface (``raw_model``, optional ``predict_stream``)."""

    def __init__(self, wrapper: Any):
        self._wrapper = wrapper
        get_raw = getattr(wrapper, "get_raw_model", None)
        self.raw_model = self.python_model = get_raw() if callable(get_raw) else wrapper
        if callable(getattr(wrapper, "predict_stream", None)) and _streams(self.raw_model):
            self.predict_stream = self._stream

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self._wrapper.predict(data, params)

    def _stream(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self._wrapper.predict_stream(data, params)


def _streams(model: Any) -> bool:
    """Whether the user's class overrides ``predict_stream`` (MLflow's bases raise in theirs)."""
    method = getattr(type(model), "predict_stream", None)
    if method is None:
        return False
    for base in type(model).__mro__[1:]:
        if base.__module__.startswith("mlflow.") and getattr(base, "predict_stream", None) is method:
            return False
    return True
