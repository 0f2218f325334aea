"""A predictor that calls one of a native model's methods, each also a named output.

Flavors of scikit-learn-API libraries (XGBoost, LightGBM...) serve ``predict`` or
``predict_proba`` as the saved ``predict_fn`` and offer the others as named outputs (the
scoring server's V2 requested outputs). A subclass says which methods exist, which
exceptions of its library mean bad input, and, where needed, how the method is called.
"""

from __future__ import annotations

from typing import Any, Callable

from pyfunc_core.errors import InvalidInputError


class MethodPredictor:
    """Calls ``predict_fn`` of ``raw_model``; every method in :attr:`methods` is an output."""

    #: The model methods served, ``predict`` first.
    methods: tuple[str, ...] = ("predict", "predict_proba")
    #: The dtype of the probabilities (and of ``predict`` when the model has no ``classes_``).
    float_dtype = "float64"
    #: Each output row depends only on its input row (the methods of gradient-boosted trees and
    #: the like), so a server may merge requests into one call (``registry.Predictor``).
    row_independent = True

    def __init__(self, model: Any, predict_fn: str = "predict") -> None:
        self.raw_model = model
        self.predict_fn = predict_fn

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self.predict_output(self.predict_fn, data, params)

    def outputs(self) -> dict[str, tuple[str, list[int]]]:
        """``predict_fn``, then the other methods the model has: name → (dtype, shape)."""
        classes = getattr(self.raw_model, "classes_", None)
        n_classes = len(classes) if classes is not None else -1
        described = {
            "predict": (str(classes.dtype) if classes is not None else self.float_dtype, [-1]),
            "predict_proba": (self.float_dtype, [-1, n_classes]),
        }
        names = [self.predict_fn] + [n for n in self.methods if n != self.predict_fn]
        return {
            n: described.get(n, (self.float_dtype, [-1]))
            for n in names
            if callable(getattr(self.raw_model, n, None))
        }

    def predict_output(self, name: str, data: Any, params: dict[str, Any] | None = None) -> Any:
        """The model's ``name`` method on ``data``; the library's input errors become 400s."""
        method = getattr(self.raw_model, name, None) if name in self.methods else None
        if not callable(method):
            raise InvalidInputError(f"{type(self.raw_model).__name__} has no output {name!r}")
        try:
            return self.call(method, data, params)
        except self.input_errors() as exc:
            text = str(exc).strip().splitlines()
            raise InvalidInputError(
                f"{type(self.raw_model).__name__}.{name} failed on the input: "
                f"{type(exc).__name__}: {text[0] if text else ''}"
            ) from exc

    def call(self, method: Callable[..., Any], data: Any, params: dict[str, Any] | None) -> Any:
        """Call ``method`` on ``data`` (override to convert the input or pass ``params``)."""
        return method(data)

    def input_errors(self) -> tuple[type[BaseException], ...]:
        """Exceptions that mean the input was wrong (override to add the library's own)."""
        return (ValueError, TypeError, KeyError)
