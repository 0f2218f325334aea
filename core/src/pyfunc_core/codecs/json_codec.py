"""``application/json``: MLflow's scoring formats (``dataframe_split``, ``dataframe_records``,
``instances``, ``inputs``) with optional ``params``.

When the signature is a column schema of one numeric type, ``dataframe_split`` and
``dataframe_records`` go straight to one numpy block (no per-column pandas inference), and
orjson parses the body when installed; large ``dataframe_split`` bodies skip Python objects
altogether where pysimdjson is installed (``json_numeric``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyfunc_core.codecs import json_numeric
from pyfunc_core.codecs.base import Codec, ModelRequest, column_indexes
from pyfunc_core.errors import InvalidInputError, clip, quote

if TYPE_CHECKING:
    from pyfunc_core.schema.types import ParamSchema, Schema

DF_SPLIT = "dataframe_split"
DF_RECORDS = "dataframe_records"
INSTANCES = "instances"
INPUTS = "inputs"
SUPPORTED_FORMATS = (DF_SPLIT, DF_RECORDS, INSTANCES, INPUTS)
PARAMS_KEY = "params"

REQUIRED_INPUT_FORMAT = (
    "The input must be a JSON dictionary with exactly one of the input fields "
    "{'dataframe_split', 'dataframe_records', 'instances', 'inputs'}"
)

try:  # orjson is several times faster on large bodies; the stdlib is the fallback
    import orjson as _orjson

    def _loads(body: bytes | str) -> Any:
        return _orjson.loads(body)

    _DecodeErrors: tuple[type[Exception], ...] = (_orjson.JSONDecodeError, UnicodeDecodeError)
except ImportError:  # pragma: no cover - exercised where orjson is absent
    import json as _json

    def _loads(body: bytes | str) -> Any:
        return _json.loads(body)

    _DecodeErrors = (ValueError, UnicodeDecodeError)


_BOM = b"\xef\xbb\xbf"


def parse_json(body: bytes | str) -> Any:
    """Parse JSON (after a leading UTF-8 BOM, if any), any syntax error as MLflow's 400 message."""
    try:
        return _loads(body)
    except _DecodeErrors as exc:
        if isinstance(body, bytes) and body.startswith(_BOM):
            return parse_json(body[len(_BOM) :])
        if isinstance(body, str) and body.startswith("\ufeff"):
            return parse_json(body[1:])
        raise InvalidInputError(
            f"Invalid input. Ensure that input is a valid JSON formatted string. Error: '{clip(str(exc))}'"
        ) from None


class JsonCodec(Codec):
    name = "json"
    content_types = ("application/json",)

    def decode(
        self,
        body: bytes,
        *,
        schema: Schema | None = None,
        params_schema: ParamSchema | None = None,
        content_params: dict[str, str] | None = None,
    ) -> ModelRequest:
        # Small bodies (the hot path) skip the numeric path's checks altogether.
        if isinstance(body, bytes) and len(body) >= json_numeric.MIN_BODY:
            dtype = _uniform_numeric_dtype(schema)
            numeric = json_numeric.decode_numeric_split(body, dtype, schema) if dtype is not None else None
            if numeric is not None:
                return numeric
        # JSON booleans can only be where the literals are: most bodies skip looking for them
        literals = not isinstance(body, (bytes, str)) or _has_literals(body)
        return decode_json_payload(parse_json(body), schema, literals=literals)


def _has_literals(body: bytes | str) -> bool:
    if isinstance(body, str):
        return "true" in body or "false" in body
    return b"true" in body or b"false" in body


