"""Codecs: MLflow's request formats in, MLflow's response bytes out."""

from __future__ import annotations

import datetime as dt
import io
import json

import numpy as np
import pandas as pd
import pytest

from pyfunc_core.codecs import decode_request, find_codec, parse_content_type, predictions_to_json
from pyfunc_core.errors import InvalidInputError, UnsupportedContentTypeError
from pyfunc_core.plugins import Plugins
from pyfunc_core.schema import ColSpec, Schema, TensorSpec

JSON = "application/json"
DOUBLES = Schema([ColSpec("double", "a"), ColSpec("double", "b")])
LONG_TEXT = Schema([ColSpec("long", "a"), ColSpec("string", "b")])
TENSORS = Schema([TensorSpec("float32", (-1, 2), "x"), TensorSpec("int64", (-1,), "y")])
ONE_TENSOR = Schema([TensorSpec("float32", (-1, 2))])


@pytest.fixture(scope="module")
def codecs():
    return Plugins().load(entry_points=False).codecs


def decode(codecs, payload, schema=None, content_type=JSON):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return decode_request(codecs, content_type, body, schema)[1]


# -- every JSON format, with and without params and schema -------------------------------


@pytest.mark.parametrize("schema", [None, DOUBLES, LONG_TEXT])
@pytest.mark.parametrize("params", [None, {"k": 1}])
def test_dataframe_split(codecs, schema, params):
    payload = {"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3, 4]]}}
    if params is not None:
        payload["params"] = params
    request = decode(codecs, payload, schema)
    assert request.params == params
    assert list(request.data.columns) == ["a", "b"]
    assert request.data.to_numpy().tolist() == [[1, 2], [3, 4]]
    if schema is DOUBLES:
        assert set(request.data.dtypes) == {np.dtype("float64")}  # one block, no per-column inference


def test_dataframe_split_with_index_and_without_columns(codecs):
    payload = {"dataframe_split": {"columns": ["a"], "data": [[1], [2]], "index": [10, 20]}}
    frame = decode(codecs, payload).data
    assert frame.index.tolist() == [10, 20] and frame["a"].tolist() == [1, 2]
    no_columns = decode(codecs, {"dataframe_split": {"data": [[1.5, 2.5]]}}, DOUBLES).data
    assert list(no_columns.columns) == ["a", "b"]
    flat = decode(codecs, {"dataframe_split": {"columns": ["a"], "data": [1, 2]}}).data
    assert flat["a"].tolist() == [1, 2]


@pytest.mark.parametrize("schema", [None, DOUBLES])
@pytest.mark.parametrize("params", [None, {"k": "v"}])
def test_dataframe_records(codecs, schema, params):
    payload = {"dataframe_records": [{"a": 1, "b": 2}, {"b": 4, "a": 3}]}
    if params is not None:
        payload["params"] = params
    request = decode(codecs, payload, schema)
    assert request.params == params
    assert request.data[["a", "b"]].to_numpy().tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("key", ["instances", "inputs"])
@pytest.mark.parametrize("params", [None, {"k": [1, 2]}])
def test_tf_serving_arrays(codecs, key, params):
    payload = {key: [[1.5, 2.5], [3.5, 4.5]], **({"params": params} if params else {})}
    request = decode(codecs, payload)
    assert request.params == params
    assert isinstance(request.data, np.ndarray) and request.data.dtype == np.float64
    with_schema = decode(codecs, payload, ONE_TENSOR).data
    assert with_schema.dtype == np.float32


def test_instances_list_of_dicts_and_inputs_dict(codecs):
    instances = {"instances": [{"x": [1, 2], "y": 1}, {"x": [3, 4], "y": 2}]}
    data = decode(codecs, instances, TENSORS).data
    assert data["x"].dtype == np.float32 and data["x"].shape == (2, 2)
    assert data["y"].tolist() == [1, 2]
    inputs = decode(codecs, {"inputs": {"x": [[1.0, 2.0]], "y": [7]}, "params": {"p": 1}})
    assert set(inputs.data) == {"x", "y"} and inputs.params == {"p": 1}
    assert decode(codecs, {"instances": [{"a": 1}, {"a": 2}]}).data["a"].tolist() == [1, 2]


def test_csv(codecs):
    body = b"a,b\n1,x\n2,y\n"
    frame = decode(codecs, body, content_type="text/csv").data
    assert frame.to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}
    typed = decode(codecs, b"a,b\n1,2\n", DOUBLES, content_type="text/csv").data
    assert set(typed.dtypes) == {np.dtype("float64")}
    text = decode(codecs, b"a,b\n1,007\n", LONG_TEXT, content_type="text/csv; charset=utf-8").data
    assert text["b"].tolist() == ["007"]  # string columns keep their text


