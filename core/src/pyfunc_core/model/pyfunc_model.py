"""``PyFuncModel``: a loaded model with one ``predict`` whatever its flavor."""

from __future__ import annotations

import inspect
from typing import Any, Iterator

from pyfunc_core.errors import InvalidInputError, PyfuncError
from pyfunc_core.model.mlmodel import ModelDirectory, ModelMeta
from pyfunc_core.registry import Flavor, Predictor
from pyfunc_core.schema.enforce import enforce_params, enforce_schema


class PyFuncModel:
    """A model loaded by its flavor, with the signature enforced on every call."""

    def __init__(self, model_dir: ModelDirectory, predictor: Predictor, flavor: Flavor):
        self._dir = model_dir
        self._predictor = predictor
        self.flavor = flavor
        # a signature from type hints is applied by the model's own input conversion
        hinted = bool(model_dir.meta.extra.get("is_signature_from_type_hint"))
        self._input_schema = None if hinted else model_dir.meta.get_input_schema()
        self._params_schema = model_dir.meta.get_params_schema()
        self._takes_params = _accepts_params(predictor.predict)

    @property
    def metadata(self) -> ModelMeta:
        """The model's ``MLmodel`` contents (signature, flavors, metadata...)."""
        return self._dir.meta

    @property
    def path(self) -> Any:
        return self._dir.path

    @property
    def model_impl(self) -> Predictor:
        return self._predictor

    def prepare_input(self, data: Any, params: dict[str, Any] | None = None) -> tuple[Any, Any]:
        """Apply the signature to ``data`` and ``params`` as :meth:`predict` does."""
        if self._input_schema is not None:
            data = enforce_schema(data, self._input_schema)
        return data, enforce_params(params, self._params_schema)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Enforce the signature on ``data`` and ``params``, then predict."""
        data, params = self.prepare_input(data, params)
        return self.predict_prepared(data, params)

    def predict_prepared(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Predict on input already passed through :meth:`prepare_input` (the server's path)."""
        if self._takes_params:
            return self._predictor.predict(data, params=params)
        return self._predictor.predict(data)

    def predict_stream(self, data: Any, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """Stream predictions from a model that implements ``predict_stream``."""
        stream = getattr(self._predictor, "predict_stream", None)
        if stream is None:
            raise PyfuncError(
                f"This model ({self.flavor.name} flavor) does not support predict_stream",
                error_code="BAD_REQUEST",
            )
        data, params = self.prepare_input(data, params)
        return iter(stream(data, params=params))

    def unwrap_python_model(self) -> Any:
        """The user's ``PythonModel`` instance (only for the ``python_model`` flavor)."""
        unwrap = getattr(self._predictor, "python_model", None)
        if unwrap is None:
            raise InvalidInputError("unwrap_python_model() needs a model saved from a PythonModel")
        return unwrap

    def get_raw_model(self) -> Any:
        """The native model object (estimator, Keras model...) when the flavor exposes it."""
        return getattr(self._predictor, "raw_model", self._predictor)

    def __repr__(self) -> str:
        return f"PyFuncModel(flavor={self.flavor.name!r}, path='{self._dir.path}')"


def _accepts_params(fn: Any) -> bool:
    try:
        return "params" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
