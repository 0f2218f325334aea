"""Signatures: MLflow's JSON form, inference, and enforcement as MLflow does it."""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd
import pytest

from pyfunc_core.errors import InvalidInputError, InvalidParameterError
from pyfunc_core.schema import (
    ColSpec,
    DataType,
    ModelSignature,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
    enforce_params,
    enforce_schema,
    infer_signature,
)

COLUMNS = Schema([ColSpec("long", "a"), ColSpec("double", "b"), ColSpec("string", "s", required=False)])


# -- MLflow's JSON form ------------------------------------------------------------------


def test_column_schema_json_is_mlflows():
    text = COLUMNS.to_json()
    assert text == (
        '[{"type": "long", "name": "a", "required": true}, '
        '{"type": "double", "name": "b", "required": true}, '
        '{"type": "string", "name": "s", "required": false}]'
    )
    assert Schema.from_json(text) == COLUMNS


def test_tensor_schema_json_is_mlflows():
    schema = Schema([TensorSpec("float32", (-1, 28, 28), "image"), TensorSpec(np.int64, [-1], "label")])
    text = schema.to_json()
    assert text == (
        '[{"name": "image", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 28, 28]}}, '
        '{"name": "label", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
    )
    assert Schema.from_json(text) == schema
    unnamed = Schema([TensorSpec("float64", (-1, 2))])
    assert unnamed.to_json() == '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}]'


def test_params_schema_json_is_mlflows():
    params = ParamSchema(
        [
            ParamSpec("temperature", "double", 0.5),
            ParamSpec("top_k", DataType.long, 3),
            ParamSpec("stop", "string", ["\n"], shape=(-1,)),
            ParamSpec("since", "datetime", dt.datetime(2024, 1, 2, 3, 4, 5)),
            ParamSpec("verbose", "boolean"),
        ]
    )
    text = params.to_json()
    assert text == (
        '[{"name": "temperature", "type": "double", "default": 0.5, "shape": null}, '
        '{"name": "top_k", "type": "long", "default": 3, "shape": null}, '
        '{"name": "stop", "type": "string", "default": ["\\n"], "shape": [-1]}, '
        '{"name": "since", "type": "datetime", "default": "2024-01-02T03:04:05", "shape": null}, '
        '{"name": "verbose", "type": "boolean", "default": null, "shape": null}]'
    )
    assert ParamSchema.from_json(text) == params


def test_signature_dict_holds_json_strings():
    sig = ModelSignature(COLUMNS, Schema([ColSpec("double")]), ParamSchema([ParamSpec("k", "long", 1)]))
    as_dict = sig.to_dict()
    assert as_dict["outputs"] == '[{"type": "double", "required": true}]'
    assert all(isinstance(v, str) for v in as_dict.values())
    assert ModelSignature.from_dict(as_dict) == sig
    assert ModelSignature.from_dict({"inputs": as_dict["inputs"], "outputs": None}).params is None


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ColSpec("decimal", "x"), "unsupported column type 'decimal'"),
        (lambda: Schema([]), "at least one input"),
        (lambda: Schema([ColSpec("long", "a"), ColSpec("long")]), "every input of a schema is named or none"),
        (lambda: Schema([ColSpec("long", "a"), TensorSpec("int64", (-1,), "b")]), "cannot mix"),
        (lambda: Schema([ColSpec("long", "a"), ColSpec("double", "a")]), "duplicate input names"),
        (lambda: ParamSpec("k", "long", "three"), "param 'k'"),
    ],
)
def test_invalid_schemas_are_refused(build, message):
    with pytest.raises((ValueError, InvalidParameterError), match=message):
        build()


# -- inference ---------------------------------------------------------------------------


