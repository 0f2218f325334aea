"""pyfunc-tensorflow: save, load and serve Keras 3 models and TensorFlow SavedModels.

Importing this package imports no TensorFlow: that happens when a model is saved or loaded.
"""

from __future__ import annotations

from pyfunc_tensorflow.load import load_model
from pyfunc_tensorflow.save import save_model

__all__ = ["load_model", "save_model"]
