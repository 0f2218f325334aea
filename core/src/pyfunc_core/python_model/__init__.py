"""Custom models as Python classes: the API and the built-in flavor that stores them."""

from pyfunc_core.python_model.api import PythonModel, PythonModelContext

__all__ = ["PythonModel", "PythonModelContext"]
