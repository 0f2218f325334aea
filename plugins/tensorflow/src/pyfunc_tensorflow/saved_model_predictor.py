"""TensorFlow SavedModels behind ``predict``: through a serving signature, or called directly."""

from __future__ import annotations

from typing import Any

from pyfunc_core.errors import ModelLoadError
from pyfunc_tensorflow.errors import input_errors
from pyfunc_tensorflow.inputs import coerce, named_tensors
from pyfunc_tensorflow.outputs import signature_outputs, to_numpy


class SignaturePredictor:
    """Calls one serving signature (``serving_default``) with named tensors.

    Inputs are matched to the signature's argument names and cast and shape-checked against
    its specs; outputs are a dict of arrays (a DataFrame for a DataFrame input), as MLflow's
    ``_TF2Wrapper`` returns them.
    """

    #: A serving signature maps a batch sample by sample: requests may be merged (one whose
    #: batch dimension is fixed fails merged, and the scoring server then runs each alone).
    row_independent = True

    def __init__(self, loaded: Any, signature_key: str) -> None:
        if signature_key not in loaded.signatures:
            available = ", ".join(loaded.signatures) or "none"
            raise ModelLoadError(
                f"The SavedModel has no signature {signature_key!r} (signatures: {available})"
            )
        self.raw_model = loaded  # the signature function holds only weak references to it
        self.signature_key = signature_key
        self._fn = loaded.signatures[signature_key]
        self.input_specs = dict(self._fn.structured_input_signature[1])
        self.input_names = list(self.input_specs)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        import pandas as pd

        tensors = named_tensors(data, self.input_names)
        feed = {}
        for name, value in tensors.items():
            spec = self.input_specs[name]
            feed[name] = coerce(value, spec.dtype.as_numpy_dtype, spec.shape.as_list(), name)
        with input_errors("The SavedModel"):
            raw = self._fn(**feed)
        frame = isinstance(data, pd.DataFrame)
        return signature_outputs(raw, frame, data.index if frame else None)


class ModulePredictor:
    """Calls a restored ``tf.Module`` on one tensor, as MLflow's ``_TF2ModuleWrapper`` does."""

    def __init__(self, loaded: Any) -> None:
        if not callable(loaded):
            raise ModelLoadError(
                "The SavedModel is not callable and has no serving signature to predict with"
            )
        self.raw_model = loaded

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        import tensorflow as tf

        value = named_tensors(data, ["input"])["input"]
        with input_errors("The TensorFlow module"):
            return to_numpy(self.raw_model(tf.convert_to_tensor(value)))


class ExportedKerasPredictor:
    """A Keras model exported as a SavedModel (``model.export``), called through ``serve``.

    This is MLflow's ``keras`` flavor with ``save_exported_model: true``: the inputs are
    matched by name to the ``serve`` endpoint's specs and its output returned as numpy.
    """

    #: Keras inference, as :class:`KerasPredictor`: requests may be merged.
    row_independent = True

    def __init__(self, loaded: Any) -> None:
        import tensorflow as tf

        serve = getattr(loaded, "serve", None)
        if serve is None:
            raise ModelLoadError("The exported Keras model has no 'serve' endpoint")
        self.raw_model = loaded
        self._serve = serve
        # A restored endpoint keeps its traced signatures on its concrete functions; the first
        # positional argument is the model's input (later ones are Keras' training/mask).
        traced = getattr(serve, "concrete_functions", None) or [serve]
        self._structure = traced[0].structured_input_signature[0][0]
        self._specs = tf.nest.flatten(self._structure)
        self.input_names = [s.name or f"input_{i}" for i, s in enumerate(self._specs)]

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        import pandas as pd
        import tensorflow as tf

        tensors = named_tensors(data, self.input_names)
        flat = [
            coerce(tensors[n], s.dtype.as_numpy_dtype, s.shape.as_list(), n)
            for n, s in zip(self.input_names, self._specs)
        ]
        with input_errors("The exported Keras model"):
            result = to_numpy(self._serve(tf.nest.pack_sequence_as(self._structure, flat)))
        if isinstance(data, pd.DataFrame) and hasattr(result, "ndim") and result.ndim <= 2:
            return pd.DataFrame(result, index=data.index)
        return result
