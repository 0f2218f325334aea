"""Model directories: the ``MLmodel`` format, saving, loading and the ``PyFuncModel``.

The names in ``__all__`` are public (what a flavor plugin builds on); they load on first
use, so importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfunc_core._lazy import lazy_exports

if TYPE_CHECKING:
    from pyfunc_core.model.conda_env import CondaEnv, read_conda_env
    from pyfunc_core.model.input_example import load_input_example
    from pyfunc_core.model.load import load_model, resolve_flavor
    from pyfunc_core.model.method_predictor import MethodPredictor
    from pyfunc_core.model.mlmodel import ModelDirectory, ModelMeta
    from pyfunc_core.model.pyfunc_model import PyFuncModel
    from pyfunc_core.model.requirements import expand_requirement_files, pin
    from pyfunc_core.model.save import CODE_DIR, save_model_directory

_SOURCES = {
    "conda_env": ("CondaEnv", "read_conda_env"),
    "input_example": ("load_input_example",),
    "load": ("load_model", "resolve_flavor"),
    "method_predictor": ("MethodPredictor",),
    "mlmodel": ("ModelDirectory", "ModelMeta"),
    "pyfunc_model": ("PyFuncModel",),
    "requirements": ("expand_requirement_files", "pin"),
    "save": ("CODE_DIR", "save_model_directory"),
}

__all__ = [
    "CODE_DIR",
    "CondaEnv",
    "MethodPredictor",
    "ModelDirectory",
    "ModelMeta",
    "PyFuncModel",
    "expand_requirement_files",
    "load_input_example",
    "load_model",
    "pin",
    "read_conda_env",
    "resolve_flavor",
    "save_model_directory",
]

__getattr__, __dir__ = lazy_exports(__name__, _SOURCES)
