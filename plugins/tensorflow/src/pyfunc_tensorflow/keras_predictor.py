"""A Keras 3 model behind ``predict``, answering as MLflow's ``_KerasModelWrapper`` does."""

from __future__ import annotations

import threading
from typing import Any

from pyfunc_tensorflow.errors import input_errors
from pyfunc_tensorflow.inputs import named_tensors
from pyfunc_tensorflow.outputs import to_numpy

#: Inputs up to this many rows run as one batch; larger ones go through ``model.predict``.
ONE_BATCH_ROWS = 8192
PREDICT_BATCH_SIZE = 1024


class KerasPredictor:
    """Predicts with a Keras model; ``raw_model`` is the model itself.

    A DataFrame (which only arrives here when the model has no signature) gets a DataFrame
    back with the same index, as MLflow does; any other input gets what Keras returns: an
    ndarray, or a list or dict of them for multi-output models.
    """

    #: Keras inference computes each sample of a batch on its own: requests may be merged.
    row_independent = True

    def __init__(self, model: Any) -> None:
        self.raw_model = model
        self.input_names, self._dict_inputs = _input_names(model)
        # Keras traces its predict function on first use; concurrent first calls race.
        self._lock = threading.Lock()

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        import pandas as pd

        feed = self._feed(data)
        with input_errors("The Keras model"), self._lock:
            result = self._run(feed)
        if isinstance(data, pd.DataFrame) and hasattr(result, "ndim") and result.ndim <= 2:
            return pd.DataFrame(result, index=data.index)
        return result

    def _feed(self, data: Any) -> Any:
        if not self.input_names:  # a subclassed model that declares no inputs: pass through
            return data.to_numpy() if hasattr(data, "to_numpy") else data
        tensors = named_tensors(data, self.input_names)
        if self._dict_inputs:
            return tensors
        if len(tensors) == 1:
            return next(iter(tensors.values()))
        return [tensors[n] for n in self.input_names]

    def _run(self, feed: Any) -> Any:
        first = feed
        if isinstance(feed, dict):
            first = next(iter(feed.values()), None)
        elif isinstance(feed, list):
            first = feed[0] if feed else None
        rows = len(first) if hasattr(first, "__len__") else 0
        if rows <= ONE_BATCH_ROWS:
            return to_numpy(self.raw_model.predict_on_batch(feed))
        return to_numpy(self.raw_model.predict(feed, batch_size=PREDICT_BATCH_SIZE, verbose=0))


def _input_names(model: Any) -> tuple[list[str], bool]:
    """The model's input names, and whether it takes them as a dict (``Model({"a": ...})``)."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):  # a subclassed model that was never built
        return [], False
    try:
        structure = model.input
    except (AttributeError, ValueError):  # a loaded Sequential model answers only once called
        structure = None
    if isinstance(structure, dict):
        return [str(k) for k in structure], True
    if not inputs:
        return [], False
    return [str(getattr(t, "name", f"input_{i}")) for i, t in enumerate(inputs)], False