def test_parquet(codecs):
    pytest.importorskip("pyarrow")
    buffer = io.BytesIO()
    pd.DataFrame({"a": [1.0, 2.0], "s": ["x", "y"]}).to_parquet(buffer)
    frame = decode(codecs, buffer.getvalue(), content_type="application/vnd.apache.parquet").data
    assert frame.to_dict("list") == {"a": [1.0, 2.0], "s": ["x", "y"]}
    with pytest.raises(InvalidInputError, match="Failed to read the body as a Parquet file"):
        decode(codecs, b"PAR1 but not really", content_type="application/x-parquet")


# -- content types -----------------------------------------------------------------------


def test_content_type_parsing(codecs):
    assert parse_content_type('application/JSON; charset="UTF-8"') == (
        "application/json",
        {"charset": "UTF-8"},
    )
    assert parse_content_type(None) == ("", {})
    codec, params = find_codec(codecs, "application/json; charset=utf-8")
    assert codec.name == "json" and params == {"charset": "utf-8"}
    assert find_codec(codecs, "TEXT/CSV")[0].name == "csv"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("application/json; charset=latin-1", "The scoring server only supports UTF-8"),
        ("application/json; format=pandas-split", "Unrecognized content type parameters: format."),
        ("application/vnd.apache.parquet; charset=utf-8", "Unrecognized content type parameters: charset."),
        ("text/plain", "This predictor only supports the following content types: "),
        (None, "Got ''."),
    ],
)
def test_unsupported_content_types_are_415(codecs, header, message):
    with pytest.raises(UnsupportedContentTypeError) as err:
        decode_request(codecs, header, b"{}")
    assert message in str(err.value)
    assert err.value.http_status == 415
    assert err.value.to_dict() == {"error_code": "UNSUPPORTED_MEDIA_TYPE", "message": str(err.value)}


# -- malformed payloads ------------------------------------------------------------------

MALFORMED = [
    (b'{"inputs": [1, 2', "Invalid input. Ensure that input is a valid JSON formatted string. Error: "),
    (b"\xff\xfe", "Invalid input. Ensure that input is a valid JSON formatted string."),
    (
        b"[1, 2]",
        "exactly one of the input fields {'dataframe_split', 'dataframe_records', 'instances', 'inputs'}. Received a list.",
    ),
    (b'"text"', "Received unexpected input type 'str'."),
    (b'{"data": [1]}', "Received dictionary with input fields: ['data']."),
    (b'{"inputs": [1], "instances": [1]}', "Received dictionary with input fields: ['inputs', 'instances']."),
    (b'{"inputs": [1], "params": [1]}', "'params' must be a JSON object, got list"),
    (
        b'{"dataframe_split": [[1]]}',
        "dataframe_split must be a JSON object with 'columns' and 'data', got list",
    ),
    (b'{"dataframe_split": {"data": [[1]], "rows": 1}}', "dataframe_split has unexpected keys ['rows']"),
    (b'{"dataframe_split": {"columns": ["a"]}}', "dataframe_split is missing its 'data' field"),
    (b'{"dataframe_split": {"data": {"a": 1}}}', "dataframe_split 'data' must be a list of rows"),
    (
        b'{"dataframe_split": {"columns": "a", "data": [[1]]}}',
        "dataframe_split 'columns' must be a list of names",
    ),
    (
        b'{"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}',
        "Failed to build a DataFrame from dataframe_split: ",
    ),
    (b'{"dataframe_records": {"a": 1}}', "dataframe_records must be a list of JSON objects (one per row)"),
    (b'{"dataframe_records": [1, 2]}', "dataframe_records must be a list of JSON objects (one per row)"),
    (b'{"instances": {"a": 1}}', "'instances' must be a list"),
    (b'{"instances": [{"a": 1}, {"b": 2}]}', "The input 'instances' must list objects with the same keys"),
    (
        b'{"instances": [[1, 2], [3]]}',
        "Failed to parse data as TF serving input: 'instances' is not a rectangular array",
    ),
    (
        b'{"inputs": [[1, 2], [3]]}',
        "Failed to parse data as TF serving input: 'inputs' is not a rectangular array",
    ),
    (
        b'{"inputs": {"a": [[1], [2, 3]]}}',
        "Failed to parse data as TF serving input: 'a' is not a rectangular array",
    ),
]


