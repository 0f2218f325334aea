"""Open Inference Protocol (V2) tensors <-> model input and predictions.

Request: ``{"inputs": [{"name", "shape", "datatype", "data", "parameters"?}], "parameters"?,
"outputs"?, "id"?}``. ``parameters.content_type`` follows MLServer's codecs: ``"pd"`` at
request level makes a DataFrame with one column per input, ``"np"`` (the default for one
input) an ndarray, ``"str"`` on a BYTES input a list of strings, ``"base64"`` bytes. Several
inputs without ``"pd"`` become a dict of named arrays, except that inputs named after the
columns of a column signature always become a DataFrame. Any other request parameters are
the model's inference params.
"""

from __future__ import annotations

import base64
import binascii
from math import prod
from typing import TYPE_CHECKING, Any

from pyfunc_core.codecs import parse_content_type
from pyfunc_core.codecs.base import column_indexes
from pyfunc_core.codecs.json_codec import parse_json
from pyfunc_core.errors import InvalidInputError, UnsupportedContentTypeError, clip, quote

if TYPE_CHECKING:
    from pyfunc_core.schema.types import Schema

#: V2 datatype -> numpy dtype name.
DATATYPES: dict[str, str] = {
    "BOOL": "bool",
    "UINT8": "uint8",
    "UINT16": "uint16",
    "UINT32": "uint32",
    "UINT64": "uint64",
    "INT8": "int8",
    "INT16": "int16",
    "INT32": "int32",
    "INT64": "int64",
    "FP16": "float16",
    "FP32": "float32",
    "FP64": "float64",
    "BYTES": "object",
}
_NUMPY_TO_V2 = {v: k for k, v in DATATYPES.items() if k != "BYTES"}

RESERVED_PARAMETERS = ("content_type", "headers")


def v2_datatype(dtype: Any) -> str:
    """The V2 datatype of a numpy dtype (strings, objects and dates are BYTES)."""
    return _NUMPY_TO_V2.get(str(dtype), "BYTES")


def check_content_type(header: str | None) -> None:
    """V2 bodies are JSON: no Content-Type, or ``application/json`` (charset utf-8 only)."""
    if not header:
        return
    mime, params = parse_content_type(header)
    if mime != "application/json":
        raise UnsupportedContentTypeError(
            f"The V2 inference endpoint accepts application/json, got {quote(mime)}"
        )
    unknown = sorted(set(params) - {"charset"})
    if unknown:
        raise UnsupportedContentTypeError(
            f"Unrecognized content type parameters: {clip(', '.join(unknown))}."
        )
    if params.get("charset", "utf-8").lower() != "utf-8":
        raise UnsupportedContentTypeError("The scoring server only supports UTF-8")


class InferRequest:
    """A decoded V2 inference request."""

    __slots__ = ("data", "id", "outputs", "params")

    def __init__(self, data: Any, params: dict[str, Any] | None, id: str | None, outputs: list[str] | None):
        self.data, self.params, self.id, self.outputs = data, params, id, outputs


def decode_infer_request(body: bytes, schema: Schema | None) -> InferRequest:
    """Parse and decode a V2 inference request body; InvalidInputError names what is wrong."""
    payload = parse_json(body)
    if not isinstance(payload, dict):
        raise InvalidInputError("A V2 inference request must be a JSON object with an 'inputs' list")
    inputs = payload.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise InvalidInputError("A V2 inference request needs a non-empty 'inputs' list")
    parameters = payload.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise InvalidInputError("'parameters' must be a JSON object")
    request_id = payload.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise InvalidInputError("'id' must be a string")
    outputs = _requested_outputs(payload.get("outputs"))
    tensors = [decode_tensor(item, i) for i, item in enumerate(inputs)]
    names = [name for name, _, _ in tensors]
    if len(set(names)) != len(names):
        raise InvalidInputError(f"Duplicate input names in the V2 request: {quote(names)}")
    data = _combine(tensors, parameters.get("content_type"), schema)
    params = {k: v for k, v in parameters.items() if k not in RESERVED_PARAMETERS} or None
    return InferRequest(data, params, request_id, outputs)


def _requested_outputs(outputs: Any) -> list[str] | None:
    if outputs is None:
        return None
    if not isinstance(outputs, list) or not all(isinstance(o, dict) and "name" in o for o in outputs):
        raise InvalidInputError("'outputs' must be a list of objects with a 'name'")
    return [str(o["name"]) for o in outputs]


def decode_tensor(item: Any, position: int) -> tuple[str, Any, str | None]:
    """One V2 input tensor -> (name, ndarray or list of str, input-level content_type)."""
    import numpy as np

    if not isinstance(item, dict):
        raise InvalidInputError(f"Input {position} must be a JSON object")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidInputError(f"Input {position} needs a 'name' string")
    label = quote(name)
    datatype = item.get("datatype")
    if not isinstance(datatype, str) or datatype not in DATATYPES:
        raise InvalidInputError(
            f"Input {label} has unsupported datatype {quote(datatype, 40)} "
            f"(expected one of {', '.join(DATATYPES)})"
        )
    shape = item.get("shape")
    if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
        raise InvalidInputError(f"Input {label} needs a 'shape' list of non-negative integers")
    if "data" not in item:
        raise InvalidInputError(f"Input {label} has no 'data'")
    parameters = item.get("parameters") or {}
    content_type = parameters.get("content_type") if isinstance(parameters, dict) else None
    data = item["data"]
    if not isinstance(data, list):
        data = [data]
    if datatype == "BYTES":
        arr = _bytes_tensor(name, data, content_type)
    else:
        try:
            arr = np.asarray(data, dtype=DATATYPES[datatype])
        except (ValueError, TypeError, OverflowError) as exc:
            raise InvalidInputError(
                f"Input {label} data does not match datatype {datatype}: {clip(str(exc))}"
            ) from None
        if datatype != "BOOL" and any(isinstance(v, bool) for v in _first_values(data)):
            raise InvalidInputError(f"Input {label} data does not match datatype {datatype}: got booleans")
    if arr.size != prod(shape):
        raise InvalidInputError(
            f"Input {label} has {arr.size} values, which does not fit its shape {quote(shape)}"
        )
    arr = arr.reshape(shape)
    if content_type == "str":
        return name, arr.reshape(-1).tolist(), content_type
    return name, arr, content_type


