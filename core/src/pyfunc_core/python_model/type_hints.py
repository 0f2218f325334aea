"""Signatures from ``predict``'s type hints, and inputs converted to the hinted types.

Following MLflow's rules: the input hint must be ``list[...]`` of a supported element type
(``str``, ``int``, ``float``, ``bool``, ``bytes``, ``datetime``, ``Any``, ``list[...]``,
``dict[str, ...]``, ``Optional[...]``, a pydantic model or a dataclass); the signature is
one unnamed column of that element type. At predict time the input (a list, or a DataFrame
of one column, or of records for dicts and models) is checked element by element, dicts
become pydantic models or dataclasses, and every invalid element is named in one error
(``Failed to validate data against type hint `list[str]`, invalid elements: [...]``).
pydantic is imported only when a hint is a pydantic model.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import inspect
import typing
from typing import Any, Callable

from pyfunc_core.errors import InvalidInputError, InvalidParameterError

_SCALARS = {
    str: "string",
    int: "long",
    float: "double",
    bool: "boolean",
    bytes: "binary",
    _dt.datetime: "datetime",
}
_UNIONS: tuple[Any, ...] = (typing.Union,)
try:  # X | Y (Python >= 3.10)
    import types as _types

    _UNIONS += (_types.UnionType,)
except AttributeError:  # pragma: no cover - Python 3.9
    pass
SUPPORTED = (
    "Supported type hints: list[...] of str, int, float, bool, bytes, datetime, Any, list[...], "
    "dict[str, ...], Optional[...], pydantic models and dataclasses."
)


def input_hint(fn: Any) -> Any:
    """The type hint of ``fn``'s model input (``predict(self, [context,] model_input, params)``),
    or None when it has none or one that does not describe data (a DataFrame, ``Any``...)."""
    owner = getattr(fn, "__self__", None)
    definer = (
        next((k for k in type(owner).__mro__ if "predict" in k.__dict__), None) if owner is not None else None
    )
    if definer is not None and definer.__dict__["predict"] is getattr(fn, "__func__", None):
        saved = definer.__dict__.get("_pyfunc_input_hint")  # resolved when the class was made
        if saved is not None:
            return saved
    try:
        hints = typing.get_type_hints(fn)
        names = [p for p in inspect.signature(fn).parameters if p not in ("self", "params")]
    except Exception:  # unresolvable annotations, builtins: no hint-driven behaviour
        return None
    if not names:
        return None
    hint = hints.get(names[-1] if len(names) >= 2 or names[:1] != ["context"] else "")
    if hint is None or typing.get_origin(hint) is not list:
        return None
    return hint


def signature_from_type_hints(model: Any) -> Any:
    """A ``ModelSignature`` from the input hint of ``model.predict`` (or of a plain callable)."""
    from pyfunc_core.schema.signature import ModelSignature
    from pyfunc_core.schema.types import ColSpec, Schema

    fn = getattr(model, "predict", model)
    hint = input_hint(fn)
    if hint is None:
        return None
    (element,) = typing.get_args(hint) or (Any,)
    return ModelSignature(Schema([ColSpec(column_type(element))]))


def column_type(hint: Any) -> Any:
    """The signature type of a hint (MLflow's mapping)."""
    from pyfunc_core.schema.composite import AnyType, Array, Map, Object, Property
    from pyfunc_core.schema.types import DataType

    if hint is Any:
        return AnyType()
    if hint in _SCALARS:
        return DataType(_SCALARS[hint])
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list and len(args) == 1:
        return Array(column_type(args[0]))
    if origin is dict and len(args) == 2:
        if args[0] is not str:
            raise InvalidParameterError(
                f"Dictionary key type must be str, got {args[0]} in type hint {_repr(hint)}"
            )
        return Map(column_type(args[1]))
    if origin in _UNIONS:
        rest = [a for a in args if a is not type(None)]
        return column_type(rest[0]) if len(rest) == 1 else AnyType()
    fields = _fields(hint)
    if fields is not None:
        return Object(
            Property(name, column_type(_strip_optional(t)), required) for name, t, required in fields
        )
    raise InvalidParameterError(f"Unsupported type hint `{_repr(hint)}`. {SUPPORTED}")


def _strip_optional(hint: Any) -> Any:
    if typing.get_origin(hint) in _UNIONS:
        rest = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return hint


def _is_pydantic(hint: Any) -> bool:
    return inspect.isclass(hint) and any(
        c.__name__ == "BaseModel" and c.__module__.startswith("pydantic") for c in hint.__mro__
    )


def _fields(hint: Any) -> list[tuple[str, Any, bool]] | None:
    """(name, type, required) of a pydantic model's or dataclass's fields, else None."""
    if _is_pydantic(hint):
        return [(n, f.annotation, f.is_required()) for n, f in hint.model_fields.items()]
    if inspect.isclass(hint) and dataclasses.is_dataclass(hint):
        types = typing.get_type_hints(hint)
        return [
            (
                f.name,
                types[f.name],
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
            )
            for f in dataclasses.fields(hint)
        ]
    return None


def input_converter(fn: Any) -> Callable[[Any], Any] | None:
    """A function that checks and converts a model input to ``fn``'s input hint, or None."""
    hint = input_hint(fn)
    if hint is None:
        return None
    column_type(hint)  # an unsupported hint fails at load, not on the first request
    return lambda data: convert(_from_frame(data, hint), hint)


def _from_frame(data: Any, hint: Any) -> Any:
    """A DataFrame (or array) as the list a ``list[...]`` hint wants."""
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        (element,) = typing.get_args(hint) or (Any,)
        element = _strip_optional(element)
        if element is dict or typing.get_origin(element) is dict or _fields(element) is not None:
            if list(data.columns) == [0]:
                return _plain(data.iloc[:, 0].tolist())
            return _plain(data.to_dict(orient="records"))
        return _plain(data.iloc[:, 0].tolist())
    if isinstance(data, (pd.Series, np.ndarray)):
        return _plain(data.tolist())
    return data


def _plain(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def convert(data: Any, hint: Any) -> Any:
    """``data`` checked against ``hint``; raises :class:`InvalidInputError` with MLflow's message."""
    if hint is Any:
        return data
    if hint in _SCALARS:
        if hint is bytes and isinstance(data, str):  # JSON carries bytes base64-encoded
            try:
                data = base64.b64decode(data)
            except ValueError:
                pass
        elif hint is _dt.datetime and isinstance(data, str):
            try:
                data = _dt.datetime.fromisoformat(data)
            except ValueError:
                pass
        if isinstance(data, hint):
            return data
        raise InvalidInputError(f"Expected type {_repr(hint)}, but got {type(data).__name__}")
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list:
        if not isinstance(data, list):
            raise InvalidInputError(f"Expected list, but got {type(data).__name__}")
        out, bad = [], []
        for elem in data:
            try:
                out.append(convert(elem, args[0]))
            except InvalidInputError as exc:
                bad.append((str(elem)[:100], str(exc)))
        if bad:
            shown = f"{bad[:5]} ... (truncated)" if len(bad) > 5 else str(bad)
            raise InvalidInputError(
                f"Failed to validate data against type hint `list[{_repr(args[0])}]`, invalid elements: {shown}"
            )
        return out
    if origin is dict:
        if not isinstance(data, dict):
            raise InvalidInputError(f"Expected dict, but got {type(data).__name__}")
        result, errors = {}, {}
        for key, value in data.items():
            if not isinstance(key, str):
                errors[str(key)] = f"Key must be a string, got {type(key).__name__}"
                continue
            try:
                result[key] = convert(value, args[1])
            except InvalidInputError as exc:
                errors[key] = str(exc)
        if errors:
            raise InvalidInputError(
                f"Failed to validate data against type hint `dict[str, {_repr(args[1])}]`, invalid elements: {errors}"
            )
        return result
    if origin in _UNIONS:
        rest = [a for a in args if a is not type(None)]
        if data is None and len(rest) < len(args):
            return None
        return convert(data, rest[0]) if len(rest) == 1 else data
    if _is_pydantic(hint):
        return _to_pydantic(data, hint)
    if inspect.isclass(hint) and dataclasses.is_dataclass(hint):
        return _to_dataclass(data, hint)
    raise InvalidInputError(f"Unsupported type hint `{_repr(hint)}`. {SUPPORTED}")


def _to_pydantic(data: Any, hint: Any) -> Any:
    import pydantic

    if isinstance(data, hint):
        return data
    if not isinstance(data, dict):
        raise InvalidInputError(f"Expected a dictionary for {hint.__name__}, but got {type(data).__name__}")
    try:
        return hint.model_validate(data)
    except pydantic.ValidationError as exc:
        first = str(exc).strip().splitlines()
        raise InvalidInputError(
            f"Data doesn't match type hint, error: {' '.join(line.strip() for line in first[:3])}. "
            f"Expected fields in the type hint: {list(hint.model_fields)}"
        ) from None


def _to_dataclass(data: Any, hint: Any) -> Any:
    if isinstance(data, hint):
        return data
    if not isinstance(data, dict):
        raise InvalidInputError(f"Expected a dictionary for {hint.__name__}, but got {type(data).__name__}")
    fields = _fields(hint) or []
    missing = [n for n, _, required in fields if required and n not in data]
    if missing:
        raise InvalidInputError(f"Data doesn't match type hint {hint.__name__}: missing fields {missing}")
    known = {n: t for n, t, _ in fields}
    return hint(**{k: convert(v, known[k]) for k, v in data.items() if k in known})


def _repr(hint: Any) -> str:
    return hint.__name__ if inspect.isclass(hint) and typing.get_origin(hint) is None else str(hint)
