"""Schema and params enforcement, following MLflow's rules.

Missing required columns are rejected, extra columns dropped with a warning, columns put in
schema order, and only safe conversions made (int -> float yes, float -> int no). Every
error names the offending column, tensor or param. Work is skipped when the input already
has the schema's dtypes, which is the common case on the server's fast path.
"""

from __future__ import annotations

import datetime as _dt
import logging
from typing import Any

from pyfunc_core.errors import InvalidInputError, InvalidParameterError, clip, quote
from pyfunc_core.schema.composite import is_composite, validate_value
from pyfunc_core.schema.types import ColSpec, DataType, ParamSchema, ParamSpec, Schema, TensorSpec

logger = logging.getLogger("pyfunc_core.schema")
#: Hashes of the extra-column lists already warned about: the names are the client's, so
#: the set holds small integers, never the names themselves.
_warned_extra: set[int] = set()


def enforce_schema(data: Any, schema: Schema) -> Any:
    """Return ``data`` converted to satisfy ``schema``, or raise :class:`InvalidInputError`."""
    if schema.is_tensor_spec:
        return _enforce_tensors(data, schema)
    if isinstance(data, dict) and schema.has_input_names and schema.has_composite():
        return _enforce_request(data, schema)
    return _enforce_columns(_as_dataframe(data, schema), schema)


def _enforce_request(data: dict[str, Any], schema: Schema) -> dict[str, Any]:
    """One request object (a chat or agent request): each declared field checked against its
    column type and the dict passed on as a dict, as MLflow's chat and agent models take it."""
    specs = schema.column_specs
    missing = [s.name for s in specs if s.required and data.get(s.name) is None]  # type: ignore[arg-type]
    if missing:
        raise InvalidInputError(f"Model is missing inputs {missing}.")
    out = dict(data)
    for spec in specs:
        value = data.get(spec.name)  # type: ignore[arg-type]
        if value is not None:
            out[spec.name] = validate_value(spec.type, value, quote(spec.name))  # type: ignore[index]
    return out


# -- column schemas ----------------------------------------------------------------------


def _as_dataframe(data: Any, schema: Schema) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    names = schema.input_names()
    if isinstance(data, pd.Series):
        return data.to_frame(name=data.name if data.name is not None else names[0])
    if isinstance(data, np.ndarray):
        if data.ndim == 1 and len(names) == 1:
            data = data.reshape(-1, 1)
        if data.ndim != 2:
            raise InvalidInputError(
                f"Expected a 2-d array for a column-based signature, got shape {data.shape}"
            )
        _check_width(data.shape[1], schema)
        return pd.DataFrame(data, columns=names)
    if isinstance(data, dict):
        if all(np.isscalar(v) or v is None for v in data.values()):
            return pd.DataFrame([data])
        try:
            return pd.DataFrame(data)
        except ValueError as exc:
            raise InvalidInputError(
                f"Input dictionary cannot be turned into columns: {clip(str(exc))}"
            ) from exc
    if isinstance(data, list):
        if data and all(isinstance(r, dict) for r in data):
            return pd.DataFrame(data)
        if len(names) == 1 and all(not isinstance(v, (list, dict)) for v in data):
            return pd.DataFrame({names[0]: data})
        try:
            frame = pd.DataFrame(data)
        except ValueError as exc:
            raise InvalidInputError(f"Input list cannot be turned into columns: {clip(str(exc))}") from exc
        _check_width(frame.shape[1], schema)
        frame.columns = names
        return frame
    if np.isscalar(data) and len(names) == 1:
        return pd.DataFrame({names[0]: [data]})
    raise InvalidInputError(
        f"Expected input to be a DataFrame, dict, list or array for a column-based signature, "
        f"got {type(data).__name__}"
    )


def _check_width(width: int, schema: Schema) -> None:
    if width != len(schema.inputs):
        raise InvalidInputError(
            f"The model signature declares {len(schema.inputs)} inputs but the provided value "
            f"has {width} columns"
        )


