"""The binary tensor data extension of the Open Inference Protocol (Triton's ``binary_tensor_data``).

A body with an ``Inference-Header-Content-Length: N`` header is N bytes of JSON followed by
raw tensors: each input whose ``parameters.binary_data_size`` is set takes that many bytes, in
input order, instead of ``data``. Values are little-endian, row-major; BOOL is one byte per
value; BYTES is each element as a 4-byte little-endian length then its bytes. Answers use the
same layout for the outputs the client asked to get binary (``binary_data_output`` for all,
or ``parameters.binary_data`` on one requested output).
"""

from __future__ import annotations

import struct
from math import prod
from typing import Any

from pyfunc_core.errors import InvalidInputError, quote

HEADER = "Inference-Header-Content-Length"
HEADER_ENV = "HTTP_INFERENCE_HEADER_CONTENT_LENGTH"
_LENGTH = struct.Struct("<I")


def split_body(body: bytes, header_length: str) -> tuple[bytes, memoryview]:
    """(JSON header, the binary tensors after it); InvalidInputError for a length that does not fit."""
    text = header_length.strip()
    if not text.isdigit() or len(text) > 19:
        raise InvalidInputError(f"{HEADER} must be a number of bytes, got {quote(header_length, 40)}")
    size = int(text)
    if size > len(body):
        raise InvalidInputError(f"{HEADER} is {size} but the body has only {len(body)} bytes")
    view = memoryview(body)
    return bytes(view[:size]), view[size:]


def binary_size(item: dict[str, Any], label: str) -> int | None:
    """An input's ``parameters.binary_data_size``: None when its data is JSON."""
    parameters = item.get("parameters")
    if not isinstance(parameters, dict) or "binary_data_size" not in parameters:
        return None
    size = parameters["binary_data_size"]
    if type(size) is not int or size < 0:
        raise InvalidInputError(f"Input {label} 'binary_data_size' must be a non-negative integer")
    return size


def decode_raw(label: str, datatype: str, numpy_dtype: str, shape: list[int], raw: memoryview,
               content_type: Any) -> Any:  # fmt: skip
    """One input's raw bytes as an ndarray of ``shape`` (BYTES: object array of str or bytes)."""
    import numpy as np

    count = prod(shape)
    if datatype == "BYTES":
        values: list[Any] = unpack_bytes(raw, count, label)
        if content_type not in ("base64", "bytes"):
            try:
                values = [v.decode("utf-8") for v in values]
            except UnicodeDecodeError:
                pass  # not text: the values stay bytes
        arr = np.empty(count, dtype=object)
        arr[:] = values
        return arr.reshape(shape)
    dtype = np.dtype(numpy_dtype).newbyteorder("<")
    if len(raw) != count * dtype.itemsize:
        raise InvalidInputError(
            f"Input {label} has {len(raw)} bytes of binary data; shape {quote(shape)} of {datatype} "
            f"needs {count * dtype.itemsize}"
        )
    arr = np.frombuffer(raw, dtype=dtype).reshape(shape)
    if dtype.byteorder not in ("=", "|") and not dtype.isnative:
        arr = arr.astype(dtype.newbyteorder("="))
    return arr


def unpack_bytes(raw: memoryview, count: int, label: str) -> list[bytes]:
    """``count`` length-prefixed elements filling ``raw`` exactly."""
    values: list[bytes] = []
    offset, end = 0, len(raw)
    while offset < end:
        if offset + 4 > end:
            raise InvalidInputError(f"Input {label} BYTES data ends inside an element's length")
        (size,) = _LENGTH.unpack_from(raw, offset)
        offset += 4
        if offset + size > end:
            raise InvalidInputError(f"Input {label} BYTES element of {size} bytes runs past its data")
        values.append(bytes(raw[offset : offset + size]))
        offset += size
        if len(values) > count:
            break
    if len(values) != count:
        raise InvalidInputError(
            f"Input {label} has {len(values)} BYTES elements{' or more' if len(values) > count else ''}, "
            f"which does not fit its shape ({count} values)"
        )
    return values


def encode_raw(arr: Any) -> bytes:
    """An output's values (an ndarray, or a list of text) in the extension's layout."""
    import numpy as np

    if isinstance(arr, list) or arr.dtype.kind in "OUSM":
        parts = []
        for value in arr if isinstance(arr, list) else arr.reshape(-1).tolist():
            if isinstance(value, str):
                data = value.encode("utf-8")
            elif isinstance(value, (bytes, bytearray)):
                data = bytes(value)
            else:
                data = ("" if value is None else str(value)).encode("utf-8")
            parts.append(_LENGTH.pack(len(data)))
            parts.append(data)
        return b"".join(parts)
    arr = np.ascontiguousarray(arr)
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return arr.tobytes()
