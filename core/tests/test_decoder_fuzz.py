"""Property-based fuzzing of every request decoder: any body is a result or one of our errors.

Each decoder (MLflow's four JSON formats with and without a signature, both the small-body
path and the >= 64 KiB numeric path, CSV, Parquet) is fed generated bodies, then the signature
is applied as the server applies it. The property: the result is a model input, or the
exception is a ``PyfuncError`` that maps to a 4xx, never anything else (a ``RuntimeError``
from a parser, pandas' ``ValueError``, a ``RecursionError``, a pandas deprecation warning).

Bounded for CI (``max_examples`` per test, a fixed seed); ``PYFUNC_FUZZ_EXAMPLES=2000``
explores further with random seeds.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pyfunc_core.codecs import decode_request, json_numeric  # noqa: E402
from pyfunc_core.codecs.json_codec import decode_json_payload, parse_json  # noqa: E402
from pyfunc_core.errors import PyfuncError  # noqa: E402
from pyfunc_core.plugins import Plugins  # noqa: E402
from pyfunc_core.schema import ColSpec, ParamSchema, ParamSpec, Schema, TensorSpec  # noqa: E402
from pyfunc_core.schema.enforce import enforce_params, enforce_schema  # noqa: E402

EXPLORE = int(os.environ.get("PYFUNC_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=EXPLORE or 300,
    deadline=None,
    derandomize=not EXPLORE,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
FEW = settings(FUZZ, max_examples=EXPLORE or 80)

SCHEMAS = {
    "none": None,
    "doubles": Schema([ColSpec("double", "a"), ColSpec("double", "b")]),
    "longs": Schema([ColSpec("long", "a"), ColSpec("long", "b")]),
    "mixed": Schema([ColSpec("long", "a"), ColSpec("string", "b"), ColSpec("boolean", "c", required=False)]),
    "dates": Schema([ColSpec("datetime", "t"), ColSpec("binary", "raw")]),
    "unnamed": Schema([ColSpec("double"), ColSpec("double")]),
    "tensor": Schema([TensorSpec(np.dtype("float32"), (-1, 3))]),
    "named-tensors": Schema(
        [TensorSpec(np.dtype("float64"), (-1, 2), "x"), TensorSpec(np.dtype("int32"), (-1,), "y")]
    ),
}
PARAMS = ParamSchema([ParamSpec("k", "double", 1.0), ParamSpec("ids", "long", [1], shape=(-1,))])

#: Bodies that were refused (one of our errors), for the count in the test report.
REFUSED: set[bytes] = set()


@pytest.fixture(scope="module")
def codecs() -> Any:
    return Plugins().load(entry_points=False).codecs


@pytest.fixture(scope="module", autouse=True)
def report_refused() -> Any:
    yield
    print(f"\n[decoder fuzz] {len(REFUSED)} distinct refused bodies")


def decode_and_enforce(codecs: Any, content_type: str, body: bytes, schema: Schema | None) -> Any:
    """What the server does before calling the model; returns None when refused (our error)."""
    with warnings.catch_warnings():
        # a pandas deprecation on the decoding path would be a future exception: fail on it
        warnings.simplefilter("error", FutureWarning)
        warnings.simplefilter("error", DeprecationWarning)
        # pandas < 2.0.3 calls this on numpy >= 1.25; those pandas releases will not change
        warnings.filterwarnings("ignore", "np.find_common_type is deprecated", DeprecationWarning)
        try:
            request = decode_request(codecs, content_type, body, schema, PARAMS)[1]
            data = request.data if schema is None else enforce_schema(request.data, schema)
            enforce_params(request.params, PARAMS)
            return data
        except PyfuncError as exc:
            assert exc.http_status < 500, exc
            assert "Traceback" not in exc.message
            REFUSED.add(body)
            return None


# -- JSON values ---------------------------------------------------------------------------

NAMES = st.sampled_from(["a", "b", "c", "t", "raw", "x", "y", "k", "ids", "", "a" * 300, "é", "\u2028"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["2024-01-02", "2024-01-02T03:04:05", "aGk=", "1e999", "NaN"]),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(NAMES, inner, max_size=4)),
    max_leaves=20,
)
SMALL = st.one_of(st.integers(-3, 3), st.floats(-2, 2, allow_nan=False), st.booleans(), st.none(), NAMES)
ROWS = st.one_of(
    st.lists(st.lists(SMALL, min_size=1, max_size=3), min_size=1, max_size=4),  # rectangular or ragged
    st.lists(st.one_of(SMALL, st.lists(SMALL, max_size=3)), max_size=4),  # rows and scalars mixed
    st.lists(st.lists(SCALARS, max_size=4), max_size=5),
    JSON_VALUES,
)
LABELS = st.one_of(
    st.lists(NAMES, min_size=1, max_size=4),
    st.lists(
        st.one_of(NAMES, SMALL, st.lists(NAMES, max_size=2), st.dictionaries(NAMES, SMALL, max_size=1)),
        max_size=4,
    ),
    JSON_VALUES,
)
SPLIT = st.fixed_dictionaries(
    {"data": ROWS},
    optional={"columns": LABELS, "index": st.one_of(st.lists(st.integers(0, 5), max_size=5), LABELS)},
)
RECORDS = st.one_of(
    st.lists(st.dictionaries(NAMES, SMALL, max_size=4), min_size=1, max_size=4),
    st.lists(st.one_of(st.dictionaries(NAMES, JSON_VALUES, max_size=3), SMALL), max_size=4),
    JSON_VALUES,
)
TF = st.one_of(
    st.lists(st.lists(SMALL, max_size=4), max_size=4),
    st.dictionaries(NAMES, st.lists(st.one_of(SMALL, st.lists(SMALL, max_size=3)), max_size=4), max_size=3),
    st.lists(st.dictionaries(NAMES, st.one_of(SMALL, st.lists(SMALL, max_size=3)), max_size=3), max_size=3),
    JSON_VALUES,
)
PARAM_VALUES = st.one_of(
    st.dictionaries(st.sampled_from(["k", "ids", "other"]), JSON_VALUES, max_size=3), JSON_VALUES
)
FORMATS = {
    "dataframe_split": st.one_of(SPLIT, JSON_VALUES),
    "dataframe_records": RECORDS,
    "instances": TF,
    "inputs": TF,
}


def nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


# Raw texts no JSON encoder writes: deep nesting, integers past 64 bits, a BOM, bad bytes.
RAW_JSON = st.one_of(
    st.builds(
        lambda d: '{"dataframe_split": {"columns": ["a"], "data": ' + nested(d) + "}}", st.integers(1, 1400)
    ),
    st.builds(lambda d: '{"inputs": ' + nested(d) + "}", st.integers(1, 1400)),
    st.builds(
        lambda n: '{"dataframe_split": {"columns": ["a", "b"], "data": [[1, ' + str(n) + "]]}}",
        st.integers(min_value=2**63 - 2, max_value=2**200),
    ),
    st.sampled_from(
        [
            '{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}',
            "",
            "null",
            "[]",
            "{}",
            '{"inputs": NaN}',
            '{"inputs": [Infinity]}',
            '{"a": 1, "a": 2}',
        ]
    ),
)


@FUZZ
@given(data=st.data(), schema=st.sampled_from(sorted(SCHEMAS)), bom=st.booleans())
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_json_formats(codecs: Any, fmt: str, data: Any, schema: str, bom: bool) -> None:
    payload = {fmt: data.draw(FORMATS[fmt], label=fmt)}
    if data.draw(st.booleans(), label="with params"):
        payload["params"] = data.draw(PARAM_VALUES, label="params")
    if data.draw(st.integers(0, 9), label="extra key") == 0:
        payload[data.draw(NAMES, label="key")] = 1
    body = (b"\xef\xbb\xbf" if bom else b"") + json.dumps(payload).encode()
    decode_and_enforce(codecs, "application/json", body, SCHEMAS[schema])


@FEW
@given(payload=JSON_VALUES, schema=st.sampled_from(sorted(SCHEMAS)))
def test_any_json_value(codecs: Any, payload: Any, schema: str) -> None:
    decode_and_enforce(codecs, "application/json", json.dumps(payload).encode(), SCHEMAS[schema])


@FEW
@given(text=RAW_JSON, schema=st.sampled_from(sorted(SCHEMAS)))
def test_raw_json_texts(codecs: Any, text: str, schema: str) -> None:
    decode_and_enforce(codecs, "application/json", text.encode(), SCHEMAS[schema])


@FEW
@given(body=st.binary(max_size=64), schema=st.sampled_from(["none", "doubles"]))
def test_arbitrary_bytes_as_json(codecs: Any, body: bytes, schema: str) -> None:
    decode_and_enforce(codecs, "application/json", body, SCHEMAS[schema])


# -- the >= 64 KiB numeric path agrees with the general one --------------------------------

# What a hostile row can be, spliced into a large all-float dataframe_split body.
ODD_ROWS = st.one_of(
    st.builds(lambda d: nested(d, "1.5"), st.integers(1, 1300)),
    st.builds(lambda n: f"[1.5, {n}]", st.integers(min_value=2**63 - 2, max_value=2**200)),
    st.builds(lambda n: f"[1.5, {-n}]", st.integers(min_value=2**63 - 2, max_value=2**200)),
    st.sampled_from(
        [
            "[true, 1.5]",
            "[null, 1.5]",
            '["1", 1.5]',
            "[1.5]",
            "[1.5, 2, 3]",
            "[]",
            "{}",
            "1.5",
            "[1e999, 1]",
            "[[1.5, 2]]",
            '[1.5, "\\u0031"]',
            "[-0.0, 1E+2]",
            "[1.5, 2.5]",
        ]
    ),
)


@FEW
@given(odd=ODD_ROWS, where=st.floats(0, 1), columns=st.sampled_from(['"a", "b"', '"b", "a"', '"a", "c"']))
def test_large_numeric_bodies_agree_with_the_general_path(
    codecs: Any, odd: str, where: float, columns: str
) -> None:
    rows = ["[1.25, 2.5]"] * (json_numeric.MIN_BODY // 10)
    rows.insert(int(where * len(rows)), odd)
    body = ('{"dataframe_split": {"columns": [' + columns + '], "data": [' + ", ".join(rows) + "]}}").encode()
    assert len(body) >= json_numeric.MIN_BODY
    schema = SCHEMAS["doubles"]
    large = decode_and_enforce(codecs, "application/json", body, schema)
    try:  # the same body through the general decoder alone
        general = enforce_schema(decode_json_payload(parse_json(body), schema).data, schema)
    except PyfuncError:
        general = None
    assert (large is None) == (general is None), odd[:80]
    if large is not None:
        pd.testing.assert_frame_equal(large, general)


# -- CSV and Parquet -----------------------------------------------------------------------

CSV_PIECES = st.sampled_from(["a", "b", "c", ",", ",", "\n", "\n", "\r\n", '"', "1", "2.5", "-3", "x",
                              " ", "true", "NaN", "1e999", "é", "\ufeff", "\x00"])  # fmt: skip


@FUZZ
@given(
    header=st.sampled_from(["a,b\n", "b,a\n", "a\n", "a,b,c\n", "", "a,a\n"]),
    pieces=st.lists(CSV_PIECES, max_size=40),
    schema=st.sampled_from(["none", "doubles", "longs", "mixed", "dates", "tensor"]),
)
def test_csv(codecs: Any, header: str, pieces: list[str], schema: str) -> None:
    body = (header + "".join(pieces)).encode("utf-8", "surrogatepass")
    decode_and_enforce(codecs, "text/csv", body, SCHEMAS[schema])


def _parquet(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, version="2.6")  # pyarrow < 13 writes 2.4, which has no nanosecond timestamps
    return buf.getvalue()


COLUMNS = st.sampled_from(
    [
        [1.5, 2.5],
        [1, 2],
        [True, False],
        ["x", "y"],
        [None, 1.0],
        [b"ab", b"c"],
        [pd.Timestamp(0), pd.Timestamp(1)],
    ]
)


@FEW
@given(
    names=st.lists(st.sampled_from(["a", "b", "c", "t"]), min_size=1, max_size=3, unique=True),
    values=st.lists(COLUMNS, min_size=3, max_size=3),
    cut=st.one_of(st.none(), st.integers(0, 400)),
    flip=st.one_of(st.none(), st.integers(0, 400)),
    schema=st.sampled_from(["none", "doubles", "mixed", "dates"]),
)
def test_parquet(
    codecs: Any, names: list[str], values: list[list[Any]], cut: Any, flip: Any, schema: str
) -> None:
    pytest.importorskip("pyarrow")
    body = bytearray(_parquet(pd.DataFrame(dict(zip(names, values)))))
    if flip is not None and flip < len(body):
        body[flip] ^= 0xFF
    if cut is not None:
        body = body[:cut]
    decode_and_enforce(codecs, "application/vnd.apache.parquet", bytes(body), SCHEMAS[schema])
