"""Column, tensor and parameter specifications in MLflow's JSON form."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any, Sequence, Union, cast

from pyfunc_core.schema.composite import is_composite, type_from_dict, type_to_dict


class DataType(Enum):
    """MLflow's scalar column types and their numpy equivalents."""

    boolean = "boolean"
    integer = "integer"
    long = "long"
    float = "float"
    double = "double"
    string = "string"
    binary = "binary"
    datetime = "datetime"

    def to_numpy(self) -> Any:
        import numpy as np

        return np.dtype(_NUMPY[self])

    @property
    def is_numeric(self) -> bool:
        return self in (DataType.integer, DataType.long, DataType.float, DataType.double)


_NUMPY = {
    DataType.boolean: "bool",
    DataType.integer: "int32",
    DataType.long: "int64",
    DataType.float: "float32",
    DataType.double: "float64",
    DataType.string: "object",
    DataType.binary: "object",
    DataType.datetime: "datetime64[ns]",
}


def _data_type(value: str | DataType) -> DataType:
    if isinstance(value, DataType):
        return value
    try:
        return DataType(value)
    except ValueError:
        names = ", ".join([*(t.value for t in DataType), "array", "object", "map", "any"])
        raise ValueError(f"unsupported column type {value!r} (expected one of {names})") from None


@dataclass(frozen=True)
class ColSpec:
    """A named (or positional) column of one type: a scalar ``DataType`` or a composite
    (``Array``, ``Object``, ``Map``, ``AnyType``, see :mod:`.composite`); ``required=False``
    makes it optional."""

    type: Any
    name: str | None = None
    required: bool = True

    def __init__(self, type: Any, name: str | None = None, required: bool = True):
        object.__setattr__(self, "type", type if is_composite(type) else _data_type(type))
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "required", required)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = type_to_dict(self.type)
        if self.name is not None:
            out["name"] = self.name
        out["required"] = self.required
        return out


@dataclass(frozen=True)
class TensorSpec:
    """A tensor of one numpy dtype and shape; ``-1`` is a variable dimension."""

    dtype: Any
    shape: tuple[int, ...]
    name: str | None = None

    def __init__(self, dtype: Any, shape: Sequence[int], name: str | None = None):
        import numpy as np

        object.__setattr__(self, "dtype", np.dtype(dtype))
        object.__setattr__(self, "shape", tuple(int(d) for d in shape))
        object.__setattr__(self, "name", name)

    @property
    def type(self) -> Any:
        return self.dtype

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {} if self.name is None else {"name": self.name}  # MLflow's key order
        out["type"] = "tensor"
        out["tensor-spec"] = {"dtype": str(self.dtype), "shape": list(self.shape)}
        return out


Spec = Union[ColSpec, TensorSpec]