def test_infer_signature_from_frames_arrays_and_params():
    frame = pd.DataFrame(
        {
            "i32": np.array([1], dtype=np.int32),
            "i64": [1],
            "f32": np.array([1.0], dtype=np.float32),
            "f64": [1.0],
            "flag": [True],
            "text": ["x"],
            "raw": [b"\x00"],
            "when": pd.to_datetime(["2024-01-01"]),
        }
    )
    sig = infer_signature(frame, np.array([0.5]), params={"k": 3, "mode": "fast", "ws": [0.1, 0.2]})
    assert [(c.name, c.type.value) for c in sig.inputs.inputs] == [
        ("i32", "integer"),
        ("i64", "long"),
        ("f32", "float"),
        ("f64", "double"),
        ("flag", "boolean"),
        ("text", "string"),
        ("raw", "binary"),
        ("when", "datetime"),
    ]
    assert sig.outputs == Schema([TensorSpec("float64", (-1,))])
    assert sig.params == ParamSchema(
        [
            ParamSpec("k", "long", 3),
            ParamSpec("mode", "string", "fast"),
            ParamSpec("ws", "double", [0.1, 0.2], (-1,)),
        ]
    )
    tensors = infer_signature({"a": np.zeros((2, 3), dtype=np.uint8), "b": np.ones(2)}).inputs
    assert tensors == Schema([TensorSpec("uint8", (-1, 3), "a"), TensorSpec("float64", (-1,), "b")])
    assert infer_signature(pd.Series([1.5], name="y")).inputs == Schema([ColSpec("double", "y")])
    assert infer_signature([{"a": 1, "b": "x"}]).inputs == Schema(
        [ColSpec("long", "a"), ColSpec("string", "b")]
    )
    with pytest.raises(ValueError, match=r"column 'mixed'"):
        infer_signature(pd.DataFrame({"mixed": [1, "x"]}))


# -- column enforcement ------------------------------------------------------------------


def test_missing_required_column_is_named():
    with pytest.raises(InvalidInputError) as err:
        enforce_schema(pd.DataFrame({"a": [1], "c": [2]}), COLUMNS)
    assert str(err.value) == "Model is missing inputs ['b']. Note that there were extra inputs: ['c']."


def test_optional_column_may_be_absent_and_order_follows_the_schema():
    out = enforce_schema(pd.DataFrame({"b": [1.5], "a": [1]}), COLUMNS)
    assert list(out.columns) == ["a", "b"]
    out = enforce_schema(pd.DataFrame({"s": ["x"], "b": [1.5], "a": [1]}), COLUMNS)
    assert list(out.columns) == ["a", "b", "s"]


def test_extra_columns_are_dropped_with_a_warning(caplog):
    frame = pd.DataFrame({"a": [1], "b": [1.0], "zz_extra_for_warning": [0]})
    with caplog.at_level(logging.WARNING, logger="pyfunc_core.schema"):
        out = enforce_schema(frame, COLUMNS)
    assert list(out.columns) == ["a", "b"]
    assert "['zz_extra_for_warning']. These inputs will be ignored." in caplog.text


def test_int_to_float_is_allowed_float_to_int_is_refused():
    out = enforce_schema(pd.DataFrame({"a": np.array([1], dtype=np.int32), "b": [2]}), COLUMNS)
    assert out["a"].dtype == np.int64 and out["b"].dtype == np.float64
    with pytest.raises(InvalidInputError) as err:
        enforce_schema(pd.DataFrame({"a": [1.5], "b": [2.0]}), COLUMNS)
    assert str(err.value).startswith(
        "Incompatible input types for column a. Can not safely convert float64 to int64."
    )
    assert "declare it as double" in str(err.value)
    with pytest.raises(InvalidInputError, match=r"column b. Can not safely convert float64 to float32"):
        enforce_schema(pd.DataFrame({"b": [1.0]}), Schema([ColSpec("float", "b")]))


def test_string_binary_and_boolean_columns():
    out = enforce_schema(pd.DataFrame({"a": [1], "b": [1.0], "s": ["x"]}), COLUMNS)
    assert out["s"].tolist() == ["x"]
    with pytest.raises(InvalidInputError, match=r"column s. Can not safely convert int64 to string"):
        enforce_schema(pd.DataFrame({"a": [1], "b": [1.0], "s": [3]}), COLUMNS)
    mixed = pd.DataFrame({"s": pd.Series(["x", 3], dtype=object)})
    with pytest.raises(InvalidInputError, match=r"column s. Expected string values, got a int"):
        enforce_schema(mixed, Schema([ColSpec("string", "s")]))
    raw = Schema([ColSpec("binary", "r")])
    assert enforce_schema(pd.DataFrame({"r": [b"\x01"]}), raw)["r"].tolist() == [b"\x01"]
    flags = Schema([ColSpec("boolean", "f")])
    assert enforce_schema(pd.DataFrame({"f": [True, False]}), flags)["f"].dtype == bool
    with pytest.raises(InvalidInputError, match=r"column f. Can not safely convert int64 to boolean"):
        enforce_schema(pd.DataFrame({"f": [1]}), flags)