def _enforce_columns(df: Any, schema: Schema) -> Any:
    if _conforms(df, schema):
        return df
    specs = schema.column_specs
    if schema.has_input_names:
        columns = list(df.columns)
        present = set(columns)
        missing = [s.name for s in specs if s.required and s.name not in present]
        wanted = [s.name for s in specs if s.name in present]
        if missing:
            unexpected = [c for c in columns if c not in {s.name for s in specs}]
            note = f" Note that there were extra inputs: {quote(unexpected)}." if unexpected else ""
            raise InvalidInputError(f"Model is missing inputs {missing}.{note}")
        if columns != wanted:
            extra = tuple(str(c) for c in columns if c not in set(wanted))
            seen = hash(extra)
            if extra and seen not in _warned_extra and len(_warned_extra) < 1000:
                _warned_extra.add(seen)
                logger.warning(
                    "Found extra inputs in the model input that are not defined in the model "
                    "signature: %s. These inputs will be ignored.",
                    quote(list(extra)),
                )
            df = df[wanted]
        specs = [s for s in specs if s.name in present]
    else:
        _check_width(df.shape[1], schema)

    converted = None
    for position, (spec, dtype) in enumerate(zip(specs, df.dtypes)):
        expected = spec.type.to_numpy()
        if (
            dtype == expected
            and spec.type not in (DataType.string, DataType.binary)
            and not is_composite(spec.type)
        ):
            continue
        column = df.iloc[:, position]
        new = _convert_column(column, spec, expected)
        if new is not column:
            if converted is None:
                converted = df.copy(deep=False)
                if not schema.has_input_names:
                    converted.columns = range(df.shape[1])
            converted.isetitem(position, new)
    if converted is not None:
        if not schema.has_input_names:
            converted.columns = df.columns
        return converted
    return df


def _conforms(df: Any, schema: Schema) -> bool:
    """True when ``df`` already is what enforcement returns, known without a look per column.

    That is a frame of the schema's columns in order, held as one block of the schema's single
    numeric dtype: what the JSON codec builds for a numeric signature (the server's hot path,
    where ``df.dtypes`` alone costs more than the rest of enforcement).
    """
    dtype = schema.uniform_numeric_dtype()
    if dtype is None or not schema.has_input_names:
        return False
    blocks = getattr(getattr(df, "_mgr", None), "blocks", None)  # pandas internals; else the general path
    if blocks is None or len(blocks) != 1 or blocks[0].dtype != dtype:
        return False
    names = schema.input_index()
    return df.columns is names or bool(df.columns.equals(names))