def _first_values(data: list[Any]) -> list[Any]:
    while data and isinstance(data[0], list):
        data = data[0]
    return data[:1]


def _bytes_tensor(name: str, data: list[Any], content_type: str | None) -> Any:
    import numpy as np

    flat = _flatten(data)
    if not all(isinstance(v, str) for v in flat):
        raise InvalidInputError(f"Input {quote(name)} is BYTES: its data must be strings")
    if content_type == "base64":
        try:
            flat = [base64.b64decode(v, validate=True) for v in flat]
        except (binascii.Error, ValueError):
            raise InvalidInputError(f"Input {quote(name)} is not valid base64") from None
    arr = np.empty(len(flat), dtype=object)
    arr[:] = flat
    return arr


def _flatten(data: list[Any]) -> list[Any]:
    """Nested lists' leaves in order (a stack, not recursion: the nesting is the client's)."""
    if not data or not isinstance(data[0], list):
        return data
    out: list[Any] = []
    stack = [iter(data)]
    while stack:
        for v in stack[-1]:
            if isinstance(v, list):
                stack.append(iter(v))
                break
            out.append(v)
        else:
            stack.pop()
    return out


def _combine(tensors: list[tuple[str, Any, str | None]], content_type: Any, schema: Schema | None) -> Any:
    columns = (
        set(schema.input_names())
        if schema is not None and not schema.is_tensor_spec and schema.has_input_names
        else set()
    )
    names = [name for name, _, _ in tensors]
    as_frame = content_type == "pd" or (len(tensors) > 1 and columns and set(names) <= columns)
    if not as_frame and len(tensors) == 1 and columns and names[0] in columns:
        value = tensors[0][1]
        as_frame = not hasattr(value, "ndim") or value.ndim == 1 or value.shape[1:] == (1,)
    if as_frame:
        return _frame(tensors)
    if len(tensors) == 1:
        value = tensors[0][1]
        if (
            columns
            and getattr(value, "ndim", 0) == 2
            and value.shape[1] == len(columns)
            and value.dtype.kind in "biuf"
        ):
            # one [rows, columns] tensor for a column signature (mlserver-sklearn style): the
            # frame the signature would build, with a cached column index
            import pandas as pd

            return pd.DataFrame(value, columns=column_indexes.get(schema.input_names()), copy=False)  # type: ignore[union-attr]
        return value
    return {name: value for name, value, _ in tensors}


def _frame(tensors: list[tuple[str, Any, str | None]]) -> Any:
    import pandas as pd

    columns: dict[str, Any] = {}
    length = None
    for name, value, _ in tensors:
        if hasattr(value, "ndim"):
            if value.ndim == 0:  # shape []: one value
                value = value.reshape(1)
            elif value.ndim == 2 and value.shape[1] == 1:
                value = value[:, 0]
            elif value.ndim > 1:
                value = list(value)
        if length is not None and len(value) != length:
            raise InvalidInputError("All inputs of a 'pd' request must have the same first dimension")
        length = len(value)
        columns[name] = value
    return pd.DataFrame(columns)


# -- responses -----------------------------------------------------------------------------


def encode_outputs(predictions: Any, wanted: list[str] | None = None) -> tuple[list[dict[str, Any]], str]:
    """Predictions -> (V2 output tensors, response-level content_type)."""
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        outputs = [_tensor(str(c), predictions[c].to_numpy()) for c in predictions.columns]
        content_type = "pd"
    elif isinstance(predictions, pd.Series):
        outputs = [_tensor(str(predictions.name or "predict"), predictions.to_numpy())]
        content_type = "np"
    elif isinstance(predictions, dict):
        outputs = [_tensor(str(k), np.asarray(v)) for k, v in predictions.items()]
        content_type = "dict"
    else:
        outputs = [_tensor("predict", _as_array(predictions))]
        content_type = "np"
    if wanted:
        chosen = [o for o in outputs if o["name"] in wanted]
        outputs = chosen or outputs
    return outputs, content_type


def _as_array(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        arr = np.empty(len(value), dtype=object)
        arr[:] = value
        return arr
    return np.asarray(value)


def _tensor(name: str, arr: Any) -> dict[str, Any]:
    import numpy as np

    shape = list(arr.shape) if arr.ndim else [1]
    datatype = v2_datatype(arr.dtype)
    if datatype == "BYTES":
        if arr.dtype.kind == "M":
            data: Any = np.datetime_as_string(arr.reshape(-1)).tolist()
        else:
            data = [_text(v) for v in arr.reshape(-1).tolist()]
        return {"name": name, "shape": shape, "datatype": "BYTES", "data": data,
                "parameters": {"content_type": "str"}}  # fmt: skip
    flat = np.ascontiguousarray(arr.reshape(-1))
    return {"name": name, "shape": shape, "datatype": datatype, "data": flat}


def _text(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if value is None or isinstance(value, str):
        return value
    return str(value)
