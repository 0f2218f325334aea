"""Model input (DataFrame, dict of arrays, array, list) to the tensors a model takes.

The rules follow MLflow's TensorFlow flavor: DataFrame columns go to the model's inputs of
the same names, or all columns form one tensor for a single-input model; a dict names its
inputs; an array or list is the single input.
"""

from __future__ import annotations

from typing import Any, Sequence

from pyfunc_core.errors import InvalidInputError


def named_tensors(data: Any, names: Sequence[str]) -> dict[str, Any]:
    """``data`` as ``{input name: ndarray}`` for a model whose inputs are ``names``."""
    import numpy as np
    import pandas as pd

    if isinstance(data, dict):
        if len(names) == 1 and len(data) == 1 and names[0] not in data:
            return {names[0]: _array(next(iter(data.values())), names[0])}
        _require(names, data.keys())
        return {n: _array(data[n], n) for n in names}
    if isinstance(data, pd.DataFrame):
        if len(names) == 1:
            name = names[0]
            if name in data.columns and _holds_arrays(data[name]):
                return {name: column_tensor(data[name])}
            return {name: _array(data.to_numpy(), name)}
        _require(names, data.columns)
        return {n: column_tensor(data[n]) for n in names}
    if isinstance(data, pd.Series):
        data = data.to_numpy()
    if isinstance(data, (np.ndarray, list, tuple)) or np.isscalar(data):
        if len(names) != 1:
            raise InvalidInputError(
                f"The model has {len(names)} inputs {list(names)}: send a dict (or DataFrame "
                "columns) with one entry per input"
            )
        return {names[0]: _array(data, names[0])}
    raise InvalidInputError(
        f"Unsupported input type {type(data).__name__}: send a DataFrame, a dict of arrays or an array"
    )


def column_tensor(column: Any) -> Any:
    """A DataFrame column as one tensor: scalars give a 1-d array, array cells are stacked."""
    import numpy as np

    if _holds_arrays(column):
        try:
            return np.stack([np.asarray(v) for v in column.to_numpy()])
        except ValueError:
            raise InvalidInputError(f"Column {column.name!r} holds tensors of different shapes") from None
    return column.to_numpy()


def coerce(value: Any, dtype: Any, shape: Sequence[int | None] | None, name: str) -> Any:
    """``value`` cast to ``dtype`` where no information is lost, and checked against ``shape``.

    Floats narrow to a smaller float and integers to a smaller integer that holds them
    (JSON numbers carry no width), integers widen to floats; anything else that does not
    match is refused with an error naming the input.
    """
    import numpy as np

    from pyfunc_core.schema import narrow_untyped_numbers

    dtype = np.dtype(dtype)
    value = narrow_untyped_numbers(value, dtype)
    if value.dtype != dtype:
        ok = np.can_cast(value.dtype, dtype, "safe") or (value.dtype.kind in "iub" and dtype.kind == "f")
        if not ok:
            raise InvalidInputError(
                f"dtype of input {name!r} is {value.dtype}, which does not match the expected dtype "
                f"{dtype} and cannot be converted safely"
            )
        value = value.astype(dtype)
    if shape is not None:
        expected = tuple(-1 if d is None else int(d) for d in shape)
        if value.ndim != len(expected) or any(e not in (-1, a) for e, a in zip(expected, value.shape)):
            raise InvalidInputError(
                f"Shape of input {name!r} {tuple(value.shape)} does not match expected shape {expected}"
            )
    return value


def _array(value: Any, name: str) -> Any:
    import numpy as np

    try:
        arr = np.asarray(value)
    except ValueError:
        raise InvalidInputError(f"Input {name!r} is not a rectangular tensor") from None
    if arr.dtype.kind == "O":
        raise InvalidInputError(f"Input {name!r} is not a rectangular tensor of numbers or strings")
    return arr


def _holds_arrays(column: Any) -> bool:
    import numpy as np

    values = column.to_numpy()
    return values.dtype.kind == "O" and len(values) > 0 and isinstance(values[0], (list, tuple, np.ndarray))


def _require(names: Sequence[str], present: Any) -> None:
    have = set(present)
    missing = [n for n in names if n not in have]
    if missing:
        raise InvalidInputError(f"Model is missing inputs {missing}. The model's inputs are {list(names)}.")
