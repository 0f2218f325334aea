"""``SklearnPredictor``: what the flavor's loader returns; calls the saved ``predict_fn``.

Input is handed to scikit-learn in the form it was fitted on, which skips its per-call
feature-name warnings (they go through the ``warnings`` machinery on every request) and
makes a pipeline fitted on named columns accept a plain 2-d array. The number of features
is checked up front so a wrong width is a 400, not scikit-learn's traceback.
"""

from __future__ import annotations

import numbers
from typing import Any

from pyfunc_core.errors import InvalidInputError, ModelLoadError
from pyfunc_sklearn.constants import PREDICT_FUNCTIONS


class SklearnPredictor:
    """A fitted estimator and the method (``predict``, ``predict_proba``...) serving calls.

    Returns what the method returns (a numpy array), exactly as MLflow's wrapper does.
    """

    def __init__(self, estimator: Any, predict_fn: str = "predict") -> None:
        if predict_fn not in PREDICT_FUNCTIONS:
            raise ModelLoadError(
                f"Unsupported predict_fn {predict_fn!r}; supported: {', '.join(PREDICT_FUNCTIONS)}"
            )
        method = getattr(estimator, predict_fn, None)
        if not callable(method):
            raise ModelLoadError(
                f"The model's predict_fn is {predict_fn!r}, but {type(estimator).__name__} has no "
                f"{predict_fn}() method"
            )
        self.raw_model = estimator
        self.predict_fn = predict_fn
        self._method = method
        self._label = f"{type(estimator).__name__}.{predict_fn}"
        n_features = getattr(estimator, "n_features_in_", None)
        self.n_features: int | None = int(n_features) if isinstance(n_features, numbers.Integral) else None
        names = getattr(estimator, "feature_names_in_", None)
        self.feature_names: list[str] | None = [str(n) for n in names] if names is not None else None
        self._name_index: Any = None
        if self.feature_names is not None:
            import pandas as pd

            self._name_index = pd.Index(names)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Call the estimator's ``predict_fn`` on ``data``; ``params`` are not used."""
        data = self._adapt(data)
        try:
            return self._method(data)
        except (ValueError, TypeError) as exc:
            raise InvalidInputError(f"{self._label} failed on the input: {_first_line(exc)}") from exc

    def _adapt(self, data: Any) -> Any:
        import numpy as np
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            if self._name_index is None:
                self._check_width(data)
                return _single_block(data)
            if data.columns.equals(self._name_index):
                return data
            if not all(isinstance(c, str) for c in data.columns):  # unnamed: match by position
                self._check_width(data)
                return data.set_axis(self._name_index, axis=1)
            present = set(data.columns)
            missing = [n for n in self.feature_names if n not in present]  # type: ignore[union-attr]
            if missing:
                shown = ", ".join(map(repr, missing[:10])) + (", ..." if len(missing) > 10 else "")
                self._width_error(data.shape[1], f" (missing column(s) {shown})")
            return data[self.feature_names]
        if isinstance(data, np.ndarray) and data.ndim == 2:
            self._check_width(data)
            if self._name_index is not None:
                return pd.DataFrame(data, columns=self._name_index, copy=False)
        return data

    def _check_width(self, data: Any) -> None:
        if self.n_features is not None and data.ndim == 2 and data.shape[1] != self.n_features:
            self._width_error(data.shape[1])

    def _width_error(self, got: int, detail: str = "") -> None:
        raise InvalidInputError(
            f"{type(self.raw_model).__name__} expects {self.n_features} features but the input has "
            f"{got}{detail}"
        )

    def __repr__(self) -> str:
        return f"SklearnPredictor({self._label})"


def _single_block(df: Any) -> Any:
    """A DataFrame whose columns share one numeric numpy dtype, as an array (no copy)."""
    import numpy as np

    dtypes = set(df.dtypes)
    if len(dtypes) == 1:
        dtype = dtypes.pop()
        if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
            return df.to_numpy()
    return df


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
