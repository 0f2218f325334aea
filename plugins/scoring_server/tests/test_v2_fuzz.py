"""Property-based fuzzing of the V2 (Open Inference Protocol) decoder, in-process.

Any body is decoded and the signature applied as the server does; the property: a model
input, or a ``PyfuncError`` that maps to a 4xx, never another exception. Bounded for CI
(fixed seed); ``PYFUNC_FUZZ_EXAMPLES=2000`` explores further with random seeds.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any

import numpy as np
import pytest

pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyfunc_core.errors import PyfuncError
from pyfunc_core.schema import ColSpec, Schema, TensorSpec
from pyfunc_core.schema.enforce import enforce_schema
from pyfunc_scoring_server.protocols.v2_codec import DATATYPES, check_content_type, decode_infer_request

EXPLORE = int(os.environ.get("PYFUNC_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=EXPLORE or 300,
    deadline=None,
    derandomize=not EXPLORE,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

#: Bodies that were refused (one of our errors), for the count in the test report.
REFUSED: set[bytes] = set()


@pytest.fixture(scope="module", autouse=True)
def report_refused() -> Any:
    yield
    print(f"\n[v2 fuzz] {len(REFUSED)} distinct refused bodies")


SCHEMAS = {
    "none": None,
    "columns": Schema([ColSpec("double", "a"), ColSpec("double", "b")]),
    "text": Schema([ColSpec("string", "text"), ColSpec("long", "n")]),
    "tensor": Schema([TensorSpec(np.dtype("float32"), (-1, 3))]),
    "named": Schema(
        [TensorSpec(np.dtype("int64"), (-1,), "a"), TensorSpec(np.dtype("float64"), (-1, 2), "b")]
    ),
}
NAMES = st.sampled_from(["a", "b", "text", "n", "x", "", "a" * 300])
SMALL = st.one_of(
    st.integers(-3, 3),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.sampled_from(["x", "aGk=", "not base64!", ""]),
)
JSON = st.recursive(
    SMALL,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(NAMES, inner, max_size=2)),
    max_leaves=10,
)
DATA = st.one_of(
    st.lists(SMALL, max_size=6),
    st.lists(st.lists(SMALL, min_size=1, max_size=3), max_size=3),
    st.lists(st.one_of(SMALL, st.lists(SMALL, max_size=2)), max_size=4),
    JSON,
)
SHAPES = st.one_of(
    st.lists(st.integers(0, 4), max_size=3),
    st.lists(st.one_of(st.integers(-2, 2**40), st.booleans(), st.floats(0, 3)), max_size=4),
    JSON,
)
DATATYPE = st.one_of(st.sampled_from(sorted(DATATYPES)), st.sampled_from(["", "fp64", "FLOAT"]), JSON)
TENSOR = st.fixed_dictionaries(
    {"name": st.one_of(NAMES, JSON), "datatype": DATATYPE, "shape": SHAPES, "data": DATA},
    optional={"parameters": st.one_of(st.fixed_dictionaries({"content_type": st.one_of(
        st.sampled_from(["str", "base64", "np", "pd"]), JSON)}), JSON)},
)  # fmt: skip
PAYLOAD = st.fixed_dictionaries(
    {"inputs": st.one_of(st.lists(TENSOR, min_size=1, max_size=3), JSON)},
    optional={
        "parameters": st.one_of(
            st.fixed_dictionaries({"content_type": st.sampled_from(["pd", "np", "x"])}, optional={"k": JSON}),
            JSON,
        ),
        "outputs": st.one_of(st.lists(st.fixed_dictionaries({"name": NAMES}), max_size=2), JSON),
        "id": st.one_of(st.text(max_size=5), JSON),
    },
)


def nested(depth: int) -> str:
    return "[" * depth + '"x"' + "]" * depth


def decode_and_enforce(body: bytes, schema: Schema | None, header_length: str | None = None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        warnings.simplefilter("error", DeprecationWarning)
        try:
            request = decode_infer_request(body, schema, header_length)
            if schema is not None:
                enforce_schema(request.data, schema)
        except PyfuncError as exc:
            assert exc.http_status < 500, exc
            assert len(exc.message.encode()) < 1000, exc.message
            REFUSED.add(body)


@FUZZ
@given(payload=PAYLOAD, schema=st.sampled_from(sorted(SCHEMAS)))
def test_v2_requests(payload: Any, schema: str) -> None:
    decode_and_enforce(json.dumps(payload).encode(), SCHEMAS[schema])


@settings(FUZZ, max_examples=EXPLORE or 60)
@given(
    depth=st.one_of(st.integers(960, 1030), st.integers(1, 1400)),  # around the parsers' limits
    datatype=st.sampled_from(["BYTES", "FP64", "INT8"]),
    schema=st.sampled_from(sorted(SCHEMAS)),
)
def test_v2_deep_nesting(depth: int, datatype: str, schema: str) -> None:
    body = (
        '{"inputs": [{"name": "a", "datatype": "'
        + datatype
        + '", "shape": [1], "data": '
        + nested(depth)
        + "}]}"
    )
    decode_and_enforce(body.encode(), SCHEMAS[schema])


@settings(FUZZ, max_examples=EXPLORE or 100)
@given(
    header=st.one_of(st.none(), st.text(max_size=40), st.sampled_from(["application/json; charset=utf-8"]))
)
def test_v2_content_types(header: Any) -> None:
    try:
        check_content_type(header)
    except PyfuncError as exc:
        assert exc.http_status == 415


BINARY_SIZE = st.one_of(st.integers(0, 64), st.integers(-5, 2**70), st.booleans(), st.floats(0, 9), JSON)
BINARY_TENSOR = st.fixed_dictionaries(
    {"name": NAMES, "datatype": DATATYPE, "shape": SHAPES},
    optional={
        "parameters": st.one_of(
            st.fixed_dictionaries(
                {"binary_data_size": BINARY_SIZE},
                optional={"content_type": st.sampled_from(["str", "base64", "bytes", "np"])},
            ),
            JSON,
        ),
        "data": DATA,
    },
)
LENGTH_PREFIXED = st.lists(st.binary(max_size=6), max_size=4).map(
    lambda items: b"".join(len(v).to_bytes(4, "little") + v for v in items)
)


@settings(FUZZ, max_examples=EXPLORE or 300)
@given(
    inputs=st.lists(BINARY_TENSOR, min_size=1, max_size=3),
    tail=st.one_of(st.binary(max_size=80), LENGTH_PREFIXED, st.just(np.arange(6.0).tobytes())),
    header=st.one_of(
        st.just("exact"),
        st.integers(-3, 400).map(str),
        st.sampled_from(["", " 12", "1e3", "0x10", "99999999999999999999999", "-0", "\u0661"]),
    ),
    extra=st.fixed_dictionaries({}, optional={"parameters": st.one_of(
        st.fixed_dictionaries({"binary_data_output": st.one_of(st.booleans(), JSON)}), JSON)}),
    schema=st.sampled_from(sorted(SCHEMAS)),
)  # fmt: skip
def test_v2_binary_bodies(inputs: Any, tail: bytes, header: str, extra: Any, schema: str) -> None:
    """Hostile binary-extension bodies: sizes that do not add up, a header length past the
    body (or huge, or not a number), BYTES elements that run past their data."""
    head = json.dumps({"inputs": inputs, **extra}).encode()
    length = str(len(head)) if header == "exact" else header
    decode_and_enforce(head + tail, SCHEMAS[schema], length)