def decode_json_payload(payload: Any, schema: Schema | None = None, *, literals: bool = True) -> ModelRequest:
    """An already parsed MLflow JSON payload to model input and params.

    ``literals=False`` promises that the payload holds no JSON booleans (the body has no
    ``true``/``false``), which spares the numeric fast path a look for them.
    """
    if isinstance(payload, list):
        raise InvalidInputError(f"{REQUIRED_INPUT_FORMAT}. Received a list.")
    if not isinstance(payload, dict):
        raise InvalidInputError(
            f"{REQUIRED_INPUT_FORMAT}. Received unexpected input type '{type(payload).__name__}'."
        )
    formats = [k for k in SUPPORTED_FORMATS if k in payload]
    if len(formats) != 1:
        raise InvalidInputError(
            f"{REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: {quote(list(payload))}."
        )
    params = payload.get(PARAMS_KEY)
    if params is not None and not isinstance(params, dict):
        raise InvalidInputError(f"'params' must be a JSON object, got {type(params).__name__}")
    fmt = formats[0]
    value = payload[fmt]
    if fmt == DF_SPLIT:
        data = _dataframe_split(value, schema, literals)
    elif fmt == DF_RECORDS:
        data = _dataframe_records(value, schema, literals)
    else:
        data = _tf_serving(fmt, value, schema)
    return ModelRequest(data, params)


# -- dataframe formats -------------------------------------------------------------------


def _uniform_numeric_dtype(schema: Schema | None) -> Any:
    """The one numpy dtype of an all-numeric, single-type column schema, else None."""
    return None if schema is None else schema.uniform_numeric_dtype()


def _dataframe_split(value: Any, schema: Schema | None, literals: bool = True) -> Any:
    import pandas as pd

    if not isinstance(value, dict):
        raise InvalidInputError(
            f"dataframe_split must be a JSON object with 'columns' and 'data', got {type(value).__name__}"
        )
    unknown = set(value) - {"columns", "data", "index"}
    if unknown:
        raise InvalidInputError(f"dataframe_split has unexpected keys {quote(sorted(unknown))}")
    if "data" not in value:
        raise InvalidInputError("dataframe_split is missing its 'data' field")
    data, columns, index = value["data"], value.get("columns"), value.get("index")
    if not isinstance(data, list):
        raise InvalidInputError("dataframe_split 'data' must be a list of rows")
    if columns is not None and not isinstance(columns, list):
        raise InvalidInputError("dataframe_split 'columns' must be a list of names (strings or numbers)")
    if columns is None and schema is not None and not schema.is_tensor_spec:
        columns = schema.input_names()
    fast = _fast_block(data, columns, index, schema, literals)
    if fast is not None:
        return fast
    if columns is not None and not all(map(_is_label, columns)):
        raise InvalidInputError("dataframe_split 'columns' must be a list of names (strings or numbers)")
    if index is not None and not (isinstance(index, list) and all(map(_is_label, index))):
        raise InvalidInputError("dataframe_split 'index' must be a list of labels (strings or numbers)")
    if data and columns is not None and len(columns) == 1 and not isinstance(data[0], list):
        data = [[v] for v in data]
    _check_rectangular(data, columns)
    try:
        return pd.DataFrame(data=data, columns=columns, index=index)
    except (ValueError, TypeError, AssertionError) as exc:
        raise InvalidInputError(
            f"Failed to build a DataFrame from dataframe_split: {clip(str(exc))}"
        ) from None


def _is_label(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float))


def _check_rectangular(rows: list[Any], columns: list[Any] | None) -> None:
    """Rows of one length (that of ``columns`` when given): pandas would pad short rows with NaN."""
    if not rows or not any(isinstance(r, list) for r in rows):
        return
    width = len(columns) if columns is not None else len(rows[0]) if isinstance(rows[0], list) else 1
    for number, row in enumerate(rows):
        length = len(row) if isinstance(row, list) else None
        if length != width:
            got = "a single value" if length is None else f"{length} value" + "s" * (length != 1)
            raise InvalidInputError(
                f"Failed to build a DataFrame from dataframe_split: row {number} has {got}, "
                f"expected {width} (one per column)"
            )


