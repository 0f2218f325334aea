"""Open Inference Protocol (V2) tensors <-> model input and predictions.

Request: ``{"inputs": [{"name", "shape", "datatype", "data", "parameters"?}], "parameters"?,
"outputs"?, "id"?}``. ``parameters.content_type`` follows MLServer's codecs: ``"pd"`` at
request level makes a DataFrame with one column per input, ``"np"`` (the default for one
input) an ndarray, ``"str"`` on a BYTES input a list of strings, ``"base64"`` bytes. Several
inputs without ``"pd"`` become a dict of named arrays, except that inputs named after the
columns of a column signature always become a DataFrame. Any other request parameters are
the model's inference params. Tensors may also travel as raw bytes after the JSON (the binary
tensor data extension, :mod:`.v2_binary`).
"""

from __future__ import annotations

import base64
import binascii
from math import prod
from typing import TYPE_CHECKING, Any

from pyfunc_core.codecs import column_indexes, parse_content_type, parse_json
from pyfunc_core.errors import InvalidInputError, UnsupportedContentTypeError, clip, quote
from pyfunc_scoring_server.protocols.v2_binary import binary_size, decode_raw, split_body

if TYPE_CHECKING:
    from pyfunc_core.schema import Schema

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

RESERVED_PARAMETERS = ("content_type", "headers", "binary_data_output")


def v2_datatype(dtype: Any) -> str:
    """The V2 datatype of a numpy dtype (strings, objects and dates are BYTES)."""
    return _NUMPY_TO_V2.get(str(dtype), "BYTES")


def check_content_type(header: str | None, binary: bool = False) -> None:
    """V2 bodies are JSON: no Content-Type, or ``application/json`` (charset utf-8 only);
    with binary tensors after the JSON (``binary``), ``application/octet-stream`` too."""
    if not header:
        return
    mime, params = parse_content_type(header)
    if binary and mime == "application/octet-stream":
        return
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
    """A decoded V2 inference request.

    ``requested`` are the names in ``outputs`` (None: every output); ``binary`` the outputs to
    answer as raw bytes, ``binary_all`` whether every output is (``binary_data_output``).
    ``outputs`` is what the runner is asked for (set by the route once checked)."""

    __slots__ = ("binary", "binary_all", "data", "id", "outputs", "params", "requested")

    def __init__(self, data: Any, params: dict[str, Any] | None, id: str | None, requested: list[str] | None,
                 binary: frozenset[str] = frozenset(), binary_all: bool = False):  # fmt: skip
        self.data, self.params, self.id, self.requested = data, params, id, requested
        self.binary, self.binary_all = binary, binary_all
        self.outputs: tuple[str, ...] | None = None


def decode_infer_request(
    body: bytes, schema: Schema | None, header_length: str | None = None
) -> InferRequest:
    """Parse and decode a V2 inference request body; InvalidInputError names what is wrong.

    ``header_length`` is the ``Inference-Header-Content-Length`` header: the JSON is that
    many bytes, binary tensors follow."""
    raw: memoryview | None = None
    if header_length is not None:
        body, raw = split_body(body, header_length)
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
    outputs, binary = _requested_outputs(payload.get("outputs"))
    binary_all = parameters.get("binary_data_output", False)
    if not isinstance(binary_all, bool):
        raise InvalidInputError("'binary_data_output' must be true or false")
    tensors = []
    offset = 0
    for i, item in enumerate(inputs):
        chunk = None
        size = binary_size(item, f"{i}") if isinstance(item, dict) else None
        if size is not None:
            if raw is None or offset + size > len(raw):
                raise InvalidInputError(
                    f"Input {i} says binary_data_size {size}, past the end of the binary data "
                    f"(send {HEADER_NAME} with the JSON's length)"
                )
            chunk = raw[offset : offset + size]
            offset += size
        tensors.append(decode_tensor(item, i, chunk))
    if raw is not None and offset != len(raw):
        raise InvalidInputError(
            f"{len(raw) - offset} bytes of binary data follow the inputs' binary_data_size"
        )
    names = [name for name, _, _ in tensors]
    if len(set(names)) != len(names):
        raise InvalidInputError(f"Duplicate input names in the V2 request: {quote(names)}")
    data = _combine(tensors, parameters.get("content_type"), schema)
    params = {k: v for k, v in parameters.items() if k not in RESERVED_PARAMETERS} or None
    return InferRequest(data, params, request_id, outputs, binary, binary_all)


HEADER_NAME = "Inference-Header-Content-Length"


def _requested_outputs(outputs: Any) -> tuple[list[str] | None, frozenset[str]]:
    if outputs is None:
        return None, frozenset()
    if not isinstance(outputs, list) or not all(
        isinstance(o, dict) and isinstance(o.get("name"), str) for o in outputs
    ):
        raise InvalidInputError("'outputs' must be a list of objects with a 'name' string")
    binary = set()
    for o in outputs:
        parameters = o.get("parameters")
        if isinstance(parameters, dict) and parameters.get("binary_data") is True:
            binary.add(o["name"])
    return [o["name"] for o in outputs], frozenset(binary)


def decode_tensor(item: Any, position: int, raw: memoryview | None = None) -> tuple[str, Any, str | None]:
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
    parameters = item.get("parameters") or {}
    content_type = parameters.get("content_type") if isinstance(parameters, dict) else None
    if raw is not None:
        arr = decode_raw(label, datatype, DATATYPES[datatype], shape, raw, content_type)
        if content_type == "str" and datatype == "BYTES":
            return name, arr.reshape(-1).tolist(), content_type
        return name, arr, content_type
    if "data" not in item:
        raise InvalidInputError(f"Input {label} has no 'data'")
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


def combine_inputs(
    tensors: list[tuple[str, Any, str | None]], content_type: Any, schema: Schema | None
) -> Any:
    """Decoded input tensors ``(name, array, content_type)`` as the model's input (for other
    transports of the protocol, such as gRPC)."""
    names = [name for name, _, _ in tensors]
    if len(set(names)) != len(names):
        raise InvalidInputError(f"Duplicate input names in the V2 request: {quote(names)}")
    return _combine(tensors, content_type, schema)


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


def encode_outputs(
    predictions: Any, wanted: list[str] | None = None, default: str = "predict"
) -> tuple[list[dict[str, Any]], str]:
    """Predictions -> (V2 output tensors, response-level content_type).

    An array is the output named ``default``; ``wanted`` picks outputs by name, in its order
    (InvalidInputError naming the outputs there are when one is missing). Tensor ``data`` is
    the flat ndarray for numbers (the JSON or binary writer takes it from there)."""
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        outputs = [_tensor(str(c), predictions[c].to_numpy()) for c in predictions.columns]
        content_type = "pd"
    elif isinstance(predictions, pd.Series):
        outputs = [_tensor(str(predictions.name or default), predictions.to_numpy())]
        content_type = "np"
    elif isinstance(predictions, dict):
        outputs = [_tensor(str(k), _as_array(v)) for k, v in predictions.items()]
        content_type = "dict"
    else:
        outputs = [_tensor(default, _as_array(predictions))]
        content_type = "np"
    if wanted:
        by_name = {o["name"]: o for o in outputs}
        missing = [w for w in wanted if w not in by_name]
        if missing:
            from pyfunc_scoring_server.protocols.outputs import unknown_outputs

            raise unknown_outputs(missing, list(by_name))
        outputs = [by_name[w] for w in dict.fromkeys(wanted)]
        if content_type == "dict" and len(outputs) == 1:
            content_type = "np"
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
