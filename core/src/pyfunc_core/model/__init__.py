"""Model directories: the ``MLmodel`` format, saving, loading and the ``PyFuncModel``."""

from pyfunc_core.model.conda_env import CondaEnv, read_conda_env
from pyfunc_core.model.input_example import load_input_example
from pyfunc_core.model.load import load_model
from pyfunc_core.model.mlmodel import ModelDirectory, ModelMeta
from pyfunc_core.model.pyfunc_model import PyFuncModel
from pyfunc_core.model.requirements import expand_requirement_files, pin
from pyfunc_core.model.save import save_model_directory

__all__ = [
    "CondaEnv",
    "ModelDirectory",
    "ModelMeta",
    "PyFuncModel",
    "expand_requirement_files",
    "load_input_example",
    "load_model",
    "pin",
    "read_conda_env",
    "save_model_directory",
]
