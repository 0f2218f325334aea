"""Length-prefixed frames over a pipe: 4-byte big-endian size, then the bytes."""

from __future__ import annotations

import struct
from typing import BinaryIO

_HEADER = struct.Struct(">I")


def write_frame(out: BinaryIO, payload: bytes) -> None:
    out.write(_HEADER.pack(len(payload)) + payload)
    out.flush()


def read_frame(source: BinaryIO) -> bytes | None:
    """The next frame, or ``None`` at end of stream (the other side has gone)."""
    head = source.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(head)
    payload = source.read(size)
    if len(payload) < size:
        return None
    return payload
