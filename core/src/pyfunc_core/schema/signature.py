"""Model signatures and their inference from example inputs, outputs and params."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from pyfunc_core.schema.types import ColSpec, DataType, ParamSchema, ParamSpec, Schema, TensorSpec


class ModelSignature:
    """Input schema, optional output schema and optional params schema of a model."""

    def __init__(
        self,
        inputs: Schema | None = None,
        outputs: Schema | None = None,
        params: ParamSchema | None = None,
    ):
        self.inputs = inputs
        self.outputs = outputs
        self.params = params

    def to_dict(self) -> dict[str, Any]:
        """MLflow's form: each part a JSON string (or null)."""
        return {
            "inputs": self.inputs.to_json() if self.inputs else None,
            "outputs": self.outputs.to_json() if self.outputs else None,
            "params": self.params.to_json() if self.params else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSignature:
        if not isinstance(data, dict):
            raise ValueError("signature must be a mapping")
        return cls(
            Schema.from_json(data["inputs"]) if data.get("inputs") else None,
            Schema.from_json(data["outputs"]) if data.get("outputs") else None,
            ParamSchema.from_json(data["params"]) if data.get("params") else None,
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ModelSignature)
            and self.inputs == other.inputs
            and self.outputs == other.outputs
            and self.params == other.params
        )

    def __repr__(self) -> str:
        return f"ModelSignature(inputs={self.inputs!r}, outputs={self.outputs!r}, params={self.params!r})"


def infer_signature(
    model_input: Any = None, model_output: Any = None, params: dict[str, Any] | None = None
) -> ModelSignature:
    """Infer a signature from an example input, output and params, as MLflow does."""
    return ModelSignature(
        infer_schema(model_input) if model_input is not None else None,
        infer_schema(model_output) if model_output is not None else None,
        infer_param_schema(params) if params else None,
    )


def infer_schema(data: Any) -> Schema:
    """A schema for a DataFrame, Series, ndarray, dict of arrays, list or scalar."""
    import numpy as np
    import pandas as pd

    if isinstance(data, dict) and data and all(isinstance(v, np.ndarray) for v in data.values()):
        return Schema([_tensor_spec(v, name=str(k)) for k, v in data.items()])
    if isinstance(data, dict):
        data = pd.DataFrame({k: v if isinstance(v, (list, np.ndarray)) else [v] for k, v in data.items()})
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        data = pd.DataFrame(data)
    if isinstance(data, pd.Series):
        return Schema([ColSpec(_column_type(data), name=data.name if data.name is not None else None)])
    if isinstance(data, pd.DataFrame):
        named = all(isinstance(c, str) for c in data.columns)
        return Schema([ColSpec(_column_type(data[c]), str(c) if named else None) for c in data.columns])
    if isinstance(data, np.ndarray):
        return Schema([_tensor_spec(data)])
    if isinstance(data, (list, tuple)):
        arr = np.asarray(data)
        if arr.dtype.kind in "biufcMm":
            return Schema([_tensor_spec(arr)])
        return Schema([ColSpec(_scalar_type(data[0]) if data else DataType.string)])
    if isinstance(data, (str, bytes, bool, int, float)):
        return Schema([ColSpec(_scalar_type(data))])
    raise ValueError(f"cannot infer a schema from {type(data).__name__}")


def _tensor_spec(arr: Any, name: str | None = None) -> TensorSpec:
    if arr.dtype.kind == "O":
        raise ValueError("cannot infer a tensor spec from an object array")
    return TensorSpec(arr.dtype, (-1, *arr.shape[1:]), name)


def _column_type(col: Any) -> DataType:
    import numpy as np

    dtype = col.dtype
    kind = getattr(dtype, "kind", "O")
    if kind == "b":
        return DataType.boolean
    if kind in "iu":
        return DataType.integer if dtype.itemsize <= 4 and kind == "i" else DataType.long
    if kind == "f":
        return DataType.float if dtype.itemsize <= 4 else DataType.double
    if kind == "M":
        return DataType.datetime
    values = [v for v in col.tolist() if v is not None and not (isinstance(v, float) and np.isnan(v))]
    if values and all(isinstance(v, (bytes, bytearray)) for v in values):
        return DataType.binary
    if values and all(isinstance(v, bool) for v in values):
        return DataType.boolean
    if all(isinstance(v, str) for v in values):
        return DataType.string
    raise ValueError(f"cannot infer a column type for column {col.name!r} of mixed or unsupported values")


def _scalar_type(value: Any) -> DataType:
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return DataType.boolean
    if isinstance(value, (int, np.integer)):
        return DataType.long
    if isinstance(value, np.float32):
        return DataType.float
    if isinstance(value, (float, np.floating)):
        return DataType.double
    if isinstance(value, str):
        return DataType.string
    if isinstance(value, (bytes, bytearray)):
        return DataType.binary
    if isinstance(value, (_dt.date, _dt.datetime, np.datetime64)):
        return DataType.datetime
    raise ValueError(f"unsupported value type {type(value).__name__}")


def infer_param_schema(params: dict[str, Any]) -> ParamSchema:
    import numpy as np

    specs = []
    for name, value in params.items():
        if isinstance(value, (list, np.ndarray)):
            values = list(value)
            if not values:
                raise ValueError(f"cannot infer the type of empty list param {name!r}")
            specs.append(ParamSpec(name, _scalar_type(values[0]), values, shape=(-1,)))
        else:
            specs.append(ParamSpec(name, _scalar_type(value), value))
    return ParamSchema(specs)