class Schema:
    """An ordered list of column specs or of tensor specs (never both)."""

    def __init__(self, inputs: Sequence[Spec]):
        inputs = list(inputs)
        if not inputs:
            raise ValueError("a schema needs at least one input")
        kinds = {isinstance(s, TensorSpec) for s in inputs}
        if len(kinds) > 1:
            raise ValueError("a schema cannot mix column and tensor specs")
        names = [s.name for s in inputs]
        if any(n is None for n in names) and any(n is not None for n in names):
            raise ValueError("either every input of a schema is named or none is")
        if len(inputs) > 1 and all(n is not None for n in names) and len(set(names)) != len(names):
            raise ValueError("duplicate input names in schema")
        if isinstance(inputs[0], TensorSpec) and len(inputs) > 1 and names[0] is None:
            raise ValueError("a schema with several tensors must name them")
        self.inputs: list[Spec] = inputs

    @property
    def is_tensor_spec(self) -> bool:
        return isinstance(self.inputs[0], TensorSpec)

    @property
    def column_specs(self) -> list[ColSpec]:
        """``inputs`` of a column schema, typed as such (check ``is_tensor_spec`` first)."""
        return cast("list[ColSpec]", self.inputs)

    @property
    def tensor_specs(self) -> list[TensorSpec]:
        """``inputs`` of a tensor schema, typed as such (check ``is_tensor_spec`` first)."""
        return cast("list[TensorSpec]", self.inputs)

    @property
    def has_input_names(self) -> bool:
        return self.inputs[0].name is not None

    def input_names(self) -> list[str | int]:
        return [s.name if s.name is not None else i for i, s in enumerate(self.inputs)]

    def required_input_names(self) -> list[str | int]:
        return [
            s.name if s.name is not None else i
            for i, s in enumerate(self.inputs)
            if not isinstance(s, ColSpec) or s.required
        ]

    def numpy_types(self) -> list[Any]:
        return [s.dtype if isinstance(s, TensorSpec) else s.type.to_numpy() for s in self.inputs]

    def has_composite(self) -> bool:
        """True when a column is an array, object, map or any (LLM and agent signatures)."""
        return any(isinstance(s, ColSpec) and is_composite(s.type) for s in self.inputs)

    def is_all_numeric(self) -> bool:
        """True for a column schema of numeric types only (the server's fast path)."""
        return self._cached("all_numeric", self._all_numeric)

    def uniform_numeric_dtype(self) -> Any:
        """The one numpy dtype of an all-numeric column schema of a single type, else None."""
        return self._cached("uniform_dtype", self._uniform_dtype)

    def input_index(self) -> Any:
        """:meth:`input_names` as a pandas Index, built once (frames the codecs build for this
        schema carry this very object, which lets enforcement recognise them by identity)."""
        import pandas as pd

        return self._cached("index", lambda: pd.Index(self.input_names()))

    def _all_numeric(self) -> bool:
        return not self.is_tensor_spec and all(
            isinstance(s, ColSpec) and s.type.is_numeric for s in self.inputs
        )

    def _uniform_dtype(self) -> Any:
        dtypes = set(self.numpy_types()) if self.is_all_numeric() else set()
        return dtypes.pop() if len(dtypes) == 1 else None

    def _cached(self, name: str, build: Any) -> Any:
        # Asked on every request: kept while ``inputs`` holds the same specs (compared by identity).
        key = tuple(map(id, self.inputs))
        cache = self.__dict__.get("_derived")
        if cache is None or cache[0] != key:
            cache = self.__dict__["_derived"] = (key, {})
        values: dict[str, Any] = cache[1]
        if name not in values:
            values[name] = build()
        return values[name]

    def to_json(self) -> str:
        return json.dumps([s.to_dict() for s in self.inputs])

    @classmethod
    def from_json(cls, text: str | list[dict[str, Any]]) -> Schema:
        items = json.loads(text) if isinstance(text, str) else text
        if not isinstance(items, list):
            raise ValueError("a schema is a JSON list of specs")
        specs: list[Spec] = []
        for item in items:
            if item.get("type") == "tensor":
                ts = item["tensor-spec"]
                specs.append(TensorSpec(ts["dtype"], ts["shape"], item.get("name")))
            else:
                specs.append(ColSpec(type_from_dict(item), item.get("name"), item.get("required", True)))
        return cls(specs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and self.inputs == other.inputs

    def __repr__(self) -> str:
        return f"Schema({self.inputs!r})"


@dataclass(frozen=True)
class ParamSpec:
    """An inference parameter with a type, a default, and an optional 1-d shape."""

    name: str
    type: DataType
    default: Any = None
    shape: tuple[int, ...] | None = None

    def __init__(
        self, name: str, type: str | DataType, default: Any = None, shape: Sequence[int] | None = None
    ):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "type", _data_type(type))
        object.__setattr__(self, "shape", tuple(shape) if shape is not None else None)
        from pyfunc_core.schema.enforce import cast_param

        object.__setattr__(self, "default", cast_param(self, default) if default is not None else None)

    def to_dict(self) -> dict[str, Any]:
        default = self.default
        if self.type is DataType.datetime and default is not None:
            default = (
                default.isoformat() if not isinstance(default, list) else [d.isoformat() for d in default]
            )
        return {
            "name": self.name,
            "type": self.type.value,
            "default": default,
            "shape": list(self.shape) if self.shape is not None else None,
        }


class ParamSchema:
    """The inference parameters a model accepts."""

    def __init__(self, params: Sequence[ParamSpec]):
        self.params = list(params)
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError("duplicate parameter names in params schema")

    def to_json(self) -> str:
        return json.dumps([p.to_dict() for p in self.params])

    @classmethod
    def from_json(cls, text: str | list[dict[str, Any]]) -> ParamSchema:
        items = json.loads(text) if isinstance(text, str) else text
        return cls([ParamSpec(i["name"], i["type"], i.get("default"), i.get("shape")) for i in items])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParamSchema) and self.params == other.params

    def __repr__(self) -> str:
        return f"ParamSchema({self.params!r})"
