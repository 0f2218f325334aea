"""Composite column types of MLflow signatures: ``array``, ``object``, ``map`` and ``any``.

They read and write MLflow's JSON exactly (``{"type": "array", "items": {...}}``,
``{"type": "object", "properties": {name: {..., "required": bool}}}``,
``{"type": "map", "values": {...}}``, ``{"type": "any"}``) and validate one value each:
:meth:`validate` returns the value (ints widened to floats where a double is declared) or
raises :class:`InvalidInputError` naming where in the value it failed.
"""

from __future__ import annotations

import datetime as _dt
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from pyfunc_core.errors import InvalidInputError, quote

if TYPE_CHECKING:
    from pyfunc_core.schema.types import DataType  # types.py imports this module

ARRAY, OBJECT, MAP, ANY = "array", "object", "map", "any"
COMPOSITE_TYPES = (ARRAY, OBJECT, MAP, ANY)


class _Composite(ABC):
    """What the scalar ``DataType`` offers that column code asks of any column type."""

    value = ""
    is_numeric = False

    def to_numpy(self) -> Any:
        import numpy as np

        return np.dtype("object")

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """MLflow's JSON for this type."""

    @abstractmethod
    def validate(self, value: Any, where: str) -> Any:
        """``value`` checked (and converted) against this type; ``where`` names it in errors."""


@dataclass(frozen=True)
class AnyType(_Composite):
    """Any JSON value."""

    value = ANY

    def to_dict(self) -> dict[str, Any]:
        return {"type": ANY}

    def validate(self, value: Any, where: str) -> Any:
        return value

    def __repr__(self) -> str:
        return "Any"


@dataclass(frozen=True)
class Array(_Composite):
    """A list whose every element has type ``items``."""

    items: ItemType
    value = ARRAY

    def to_dict(self) -> dict[str, Any]:
        return {"type": ARRAY, "items": type_to_dict(self.items)}

    def validate(self, value: Any, where: str) -> Any:
        import numpy as np

        if isinstance(value, np.ndarray):
            value = value.tolist()
        if not isinstance(value, (list, tuple)):
            raise InvalidInputError(f"Expected {where} to be a list, got {type(value).__name__}")
        return [validate_value(self.items, v, f"{where}[{i}]") for i, v in enumerate(value)]

    def __repr__(self) -> str:
        return f"Array({self.items!r})"


@dataclass(frozen=True)
class Property:
    """A named field of an :class:`Object`."""

    name: str
    dtype: ItemType
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {self.name: {**type_to_dict(self.dtype), "required": self.required}}


@dataclass(frozen=True)
class Object(_Composite):
    """A mapping with declared fields (kept sorted by name, as MLflow writes them)."""

    properties: tuple[Property, ...]
    value = OBJECT

    def __init__(self, properties: Any) -> None:
        props = tuple(sorted(properties, key=lambda p: p.name))
        if len({p.name for p in props}) != len(props):
            raise ValueError("duplicate property names in an object type")
        object.__setattr__(self, "properties", props)

    def to_dict(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for prop in self.properties:
            fields.update(prop.to_dict())
        return {"type": OBJECT, "properties": fields}

    def validate(self, value: Any, where: str) -> Any:
        if not isinstance(value, dict):
            raise InvalidInputError(f"Expected {where} to be an object (dict), got {type(value).__name__}")
        missing = [p.name for p in self.properties if p.required and value.get(p.name) is None]
        if missing:
            raise InvalidInputError(f"Missing required properties {missing} in {where}")
        out = dict(value)
        for prop in self.properties:
            if value.get(prop.name) is not None:
                out[prop.name] = validate_value(prop.dtype, value[prop.name], f"{where}.{prop.name}")
        return out

    def __repr__(self) -> str:
        return (
            "Object("
            + ", ".join(f"{p.name}{'' if p.required else '?'}: {p.dtype!r}" for p in self.properties)
            + ")"
        )


@dataclass(frozen=True)
class Map(_Composite):
    """A mapping from string keys to values of one type."""

    value_type: ItemType
    value = MAP

    def to_dict(self) -> dict[str, Any]:
        return {"type": MAP, "values": type_to_dict(self.value_type)}

    def validate(self, value: Any, where: str) -> Any:
        if not isinstance(value, dict):
            raise InvalidInputError(f"Expected {where} to be a map (dict), got {type(value).__name__}")
        bad = next((k for k in value if not isinstance(k, str)), None)
        if bad is not None:
            raise InvalidInputError(f"Keys of {where} must be strings, got {type(bad).__name__}")
        return {k: validate_value(self.value_type, v, f"{where}[{quote(k)}]") for k, v in value.items()}

    def __repr__(self) -> str:
        return f"Map({self.value_type!r})"


#: A column, element, property or map value type: a scalar ``DataType`` or a composite.
ItemType = Union["DataType", Array, Object, Map, AnyType]


def type_to_dict(t: Any) -> dict[str, Any]:
    return t.to_dict() if isinstance(t, _Composite) else {"type": t.value}


def type_from_dict(item: Any) -> Any:
    """A type from MLflow's JSON (``{"type": ...}`` plus ``items``/``properties``/``values``)."""
    from pyfunc_core.schema.types import _data_type

    if not isinstance(item, dict) or "type" not in item:
        raise ValueError(f"a type is a JSON object with a 'type' key, got {clip_repr(item)}")
    kind = item["type"]
    if kind == ARRAY:
        if not isinstance(item.get("items"), dict):
            raise ValueError("an array type needs 'items' (an object with a 'type')")
        return Array(type_from_dict(item["items"]))
    if kind == OBJECT:
        fields = item.get("properties")
        if not isinstance(fields, dict) or not all(isinstance(v, dict) for v in fields.values()):
            raise ValueError("an object type needs 'properties' (name -> type object)")
        return Object(
            Property(name, type_from_dict(spec), bool(spec.get("required", True)))
            for name, spec in fields.items()
        )
    if kind == MAP:
        if not isinstance(item.get("values"), dict):
            raise ValueError("a map type needs 'values' (an object with a 'type')")
        return Map(type_from_dict(item["values"]))
    if kind == ANY:
        return AnyType()
    return _data_type(kind)


def clip_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 100 else text[:100] + "..."


def validate_value(t: Any, value: Any, where: str) -> Any:
    """``value`` checked against type ``t`` (scalars by JSON kind, as MLflow checks them)."""
    if isinstance(t, _Composite):
        return t.validate(value, where)
    import numpy as np

    if isinstance(value, np.generic):
        value = value.item()
    kind = t.value
    ok = True
    if kind in ("double", "float"):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif kind in ("long", "integer"):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "string":
        ok = isinstance(value, str)
    elif kind == "binary":
        ok = isinstance(value, (bytes, bytearray, str))
    elif kind == "datetime":
        ok = isinstance(value, (str, _dt.date))
    if not ok:
        raise InvalidInputError(
            f"Expected {where} to be of type {kind}, got {type(value).__name__} {quote(value)}"
        )
    return value


def is_composite(t: Any) -> bool:
    return isinstance(t, _Composite)