@pytest.mark.parametrize(("body", "message"), MALFORMED, ids=[m[1][:40] for m in MALFORMED])
def test_malformed_json_payloads(codecs, body, message):
    with pytest.raises(InvalidInputError) as err:
        decode(codecs, body)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
    assert err.value.to_dict()["error_code"] == "BAD_REQUEST" and err.value.http_status == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b"a,b\n1,2\n1,2,3,4\n",
            "Error: 'Error tokenizing data. C error: Expected 2 fields in line 3, saw 4'",
        ),
        (b"", "Error: 'No columns to parse from file'"),
        (b"a,b\n\xff,1\n", "'utf-8' codec can't decode byte 0xff"),
    ],
)
def test_malformed_csv(codecs, body, message):
    with pytest.raises(InvalidInputError) as err:
        decode(codecs, body, content_type="text/csv")
    assert str(err.value).startswith(
        "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid"
    )
    assert message in str(err.value)


def test_csv_value_that_does_not_fit_the_schema(codecs):
    with pytest.raises(InvalidInputError, match="Failed to parse input as a Pandas DataFrame"):
        decode(codecs, b"a,b\nx,2\n", DOUBLES, content_type="text/csv")


# -- encoding: the bytes MLflow's scoring server writes -----------------------------------

ENCODED = [
    (np.array([[1, 2], [3, 4]]), b'{"predictions": [[1, 2], [3, 4]]}'),
    (np.array([0.5, np.nan, np.inf]), b'{"predictions": [0.5, NaN, Infinity]}'),
    (np.array([1.1], dtype=np.float32), b'{"predictions": [1.100000023841858]}'),
    (np.array(["a", "b"]), b'{"predictions": ["a", "b"]}'),
    (np.array([True, False]), b'{"predictions": [true, false]}'),
    ([1, "two", None], b'{"predictions": [1, "two", null]}'),
    (
        pd.DataFrame({"a": [1, 2], "b": [0.5, np.nan]}),
        b'{"predictions": [{"a": 1, "b": 0.5}, {"a": 2, "b": NaN}]}',
    ),
    (pd.DataFrame({"p": [0.25, 0.75]}), b'{"predictions": [{"p": 0.25}, {"p": 0.75}]}'),
    (
        pd.DataFrame({"s": ["x", "y"], "n": [1, 2]}),
        b'{"predictions": [{"s": "x", "n": 1}, {"s": "y", "n": 2}]}',
    ),
    (
        pd.DataFrame({"t": pd.to_datetime(["2024-01-02 03:04:05", "2024-01-03 00:00:00"])}),
        b'{"predictions": [{"t": "2024-01-02T03:04:05"}, {"t": "2024-01-03T00:00:00"}]}',
    ),
    (pd.Series([1, 2], name="y"), b'{"predictions": [{"y": 1}, {"y": 2}]}'),
    (pd.Series([0.5, 1.5]), b'{"predictions": [{"0": 0.5}, {"0": 1.5}]}'),
    ({"a": np.array([1, 2]), "b": np.array([[0.5]])}, b'{"predictions": {"a": [1, 2], "b": [[0.5]]}}'),
    (np.int64(7), b'{"predictions": 7}'),
    (np.float32(0.5), b'{"predictions": 0.5}'),
    (np.bool_(True), b'{"predictions": true}'),
    ({"n": np.float64("nan")}, b'{"predictions": {"n": NaN}}'),
    (
        [dt.datetime(2024, 1, 2, 3, 4, 5), dt.date(2024, 1, 2)],
        b'{"predictions": ["2024-01-02T03:04:05", "2024-01-02"]}',
    ),
    ([pd.Timestamp("2024-01-02")], b'{"predictions": ["2024-01-02T00:00:00"]}'),
    ("caf\u00e9 \u2713", b'{"predictions": "caf\\u00e9 \\u2713"}'),
    (b"\x00\x01binary", b'{"predictions": "AAFiaW5hcnk=\\n"}'),
]


