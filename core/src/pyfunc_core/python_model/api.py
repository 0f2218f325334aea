"""The ``PythonModel`` API: custom models written as a Python class."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar


class PythonModelContext:
    """What ``load_context`` receives: local artifact paths and the model's config."""

    def __init__(self, artifacts: dict[str, str], model_config: dict[str, Any] | None):
        self._artifacts = artifacts
        self._model_config = model_config or {}

    @property
    def artifacts(self) -> dict[str, str]:
        """Artifact name -> absolute local path inside the loaded model directory."""
        return self._artifacts

    @property
    def model_config(self) -> dict[str, Any]:
        """The ``model_config`` given at save time (read-only configuration)."""
        return self._model_config


class PythonModel(ABC):
    """Subclass this and implement :meth:`predict` to package arbitrary Python code.

    The instance is pickled with cloudpickle at save time; :meth:`load_context` runs once
    when the model is loaded, to open artifacts (weights files, vocabularies...). A
    subclass may also define ``predict_stream(context, model_input, params=None)`` that
    yields predictions piece by piece; ``PyFuncModel.predict_stream`` then calls it.
    """

    #: Set to True when each output row depends only on its input row (and the params): a
    #: server may then merge concurrent requests into one ``predict`` call and split the result
    #: (the scoring server does by default). Left False, every request is predicted alone.
    row_independent: bool = False
    #: The ``predict`` input's type hint, resolved when the subclass is defined.
    _pyfunc_input_hint: ClassVar[Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        predict = cls.__dict__.get("predict")
        if predict is not None:
            from pyfunc_core.python_model.type_hints import input_hint

            # resolved now, while the names in the annotations exist: a class pickled by value
            # carries this attribute (and the hinted types), not its module's globals
            cls._pyfunc_input_hint = input_hint(predict)

    def load_context(self, context: PythonModelContext) -> None:
        """Load artifacts from ``context.artifacts``; called once at load time."""

    @abstractmethod
    def predict(
        self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None
    ) -> Any:
        """Return predictions for ``model_input`` (a DataFrame, ndarray or dict)."""
