"""pyfunc-tensorflow: save, load and serve Keras 3 models and TensorFlow SavedModels.

Importing this package imports no TensorFlow: that happens when a model is saved or loaded.
Its two functions load their modules on first use, so the entry point (``pyfunc_tensorflow.plugin``,
imported at every ``pyfunc-core`` start) costs nothing more than the flavor's registration.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"load_model": "pyfunc_tensorflow.load", "save_model": "pyfunc_tensorflow.save"}

__all__ = ["load_model", "save_model"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pyfunc_tensorflow' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
