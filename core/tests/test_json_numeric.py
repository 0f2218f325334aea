"""The numeric ``dataframe_split`` path gives exactly what the general JSON path gives, or
steps aside (None) for every body that is not a plain numeric rectangle."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pyfunc_core.codecs import decode_request, json_numeric
from pyfunc_core.codecs.json_numeric import decode_numeric_split
from pyfunc_core.errors import InvalidInputError
from pyfunc_core.plugins import Plugins
from pyfunc_core.schema import ColSpec, Schema

pytest.importorskip("simdjson", reason="pysimdjson is the optional numeric JSON parser")

JSON = "application/json"
COLUMNS = [f"f{i}" for i in range(5)]
DOUBLES = Schema([ColSpec("double", c) for c in COLUMNS])
LONGS = Schema([ColSpec("long", c) for c in COLUMNS])
ROWS = 3000  # past MIN_BODY


@pytest.fixture(scope="module")
def codecs():
    return Plugins().load(entry_points=False).codecs


def _rows(kind: str = "float") -> list[list]:
    rng = np.random.default_rng(0)
    if kind == "int":
        return rng.integers(-(10**12), 10**12, size=(ROWS, len(COLUMNS))).tolist()
    return rng.normal(size=(ROWS, len(COLUMNS))).tolist()


def _body(rows: list, columns: list = COLUMNS, **extra) -> bytes:
    return json.dumps({"dataframe_split": {"columns": columns, "data": rows}, **extra}).encode()


def _general(codecs, body: bytes, schema: Schema, monkeypatch) -> object:
    with monkeypatch.context() as m:
        m.setattr(json_numeric, "MIN_BODY", 1 << 62)
        return decode_request(codecs, JSON, body, schema)[1]


@pytest.mark.parametrize(
    ("schema", "kind", "extra"),
    [
        (DOUBLES, "float", {}),
        (DOUBLES, "int", {}),  # JSON integers in double columns become doubles, as in MLflow
        (LONGS, "int", {}),
        (DOUBLES, "float", {"params": {"k": [1, "x["], "t": 0.5}}),
    ],
)
def test_same_frame_as_the_general_path(codecs, monkeypatch, schema, kind, extra):
    body = _body(_rows(kind), **extra)
    assert len(body) >= json_numeric.MIN_BODY
    dtype = "int64" if schema is LONGS else "float64"
    assert decode_numeric_split(body, dtype) is not None  # this body does take the numeric path
    fast = decode_request(codecs, JSON, body, schema)[1]
    general = _general(codecs, body, schema, monkeypatch)
    pd.testing.assert_frame_equal(fast.data, general.data)
    assert fast.params == general.params == extra.get("params")
    assert fast.data.columns is schema.input_index()  # enforcement knows it without comparing


def test_columns_other_than_the_schemas_keep_their_own_labels():
    body = _body(_rows(), columns=list(reversed(COLUMNS)))
    request = decode_numeric_split(body, "float64", DOUBLES)
    assert request is not None and list(request.data.columns) == list(reversed(COLUMNS))
    assert request.data.columns is not DOUBLES.input_index()


def _with(rows: list, r: int, c: int, value: object) -> list:
    rows = [list(row) for row in rows]
    rows[r][c] = value
    return rows


STEP_ASIDE = {
    "a string value": lambda rows: _body(_with(rows, 7, 2, "1.5")),
    "a null": lambda rows: _body(_with(rows, 7, 2, None)),
    "a boolean": lambda rows: _body(_with(rows, 7, 2, True)),
    "a nested one-element array": lambda rows: _body(_with(rows, 7, 2, [1.5])),
    "a nested object": lambda rows: _body(_with(rows, 7, 2, {"a": 1})),
    "a short row": lambda rows: _body([*rows[:7], rows[7][:4], *rows[8:]]),
    "a short and a long row": lambda rows: _body([rows[0][:4], rows[1] + [1.0], *rows[2:]]),
    "a scalar row": lambda rows: _body([*rows[:7], 1.0, *rows[8:]]),
    "an index": lambda rows: json.dumps({"dataframe_split": {"columns": COLUMNS, "data": rows, "index": list(range(len(rows)))}}).encode(),
    "columns missing": lambda rows: json.dumps({"dataframe_split": {"data": rows}}).encode(),
    "an extra key": lambda rows: json.dumps({"dataframe_split": {"columns": COLUMNS, "data": rows, "index": None}}).encode(),
    "a second format": lambda rows: _body(rows, inputs=[1]),
    "escaped characters": lambda rows: _body(rows, columns=["f\u005b0", *COLUMNS[1:]]).replace(b"[0", b"\\u005b0"),
    "a column name with a bracket and a nested array": lambda rows: _body(_with(rows, 1, 1, [2.0]), columns=["f[", *COLUMNS[1:]]),
    "truncated JSON": lambda rows: _body(rows)[:-3],
    "a NaN literal": lambda rows: _body(rows).replace(b"]]", b", NaN]]", 1),
    "an empty data list": lambda rows: _body([]) + b" " * json_numeric.MIN_BODY,
}  # fmt: skip


@pytest.mark.parametrize("name", list(STEP_ASIDE))
def test_anything_unusual_takes_the_general_path(codecs, monkeypatch, name):
    body = STEP_ASIDE[name](_rows())
    assert decode_numeric_split(body, "float64") is None
    try:
        expected = _general(codecs, body, DOUBLES, monkeypatch)
    except InvalidInputError as exc:
        with pytest.raises(InvalidInputError) as raised:
            decode_request(codecs, JSON, body, DOUBLES)
        assert str(raised.value) == str(exc)  # the same error, worded by the general path
    else:
        got = decode_request(codecs, JSON, body, DOUBLES)[1]
        pd.testing.assert_frame_equal(got.data, expected.data)


def test_floats_in_a_long_column_and_small_bodies_step_aside():
    assert decode_numeric_split(_body(_rows("float")), "int64") is None
    assert decode_numeric_split(_body(_rows()[:2]), "float64") is None  # under MIN_BODY
    assert decode_numeric_split(_body(_rows()), "float32") is None  # only float64 and int64
