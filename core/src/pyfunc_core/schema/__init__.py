"""Signatures: what a model accepts and returns, and how inputs are checked against it.

The names in ``__all__`` are public; they load on first use, so importing the package
costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfunc_core._lazy import lazy_exports

if TYPE_CHECKING:
    from pyfunc_core.schema.composite import AnyType, Array, Map, Object
    from pyfunc_core.schema.enforce import enforce_params, enforce_schema, narrow_untyped_numbers
    from pyfunc_core.schema.signature import ModelSignature, infer_schema, infer_signature
    from pyfunc_core.schema.types import ColSpec, DataType, ParamSchema, ParamSpec, Schema, TensorSpec

_SOURCES = {
    "composite": ("AnyType", "Array", "Map", "Object"),
    "enforce": ("enforce_params", "enforce_schema", "narrow_untyped_numbers"),
    "signature": ("ModelSignature", "infer_schema", "infer_signature"),
    "types": ("ColSpec", "DataType", "ParamSchema", "ParamSpec", "Schema", "TensorSpec"),
}

__all__ = [
    "AnyType",
    "Array",
    "ColSpec",
    "DataType",
    "Map",
    "ModelSignature",
    "Object",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "TensorSpec",
    "enforce_params",
    "enforce_schema",
    "infer_schema",
    "infer_signature",
    "narrow_untyped_numbers",
]

__getattr__, __dir__ = lazy_exports(__name__, _SOURCES)