def test_datetime_columns_are_parsed():
    schema = Schema([ColSpec("datetime", "t")])
    out = enforce_schema(pd.DataFrame({"t": ["2024-01-02T03:04:05", "2024-02-01"]}), schema)
    assert out["t"].dtype == np.dtype("datetime64[ns]")
    assert out["t"][0] == pd.Timestamp("2024-01-02 03:04:05")
    with pytest.raises(InvalidInputError, match=r"column t. Can not convert to datetime"):
        enforce_schema(pd.DataFrame({"t": ["not a date"]}), schema)


def test_other_input_shapes_become_frames():
    schema = Schema([ColSpec("double", "x"), ColSpec("double", "y")])
    assert enforce_schema({"x": 1, "y": 2}, schema).to_dict("records") == [{"x": 1.0, "y": 2.0}]
    assert enforce_schema([{"x": 1, "y": 2}], schema)["y"].dtype == np.float64
    assert list(enforce_schema(np.ones((2, 2)), schema).columns) == ["x", "y"]
    with pytest.raises(InvalidInputError, match="declares 2 inputs but the provided value has 3 columns"):
        enforce_schema(np.ones((2, 3)), schema)
    single = Schema([ColSpec("long", "n")])
    assert enforce_schema([1, 2], single)["n"].tolist() == [1, 2]
    assert enforce_schema(pd.Series([4]), single)["n"].tolist() == [4]
    assert enforce_schema(pd.Series([5], name="n"), single)["n"].tolist() == [5]
    with pytest.raises(InvalidInputError, match="got str"):
        enforce_schema("text", schema)


def test_unnamed_columns_are_positional():
    schema = Schema([ColSpec("double"), ColSpec("long")])
    out = enforce_schema(pd.DataFrame([[1, 2]], columns=["p", "q"]), schema)
    assert list(out.columns) == ["p", "q"] and out["p"].dtype == np.float64
    with pytest.raises(InvalidInputError, match="declares 2 inputs but the provided value has 1 columns"):
        enforce_schema(pd.DataFrame({"p": [1]}), schema)


# -- tensor enforcement ------------------------------------------------------------------


def test_tensor_dtype_and_shape():
    schema = Schema([TensorSpec("float32", (-1, 2))])
    out = enforce_schema(np.array([[1, 2]], dtype=np.int16), schema)
    assert out.dtype == np.float32
    with pytest.raises(InvalidInputError) as err:
        enforce_schema(np.array([[1.0, 2.0]]), schema)
    assert str(err.value) == (
        "dtype of input input is float64, which does not match the expected dtype float32 "
        "and cannot be converted safely"
    )
    with pytest.raises(
        InvalidInputError, match=r"Shape of input input \(1, 3\) does not match expected shape \(-1, 2\)"
    ):
        enforce_schema(np.zeros((1, 3), dtype=np.float32), schema)
    with pytest.raises(InvalidInputError, match="not a rectangular tensor"):
        enforce_schema([[1, 2], [3]], schema)
    frame = pd.DataFrame([[1.0, 2.0]], dtype=np.float32)
    assert enforce_schema(frame, schema).shape == (1, 2)


