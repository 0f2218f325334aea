"""pyfunc-sklearn: the scikit-learn flavor for pyfunc-core.

``save_model`` writes an estimator or pipeline as a model directory in MLflow's layout;
``load_model`` reads it back as the native estimator. ``pyfunc_core.load_model`` loads
the same directories (and those written by ``mlflow.sklearn``) as a ``PyFuncModel``.

scikit-learn is imported only when a model is saved or loaded: importing this package
is cheap, because the entry-point module imports it at every ``pyfunc-core`` start-up.
"""

from __future__ import annotations

import importlib
from typing import Any

from pyfunc_sklearn.constants import (
    FLAVOR_NAME,
    PREDICT_FUNCTIONS,
    SERIALIZATION_FORMATS,
    SklearnVersionWarning,
)

__version__ = "0.1.0"

_LAZY = {
    "save_model": "pyfunc_sklearn.save",
    "load_model": "pyfunc_sklearn.load",
    "SklearnPredictor": "pyfunc_sklearn.predictor",
}

__all__ = [
    "FLAVOR_NAME",
    "PREDICT_FUNCTIONS",
    "SERIALIZATION_FORMATS",
    "SklearnPredictor",
    "SklearnVersionWarning",
    "__version__",
    "load_model",
    "save_model",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pyfunc_sklearn' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
