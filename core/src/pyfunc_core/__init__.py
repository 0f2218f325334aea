"""pyfunc-core: package trained models in MLflow's format and serve them through plugins.

Heavy names (pandas-backed schema code, the model API) load on first attribute access so
that ``pyfunc-core --help`` and plugin discovery stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from pyfunc_core._version import __version__
from pyfunc_core.hookspecs import hookimpl, hookspec

_LAZY = {
    "save_model": "pyfunc_core.python_model.flavor",
    "load_model": "pyfunc_core.model.load",
    "PyFuncModel": "pyfunc_core.model.pyfunc_model",
    "PythonModel": "pyfunc_core.python_model.api",
    "PythonModelContext": "pyfunc_core.python_model.api",
    "set_model": "pyfunc_core.python_model.code_model",
    "get_model_config": "pyfunc_core.python_model.code_model",
    "ChatModel": "pyfunc_core.python_model.chat",
    "ChatAgent": "pyfunc_core.python_model.chat",
    "ResponsesAgent": "pyfunc_core.python_model.chat",
    "ModelSignature": "pyfunc_core.schema.signature",
    "infer_signature": "pyfunc_core.schema.signature",
    "Schema": "pyfunc_core.schema.types",
    "ColSpec": "pyfunc_core.schema.types",
    "TensorSpec": "pyfunc_core.schema.types",
    "ParamSchema": "pyfunc_core.schema.types",
    "ParamSpec": "pyfunc_core.schema.types",
    "DataType": "pyfunc_core.schema.types",
}

__all__ = ["__version__", "hookimpl", "hookspec", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pyfunc_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
