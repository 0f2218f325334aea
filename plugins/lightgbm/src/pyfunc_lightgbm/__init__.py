"""pyfunc-lightgbm: the LightGBM flavor for pyfunc-core.

``save_model(model, path)`` writes a ``Booster`` (LightGBM's text model file) or a
scikit-learn-API estimator (``LGBMClassifier``..., as skops, cloudpickle or pickle through
the core's formats) in ``mlflow.lightgbm``'s layout; ``load_model(path)`` reads it back.
lightgbm is imported only when a model is saved or loaded.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

FLAVOR_NAME = "lightgbm"
#: MLflow's loader module, written in MLmodel so ``mlflow.pyfunc`` loads our directories.
LOADER_MODULES = ("mlflow.lightgbm", "pyfunc_lightgbm")
LIGHTGBM_REQUIREMENT = "lightgbm>=4.0"
#: A Booster's own file, and the core formats MLflow writes scikit-learn-API estimators in.
BOOSTER_FORMAT = "lightgbm-text"
SERIALIZATION_FORMATS = ("skops", "cloudpickle", "pickle")
PREDICT_FUNCTIONS = ("predict", "predict_proba")

__all__ = [
    "FLAVOR_NAME",
    "PREDICT_FUNCTIONS",
    "SERIALIZATION_FORMATS",
    "__version__",
    "load_model",
    "save_model",
]


def __getattr__(name: str) -> Any:
    if name not in ("save_model", "load_model", "LightGBMPredictor"):
        raise AttributeError(f"module 'pyfunc_lightgbm' has no attribute {name!r}")
    value = getattr(importlib.import_module("pyfunc_lightgbm.flavor"), name)
    globals()[name] = value
    return value
