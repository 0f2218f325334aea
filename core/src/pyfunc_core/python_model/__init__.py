"""Custom models as Python classes: the API and the built-in flavor that stores them.

This module is the ``loader_module`` such models record in ``MLmodel``, so MLflow loads them
(``mlflow.pyfunc.load_model``) wherever pyfunc-core is installed, through :func:`_load_pyfunc`.
"""

from __future__ import annotations

from typing import Any

from pyfunc_core.python_model.api import PythonModel, PythonModelContext

__all__ = ["PythonModel", "PythonModelContext"]


def _load_pyfunc(path: str, model_config: dict[str, Any] | None = None) -> Any:
    """MLflow's loader entry point: the model directory at ``path`` as an object with
    ``predict(data, params=None)``."""
    from pyfunc_core.python_model.flavor import load_pyfunc

    return load_pyfunc(path, model_config)