def test_named_tensors():
    schema = Schema([TensorSpec("int64", (-1, 2), "ids"), TensorSpec("float64", (-1,), "w")])
    out = enforce_schema({"ids": [[1, 2]], "w": [0.5], "ignored": [1]}, schema)
    assert set(out) == {"ids", "w"} and out["ids"].dtype == np.int64
    with pytest.raises(InvalidInputError, match=r"Model is missing inputs \['w'\]"):
        enforce_schema({"ids": [[1, 2]]}, schema)
    with pytest.raises(InvalidInputError, match=r"Shape of input 'ids' \(1, 3\)"):
        enforce_schema({"ids": [[1, 2, 3]], "w": [0.5]}, schema)
    with pytest.raises(InvalidInputError, match="dtype of input 'ids' is float64"):
        enforce_schema({"ids": [[1.5, 2]], "w": [0.5]}, schema)
    frame = pd.DataFrame({"ids": [[1, 2], [3, 4]], "w": [0.1, 0.2]})
    assert enforce_schema(frame, schema)["ids"].shape == (2, 2)
    with pytest.raises(InvalidInputError, match="named tensors"):
        enforce_schema("nope", schema)


# -- params ------------------------------------------------------------------------------


def test_params_are_cast_defaulted_and_refused_by_name(caplog):
    schema = ParamSchema(
        [
            ParamSpec("t", "double", 1.0),
            ParamSpec("n", "long", 2),
            ParamSpec("on", "boolean", False),
            ParamSpec("since", "datetime"),
            ParamSpec("ids", "long", [1], shape=(-1,)),
        ]
    )
    assert enforce_params(None, schema) == {"t": 1.0, "n": 2, "on": False, "since": None, "ids": [1]}
    got = enforce_params({"t": 3, "n": 4.0, "since": "2024-01-02", "ids": np.array([5, 6]), "x": 1}, schema)
    assert got == {"t": 3.0, "n": 4, "on": False, "since": dt.datetime(2024, 1, 2), "ids": [5, 6]}
    assert "Ignoring params not declared in the model signature: ['x']" in caplog.text
    for params, name in [({"t": "hot"}, "t"), ({"n": 1.5}, "n"), ({"on": 1}, "on"), ({"ids": 5}, "ids")]:
        with pytest.raises(InvalidParameterError, match=f"param '{name}'"):
            enforce_params(params, schema)
    with pytest.raises(InvalidParameterError, match="params must be a mapping"):
        enforce_params(["t"], schema)
    assert enforce_params({"t": 1}, None) is None


def test_frames_narrow_floats_to_tensor_specs_as_mlflow_casts_them():
    # A DataFrame carries no tensor dtypes (from JSON: float64 and lists), so floats narrow.
    one = Schema([TensorSpec("float32", (-1, 2))])
    assert enforce_schema(pd.DataFrame([[1.0, 2.0]]), one).dtype == np.float32
    cells = pd.DataFrame({"x": [[1.0, 2.0], [3.0, 4.0]]})
    assert enforce_schema(cells, one).shape == (2, 2)
    named = Schema([TensorSpec("float32", (-1, 2), "a"), TensorSpec("int64", (-1,), "n")])
    out = enforce_schema(pd.DataFrame({"a": [[1.0, 2.0]], "n": [3]}), named)
    assert out["a"].dtype == np.float32 and out["n"].dtype == np.int64
    with pytest.raises(InvalidInputError, match="dtype of input 'n' is float64"):
        enforce_schema(pd.DataFrame({"a": [[1.0, 2.0]], "n": [3.5]}), named)
    with pytest.raises(InvalidInputError, match="dtype of input 'a' is <U"):
        enforce_schema(pd.DataFrame({"a": [["x", "y"]], "n": [3]}), named)
    with pytest.raises(InvalidInputError, match="dtype of input input is float64"):
        enforce_schema(np.array([[1.0, 2.0]]), one)  # arrays keep their dtype: no narrowing


def test_untyped_integers_narrow_only_when_every_value_fits():
    from pyfunc_core.schema.enforce import narrow_untyped_numbers

    ids = Schema([TensorSpec("int32", (-1, 2), "ids")])
    out = enforce_schema(pd.DataFrame({"ids": [[1, 2], [3, 4]]}), ids)
    assert out["ids"].dtype == np.int32
    with pytest.raises(InvalidInputError, match="dtype of input 'ids' is int64"):
        enforce_schema(pd.DataFrame({"ids": [[1, 2**40]]}), ids)
    assert narrow_untyped_numbers(np.array([300]), "uint8").dtype == np.int64  # does not fit: unchanged
    assert narrow_untyped_numbers(np.array([1.5]), "int32").dtype == np.float64  # never float -> int
