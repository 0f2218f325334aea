"""pyfunc-xgboost: the XGBoost flavor for pyfunc-core.

``save_model(model, path)`` writes a ``Booster`` or a scikit-learn-API estimator
(``XGBClassifier``...) in ``mlflow.xgboost``'s layout; ``load_model(path)`` reads it back.
xgboost is imported only when a model is saved or loaded.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

FLAVOR_NAME = "xgboost"
#: MLflow's loader module, written in MLmodel so ``mlflow.pyfunc`` loads our directories.
LOADER_MODULES = ("mlflow.xgboost", "pyfunc_xgboost")
XGBOOST_REQUIREMENT = "xgboost>=2.0"
#: ``model_format`` values (MLflow's): UBJSON (default), JSON, and the legacy binary name.
MODEL_FORMATS = ("ubj", "json", "xgb")
PREDICT_FUNCTIONS = ("predict", "predict_proba")

__all__ = ["FLAVOR_NAME", "MODEL_FORMATS", "PREDICT_FUNCTIONS", "__version__", "load_model", "save_model"]


def __getattr__(name: str) -> Any:
    if name not in ("save_model", "load_model", "XGBoostPredictor"):
        raise AttributeError(f"module 'pyfunc_xgboost' has no attribute {name!r}")
    value = getattr(importlib.import_module("pyfunc_xgboost.flavor"), name)
    globals()[name] = value
    return value
