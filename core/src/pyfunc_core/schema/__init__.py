"""Signatures: what a model accepts and returns, and how inputs are checked against it."""

from pyfunc_core.schema.enforce import enforce_params, enforce_schema
from pyfunc_core.schema.signature import ModelSignature, infer_schema, infer_signature
from pyfunc_core.schema.types import ColSpec, DataType, ParamSchema, ParamSpec, Schema, TensorSpec

__all__ = [
    "ColSpec",
    "DataType",
    "ModelSignature",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "TensorSpec",
    "enforce_params",
    "enforce_schema",
    "infer_schema",
    "infer_signature",
]