@pytest.mark.parametrize(("predictions", "expected"), ENCODED, ids=[e[1].decode()[:40] for e in ENCODED])
def test_predictions_to_json_matches_mlflow_bytes(predictions, expected):
    assert predictions_to_json(predictions) == expected


def test_codec_encode_uses_the_same_bytes(codecs):
    codec, _ = find_codec(codecs, JSON)
    assert codec.encode(np.array([1.0])) == b'{"predictions": [1.0]}'


@pytest.mark.parametrize("key", ["instances", "inputs"])
def test_bare_array_for_one_named_tensor_takes_its_dtype(codecs, key):
    one_named = Schema([TensorSpec("float32", (-1, 2), "x")])
    data = decode(codecs, {key: [[1.5, 2.5], [3.5, 4.5]]}, one_named).data
    assert isinstance(data, np.ndarray) and data.dtype == np.float32
    assert decode(codecs, {key: [[1.5, 2.5]]}, TENSORS).data.dtype == np.float64  # ambiguous: left as is


def test_json_integers_take_a_narrower_integer_tensor_type_when_they_fit(codecs):
    ids = Schema([TensorSpec("int32", (-1, 2), "ids")])
    assert decode(codecs, {"inputs": {"ids": [[1, 2]]}}, ids).data["ids"].dtype == np.int32
    assert decode(codecs, {"inputs": {"ids": [[1, 2**40]]}}, ids).data["ids"].dtype == np.int64


def test_a_numeric_frame_in_schema_order_passes_enforcement_as_it_is(codecs):
    """The hot path: one float64 block labelled with the schema's own Index, returned unchanged
    by enforcement; any other order, width or dtype still goes through the column checks."""
    from pyfunc_core.schema.enforce import enforce_schema

    schema = Schema([ColSpec("double", "a"), ColSpec("double", "b")])
    same = decode(codecs, {"dataframe_split": {"columns": ["a", "b"], "data": [[1.5, 2.0]]}}, schema).data
    assert same.columns is schema.input_index()
    assert enforce_schema(same, schema) is same
    swapped = decode(codecs, {"dataframe_split": {"columns": ["b", "a"], "data": [[2.0, 1.5]]}}, schema).data
    enforced = enforce_schema(swapped, schema)
    assert list(enforced.columns) == ["a", "b"] and enforced.to_numpy().tolist() == [[1.5, 2.0]]
    ints = pd.DataFrame({"a": [1], "b": [2]})
    assert enforce_schema(ints, schema).dtypes.tolist() == [np.float64, np.float64]
    with pytest.raises(InvalidInputError, match="missing inputs"):
        enforce_schema(pd.DataFrame({"a": [1.0]}), schema)