def _fast_block(
    rows: list[Any], columns: list[Any] | None, index: Any, schema: Schema | None, literals: bool = True
) -> Any:
    """One numeric block straight from rows, or None to take the general path.

    numpy reads ``true`` as 1 in a row of numbers; such rows take the general path, where
    the signature refuses booleans for a numeric column.
    """
    import numpy as np
    import pandas as pd

    dtype = _uniform_numeric_dtype(schema)
    if dtype is None or columns is None or index is not None or not rows:
        return None
    try:
        block = np.array(rows)
    except (ValueError, TypeError):
        return None
    if block.ndim != 2 or block.shape[1] != len(columns) or block.dtype.kind not in "iuf":
        return None
    if literals and any(v is True or v is False for row in rows for v in row):
        return None
    names = schema.input_index()  # type: ignore[union-attr]
    if len(columns) == len(names) and columns == schema.input_names():  # type: ignore[union-attr]
        labels = names  # the schema's own Index: enforcement then knows the frame at a glance
    else:
        try:
            labels = column_indexes.get(columns)
        except TypeError:  # unhashable labels: the general path words the error
            return None
    if block.dtype != dtype:
        if not (np.can_cast(block.dtype, dtype, "safe") or block.dtype.kind in "iu"):
            return None  # the general path reports the offending column
        block = block.astype(dtype)
    return pd.DataFrame(block, columns=labels, copy=False)


def _column_index(columns: list[Any]) -> Any:
    """A cached (immutable) pandas Index for a column list (bounded in bytes: names are the client's)."""
    return column_indexes.get(columns)


def _dataframe_records(value: Any, schema: Schema | None, literals: bool = True) -> Any:
    import pandas as pd

    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise InvalidInputError("dataframe_records must be a list of JSON objects (one per row)")
    if _uniform_numeric_dtype(schema) is not None and value:
        names = schema.input_names()  # type: ignore[union-attr]
        if all(len(r) == len(names) for r in value):
            try:
                rows = [[r[n] for n in names] for r in value]
            except KeyError:
                rows = None
            if rows is not None:
                fast = _fast_block(rows, names, None, schema, literals)
                if fast is not None:
                    return fast
    try:
        return pd.DataFrame(value)
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(
            f"Failed to build a DataFrame from dataframe_records: {clip(str(exc))}"
        ) from None


# -- tf-serving formats ------------------------------------------------------------------


def _tf_serving(fmt: str, value: Any, schema: Schema | None) -> Any:
    """MLflow's ``parse_tf_serving_input``: arrays, or a dict of named arrays."""
    specs = {}
    if schema is not None and schema.is_tensor_spec:
        specs = {s.name: s for s in schema.inputs}
    # A bare array for a model of one (named or unnamed) tensor is that tensor, as in MLflow.
    only = next(iter(specs.values())) if len(specs) == 1 else None
    if fmt == INSTANCES:
        if not isinstance(value, list):
            raise InvalidInputError("'instances' must be a list")
        if value and all(isinstance(v, dict) for v in value):
            keys = list(value[0])
            if any(set(v) != set(keys) for v in value):
                raise InvalidInputError(
                    "Failed to parse data as TF serving input. The input 'instances' must "
                    "list objects with the same keys"
                )
            return {k: _array([v[k] for v in value], specs.get(k), k) for k in keys}
        return _array(value, only, fmt)
    if isinstance(value, dict):
        return {k: _array(v, specs.get(k), k) for k, v in value.items()}
    return _array(value, only, fmt)


def _array(value: Any, spec: Any, label: str) -> Any:
    import numpy as np

    try:
        arr = np.array(value)
    except ValueError as exc:
        raise InvalidInputError(
            f"Failed to parse data as TF serving input: {quote(label)} is not a rectangular array "
            f"({clip(str(exc))})"
        ) from None
    if spec is not None and arr.dtype.kind in "iuf" and spec.dtype.kind == "f":
        arr = arr.astype(spec.dtype)  # JSON numbers carry no width or kind, as MLflow casts them
    elif spec is not None and arr.dtype.kind in "iu":
        from pyfunc_core.schema.enforce import narrow_untyped_numbers

        arr = narrow_untyped_numbers(arr, spec.dtype)  # int32 ids: narrowed when every value fits
    return arr
