"""How input reaches an estimator's method: matched to the fitted columns, checked for width.

Shared by :class:`~pyfunc_sklearn.predictor.SklearnPredictor` and the scikit-learn-free
:class:`~pyfunc_sklearn.snapshot.SnapshotPredictor`, so both accept, reorder and refuse
exactly the same inputs. A DataFrame's columns are matched by name (reordered, extras
dropped), an unnamed one or a plain 2-d array by position; a numeric frame is handed on as
its one block of values when the method takes arrays.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable

from pyfunc_core.errors import InvalidInputError

Method = Callable[[Any], Any]


class InputRouting:
    """The fitted inputs (width, column names) of an estimator and the routing to its methods."""

    n_features: int | None
    feature_names: list[str] | None
    _name_index: Any
    _model_name: str

    def _init_inputs(self, model_name: str, n_features: Any, names: Any) -> None:
        self._model_name = model_name
        self.n_features = int(n_features) if isinstance(n_features, numbers.Integral) else None
        self.feature_names = None
        self._name_index = None
        if names is not None:
            import pandas as pd

            self.feature_names = [str(n) for n in names]
            self._name_index = pd.Index(names)

    def _route(self, data: Any, method: Method, array_method: Method | None) -> tuple[Method, Any]:
        """The method (or its name-check-free twin) to call and the input in the form it should get."""
        import numpy as np
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            if self._name_index is None:
                self._check_width(data)
                block = numeric_block(data)
                return method, data if block is None else block
            frame = self._by_name(data)
            if array_method is not None:
                block = numeric_block(frame)
                if block is not None:
                    return array_method, block
            return method, frame
        if isinstance(data, np.ndarray) and data.ndim == 2:
            self._check_width(data)
            if self._name_index is None:
                return method, data
            if array_method is not None and data.dtype.kind in "biuf":
                return array_method, data
            return method, pd.DataFrame(data, columns=self._name_index, copy=False)
        return method, data

    def _by_name(self, data: Any) -> Any:
        """``data`` with the fitted column names, in the fitted order."""
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

    def _check_width(self, data: Any) -> None:
        if self.n_features is not None and data.shape[1] != self.n_features:
            self._width_error(data.shape[1])

    def _width_error(self, got: int, detail: str = "") -> None:
        raise InvalidInputError(
            f"{self._model_name} expects {self.n_features} features but the input has {got}{detail}"
        )


def numeric_block(df: Any) -> Any:
    """The values of a DataFrame of numeric columns as one array (no copy for one block).

    ``to_numpy`` promotes mixed numeric columns to their common type exactly as
    scikit-learn's own conversion does; anything else (strings, booleans mixed with
    numbers, datetimes) comes out as objects and stays a DataFrame. Checking the array's
    dtype is about ten times cheaper than building ``df.dtypes`` on every call.
    """
    values = df.to_numpy()
    return values if values.dtype.kind in "biuf" else None


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
