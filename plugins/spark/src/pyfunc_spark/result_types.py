"""``result_type``: parsing it, and turning a model's predictions into that Spark type."""

from __future__ import annotations

from typing import Any

from pyfunc_core.errors import InvalidParameterError, PredictionError

#: Spark scalar type name -> numpy dtype of the pandas values handed back to Spark.
_SCALARS = {
    "double": "float64",
    "float": "float32",
    "int": "int32",
    "integer": "int32",
    "long": "int64",
    "bigint": "int64",
    "string": "str",
    "boolean": "bool",
}
SUPPORTED = "double, float, int, long, string, boolean, array<one of those>, or a struct of those"


def parse_result_type(result_type: Any) -> Any:
    """A pyspark ``DataType`` from a DDL string (``"array<double>"``) or a ``DataType``."""
    from pyspark.sql.types import ArrayType, DataType, StructType

    if isinstance(result_type, str):
        try:
            parsed = DataType.fromDDL(result_type)
        except Exception:
            raise InvalidParameterError(
                f"result_type {result_type!r} is not a Spark type; use {SUPPORTED}"
            ) from None
    elif isinstance(result_type, DataType):
        parsed = result_type
    else:
        raise InvalidParameterError(
            f"result_type must be a string or a pyspark DataType, got {result_type!r}"
        )
    if isinstance(parsed, StructType):
        for field in parsed.fields:
            _check_element(field.dataType, result_type, allow_array=True)
    elif isinstance(parsed, ArrayType):
        _check_element(parsed.elementType, result_type, allow_array=False)
    else:
        _check_element(parsed, result_type, allow_array=False)
    return parsed


def _check_element(data_type: Any, original: Any, *, allow_array: bool) -> None:
    from pyspark.sql.types import ArrayType

    if allow_array and isinstance(data_type, ArrayType):
        _check_element(data_type.elementType, original, allow_array=False)
        return
    if data_type.simpleString() not in _SCALARS:
        raise InvalidParameterError(f"result_type {original!r} is not supported; use {SUPPORTED}")


def to_spark(predictions: Any, data_type: Any, rows: int) -> Any:
    """``predictions`` as the pandas Series (or DataFrame, for a struct) Spark expects."""
    import pandas as pd
    from pyspark.sql.types import ArrayType, StructType

    if isinstance(data_type, StructType):
        frame = _as_frame(predictions)
        _check_rows(frame, rows)
        missing = [f.name for f in data_type.fields if f.name not in frame.columns]
        if missing:
            raise PredictionError(
                f"result_type asks for fields {missing}, but the model's output has columns "
                f"{[str(c) for c in frame.columns]}"
            )
        return pd.DataFrame({f.name: _column(frame[f.name], f.dataType) for f in data_type.fields})
    if isinstance(data_type, ArrayType):
        return _arrays(predictions, data_type.elementType, rows)
    series = _first_column(predictions)
    _check_rows(series, rows)
    return _scalars(series, data_type)


def _column(values: Any, data_type: Any) -> Any:
    from pyspark.sql.types import ArrayType

    if isinstance(data_type, ArrayType):
        return _arrays(values, data_type.elementType, len(values))
    return _scalars(values, data_type)


def _scalars(series: Any, data_type: Any) -> Any:
    name = data_type.simpleString()
    try:
        if name == "string":
            return series.map(lambda v: None if v is None else str(v)).astype(object)
        return series.astype(_SCALARS[name])
    except (TypeError, ValueError) as exc:
        raise PredictionError(f"The model's predictions cannot be converted to {name}: {exc}") from None


def _arrays(predictions: Any, element: Any, rows: int) -> Any:
    import numpy as np
    import pandas as pd

    name = element.simpleString()
    dtype = object if name == "string" else _SCALARS[name]
    if isinstance(predictions, pd.DataFrame):
        predictions = predictions.to_numpy()
    if isinstance(predictions, pd.Series):
        predictions = list(predictions)
    array = np.asarray(predictions) if not isinstance(predictions, list) else None
    if array is not None and array.ndim == 2:
        values = [row.astype(dtype) for row in array]
    elif array is not None and array.ndim == 1 and array.dtype != object:
        values = [np.asarray([v], dtype=dtype) for v in array]
    else:
        values = [np.asarray(v if np.ndim(v) else [v]).astype(dtype) for v in predictions]
    result = pd.Series(values)
    _check_rows(result, rows)
    return result


def _as_frame(predictions: Any) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        return predictions.reset_index(drop=True)
    if isinstance(predictions, pd.Series):
        return predictions.to_frame(name=predictions.name if predictions.name is not None else 0)
    if isinstance(predictions, list) and predictions and isinstance(predictions[0], dict):
        return pd.DataFrame(predictions)
    array = np.asarray(predictions)
    return pd.DataFrame(array.reshape(len(array), -1) if array.ndim else [[array]])


def _first_column(predictions: Any) -> Any:
    """MLflow's rule for a scalar result type: a frame or 2-d array gives its first column."""
    import pandas as pd

    frame = _as_frame(predictions)
    return frame.iloc[:, 0].reset_index(drop=True) if frame.shape[1] else pd.Series([], dtype=object)


def _check_rows(values: Any, rows: int) -> None:
    if len(values) != rows:
        raise PredictionError(f"The model returned {len(values)} predictions for {rows} input rows")