def _convert_column(col: Any, spec: ColSpec, expected: Any) -> Any:
    import numpy as np
    import pandas as pd

    name = spec.name if spec.name is not None else quote(col.name)
    dtype = col.dtype
    kind = getattr(dtype, "kind", "O")
    t = spec.type
    if is_composite(t):
        values = [None if v is None or _is_nan(v) else validate_value(t, v, f"column {name}") for v in col]
        if not spec.required or all(v is not None for v in values):
            return pd.Series(values, index=col.index, name=col.name, dtype=object)
        raise InvalidInputError(f"Column {name} is required but holds missing values")
    if t in (DataType.string, DataType.binary):
        want = str if t is DataType.string else (bytes, bytearray)
        if isinstance(dtype, pd.StringDtype) and t is DataType.string:
            return col
        if kind == "O":
            bad = next((v for v in col if v is not None and not _is_nan(v) and not isinstance(v, want)), None)
            if bad is None:
                return col
            raise InvalidInputError(
                f"Incompatible input types for column {name}. Expected {t.value} values, "
                f"got a {type(bad).__name__}"
            )
        raise InvalidInputError(
            f"Incompatible input types for column {name}. Can not safely convert {dtype} to {t.value}."
        )
    if t is DataType.datetime:
        try:
            # ISO 8601 strings may mix dates and date-times (pandas 2 infers one format otherwise)
            text = kind == "O" or isinstance(dtype, pd.StringDtype)
            iso = {"format": "ISO8601"} if text and not pd.__version__.startswith("1.") else {}
            return pd.to_datetime(col, **iso).astype(expected)
        except (ValueError, TypeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InvalidInputError(
                f"Incompatible input types for column {name}. Can not convert to datetime: {clip(first)}"
            ) from None
    if t is DataType.boolean:
        if kind == "b":
            return col
        if kind == "O" and all(isinstance(v, (bool, np.bool_)) for v in col):
            return col.astype(bool)
        raise InvalidInputError(
            f"Incompatible input types for column {name}. Can not safely convert {dtype} to boolean."
        )
    # numeric; booleans are refused, as MLflow's schema enforcement refuses bool -> double
    if kind == "O" and expected.kind == "f" and len(col) and col.isna().all():
        return col.astype(expected)  # only missing values (JSON nulls): NaN, as in a float column
    if kind in "iuf":
        if kind in "iu" and expected.kind == "f":
            return col.astype(expected)
        if np.can_cast(dtype, expected, "safe"):
            return col.astype(expected)
        hint = ""
        if kind == "f" and expected.kind == "i":
            hint = (
                " If the column holds integers with missing values, declare it as double: "
                "integer columns cannot represent missing values."
            )
        raise InvalidInputError(
            f"Incompatible input types for column {name}. Can not safely convert {dtype} to {expected}.{hint}"
        )
    raise InvalidInputError(
        f"Incompatible input types for column {name}. Can not safely convert {dtype} to "
        f"{expected} (expected {t.value} values)."
    )


def _is_nan(v: Any) -> bool:
    return isinstance(v, float) and v != v


# -- tensor schemas ----------------------------------------------------------------------


def _enforce_tensors(data: Any, schema: Schema) -> Any:
    import numpy as np
    import pandas as pd

    specs = schema.tensor_specs
    if not schema.has_input_names:
        spec = specs[0]
        if isinstance(data, dict):
            if len(data) != 1:
                raise InvalidInputError(
                    f"The model expects a single unnamed tensor, got {len(data)} named inputs"
                )
            data = next(iter(data.values()))
        if isinstance(data, pd.Series):
            data = data.to_frame()
        if isinstance(data, pd.DataFrame):
            if data.shape[1] == 1 and _holds_tensors(data.iloc[:, 0]):
                data = _column_tensor(data.iloc[:, 0], spec)
            else:
                data = _frame_floats(data.to_numpy(), spec)
        return _check_tensor(data, spec, "input")

    if isinstance(data, pd.DataFrame):
        by_name = {s.name: s for s in specs}
        data = {c: _column_tensor(data[c], by_name.get(c)) for c in data.columns}
    elif isinstance(data, np.ndarray) and len(specs) == 1:
        data = {specs[0].name: data}
    if not isinstance(data, dict):
        raise InvalidInputError(
            f"The model expects named tensors {[s.name for s in specs]}, got {type(data).__name__}"
        )
    missing = [s.name for s in specs if s.name not in data]
    if missing:
        raise InvalidInputError(f"Model is missing inputs {missing}.")
    return {s.name: _check_tensor(data[s.name], s, repr(s.name)) for s in specs}


def _holds_tensors(col: Any) -> bool:
    import numpy as np

    values = col.to_numpy()
    return values.dtype.kind == "O" and len(values) > 0 and isinstance(values[0], (list, np.ndarray))


def _column_tensor(col: Any, spec: TensorSpec | None = None) -> Any:
    import numpy as np

    values = col.to_numpy()
    if _holds_tensors(col):
        try:
            values = np.stack([np.asarray(v) for v in values])
        except ValueError as exc:
            raise InvalidInputError(f"Column {quote(col.name)} holds tensors of different shapes") from exc
    return _frame_floats(values, spec)


def _frame_floats(values: Any, spec: TensorSpec | None) -> Any:
    """A DataFrame's numbers narrowed to the spec's type.

    A frame does not carry tensor dtypes (one parsed from JSON holds float64, int64 or
    Python lists), so as MLflow casts frame columns to the tensor spec, its numbers narrow
    where the spec says so; every other conversion stays as strict as for arrays.
    """
    return values if spec is None else narrow_untyped_numbers(values, spec.dtype)


def narrow_untyped_numbers(values: Any, dtype: Any) -> Any:
    """Numbers that arrived without a width (JSON, DataFrames) in a narrower ``dtype``.

    Floats become a smaller float (``float32``); integers a smaller integer when every
    value fits. Anything else is returned unchanged, for the strict dtype check to judge.
    """
    import numpy as np

    dtype = np.dtype(dtype)
    if values.dtype == dtype:
        return values
    if values.dtype.kind == dtype.kind == "f":
        return values.astype(dtype)
    if values.dtype.kind in "iu" and dtype.kind in "iu":
        info = np.iinfo(dtype)
        if values.size == 0 or (values.min() >= info.min and values.max() <= info.max):
            return values.astype(dtype)
    return values


def _check_tensor(value: Any, spec: TensorSpec, label: str) -> Any:
    import numpy as np

    if not isinstance(value, np.ndarray):
        try:
            value = np.asarray(value)
        except ValueError as exc:
            raise InvalidInputError(f"Input {label} is not a rectangular tensor: {clip(str(exc))}") from exc
    if value.dtype != spec.dtype:
        safe = np.can_cast(value.dtype, spec.dtype, "safe") or (
            value.dtype.kind in "iu" and spec.dtype.kind == "f"
        )
        if not safe:
            raise InvalidInputError(
                f"dtype of input {label} is {value.dtype}, which does not match the expected "
                f"dtype {spec.dtype} and cannot be converted safely"
            )
        value = value.astype(spec.dtype)
    shape = spec.shape
    if len(shape) != value.ndim or any(e != -1 and e != a for e, a in zip(shape, value.shape)):
        raise InvalidInputError(
            f"Shape of input {label} {tuple(value.shape)} does not match expected shape {tuple(shape)}"
        )
    return value


# -- params ------------------------------------------------------------------------------


def enforce_params(params: dict[str, Any] | None, schema: ParamSchema | None) -> dict[str, Any] | None:
    """Fill defaults, cast declared params and drop (with a warning) undeclared ones."""
    if schema is None:
        if params:
            logger.warning(
                "`params` can only be used when the model signature declares a params schema; ignoring %s",
                quote(sorted(params, key=str)),
            )
        return None
    if params is not None and not isinstance(params, dict):
        raise InvalidParameterError(f"params must be a mapping, got {type(params).__name__}")
    params = params or {}
    declared = {p.name: p for p in schema.params}
    unknown = [k for k in params if k not in declared]
    if unknown:
        logger.warning("Ignoring params not declared in the model signature: %s", quote(unknown))
    return {
        name: cast_param(spec, params[name]) if name in params else spec.default
        for name, spec in declared.items()
    }


def cast_param(spec: ParamSpec, value: Any) -> Any:
    """``value`` as ``spec`` declares it, or :class:`InvalidParameterError` naming the param."""
    if spec.shape is None:
        return _cast_scalar(spec, value)
    if not isinstance(value, (list, tuple)) and not hasattr(value, "tolist"):
        raise InvalidParameterError(
            f"Value {quote(value)} of param {spec.name!r} must be a list (shape {list(spec.shape)})"
        )
    values = value.tolist() if hasattr(value, "tolist") else list(value)
    return [_cast_scalar(spec, v) for v in values]


def _cast_scalar(spec: ParamSpec, value: Any) -> Any:
    import numpy as np

    t = spec.type
    if isinstance(value, np.generic):
        value = value.item()
    ok: Any = None
    if t in (DataType.double, DataType.float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            ok = float(value)
    elif t in (DataType.long, DataType.integer):
        if isinstance(value, int) and not isinstance(value, bool):
            ok = value
        elif isinstance(value, float) and value.is_integer():
            ok = int(value)
    elif t is DataType.boolean:
        if isinstance(value, bool):
            ok = value
    elif t is DataType.string:
        if isinstance(value, str):
            ok = value
    elif t is DataType.binary:
        if isinstance(value, (bytes, bytearray)):
            ok = bytes(value)
    elif t is DataType.datetime:
        if isinstance(value, _dt.datetime):
            ok = value
        elif isinstance(value, str):
            try:
                ok = _dt.datetime.fromisoformat(value)
            except ValueError:
                ok = None
    if ok is None:
        raise InvalidParameterError(
            f"Failed to convert value {quote(value)} of type {type(value).__name__} to {t.value} "
            f"for param {spec.name!r}"
        )
    return ok
