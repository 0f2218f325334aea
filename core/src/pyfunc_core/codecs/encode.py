"""Predictions to MLflow's response JSON, byte for byte.

MLflow writes ``json.dump({"predictions": obj}, cls=NumpyEncoder)`` where arrays become
lists and DataFrames become records; we produce the same bytes (default separators, NaN
as ``NaN``) without its per-element Python encoder on the common array case.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
from decimal import Decimal
from typing import Any


def to_jsonable(data: Any) -> Any:
    """MLflow's ``_get_jsonable_obj``: arrays to lists, frames and series to records."""
    import numpy as np
    import pandas as pd

    if isinstance(data, np.ndarray):
        return data.tolist() if data.dtype.kind != "M" else np.datetime_as_string(data).tolist()
    if isinstance(data, pd.DataFrame):
        return _records(data)
    if isinstance(data, pd.Series):
        return _records(pd.DataFrame(data))
    return data


def _records(df: Any) -> list[dict[Any, Any]]:
    dtypes = set(df.dtypes)
    if len(dtypes) == 1 and next(iter(dtypes)).kind in "iufb" and df.columns.is_unique:
        columns = [_key(c) for c in df.columns]
        return [dict(zip(columns, row)) for row in df.to_numpy().tolist()]
    return df.to_dict(orient="records")


def _key(column: Any) -> Any:
    import numpy as np

    return column.item() if isinstance(column, np.generic) else column


class _Encoder(json.JSONEncoder):
    """MLflow's NumpyEncoder: numpy scalars and arrays, timestamps, bytes, decimals."""

    def default(self, o: Any) -> Any:
        import numpy as np
        import pandas as pd

        if isinstance(o, np.generic):
            if isinstance(o, np.datetime64):
                return str(o)
            return o.item()
        if isinstance(o, np.ndarray):
            return to_jsonable(o)
        if isinstance(o, (pd.DataFrame, pd.Series)):
            return to_jsonable(o)
        if isinstance(o, (pd.Timestamp, _dt.datetime, _dt.date, _dt.time)):
            return o.isoformat()
        if isinstance(o, (bytes, bytearray)):
            return base64.encodebytes(o).decode("ascii")  # MLflow's choice: newline-terminated lines
        if isinstance(o, Decimal):
            return float(o)
        if o is pd.NaT:
            return None
        return super().default(o)


_encoder = _Encoder()


def predictions_to_json(predictions: Any) -> bytes:
    """``{"predictions": ...}`` exactly as MLflow's scoring server writes it."""
    return _encoder.encode({"predictions": to_jsonable(predictions)}).encode("utf-8")


def dumps(obj: Any) -> bytes:
    """Any JSON-able object (numpy and pandas included) with the same encoder."""
    return _encoder.encode(to_jsonable(obj)).encode("utf-8")
