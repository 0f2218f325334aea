"""Matching the columns a UDF is called with to the model's input signature."""

from __future__ import annotations

from typing import Any, Sequence

from pyfunc_core.errors import InvalidInputError


def column_name(column: Any) -> str | None:
    """The output name of a column argument (``"a"``, ``col("a")``, ``expr.alias("a")``), if it has one."""
    if isinstance(column, str):
        return column
    text = str(column)  # "Column<'a'>", "Column<'a AS b'>", "Column<'(a + 1)'>"
    if not (text.startswith("Column<'") and text.endswith("'>")):
        return None
    inner = text[len("Column<'") : -len("'>")]
    if " AS " in inner:
        inner = inner.rsplit(" AS ", 1)[1]
    inner = inner.strip("`")
    return inner if inner.replace("_", "").replace(".", "").isalnum() else None


def resolve_names(given: Sequence[str | None], schema: Any) -> list[str | int]:
    """Column names for the pandas frame built from positional column arguments.

    By name when every required input of the signature is among the given names;
    positionally (in signature order) when the signature has no names, or when none of
    the given names is one of the signature's (the MLflow rule for ``udf(*columns)``).
    Anything else is a naming mistake and fails here, on the driver.
    """
    if schema is None:
        return [name if name is not None else i for i, name in enumerate(given)]
    if schema.is_tensor_spec or not schema.has_input_names:
        return list(range(len(given)))
    inputs = [str(n) for n in schema.input_names()]
    required = [str(n) for n in schema.required_input_names()]
    present = [n for n in given if n is not None]
    if all(name in present for name in required) and len(set(present)) == len(present):
        return [name if name is not None else f"_extra_{i}" for i, name in enumerate(given)]
    if not set(present) & set(inputs) and len(required) <= len(given) <= len(inputs):
        return list(inputs[: len(given)])
    missing = [name for name in required if name not in present]
    raise InvalidInputError(
        f"Model is missing inputs {missing}: the UDF was called with columns "
        f"{[n if n is not None else '<expression>' for n in given]}; pass the model's inputs "
        f"{inputs} by name (or all of them in signature order)"
    )


def input_frame(
    args: Sequence[Any], given: Sequence[str | None], names: Sequence[str | int] | None, schema: Any
) -> Any:
    """The model input for one Arrow batch: a struct arrives as a DataFrame, columns as Series.

    ``names`` were resolved on the driver, or are resolved here from ``given`` when the
    driver could not tell a lone struct column from a plain one.
    """
    import pandas as pd

    if len(args) == 1 and isinstance(args[0], pd.DataFrame):
        return args[0]
    if names is None:
        names = resolve_names(given, schema)
    frame = pd.concat([arg.reset_index(drop=True) for arg in args], axis=1, ignore_index=True)
    frame.columns = list(names)
    return frame
