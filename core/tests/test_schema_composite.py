"""Array, Object, Map and Any column types: MLflow's JSON read and written byte for byte,
optional columns and properties, and values checked with one clear error each."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pyfunc_core.errors import InvalidInputError
from pyfunc_core.schema import ColSpec, ModelSignature, Schema, enforce_schema
from pyfunc_core.schema.composite import AnyType, Array, Map, Object, Property

#: Shaped as MLflow 3.17 writes a chat request (properties sorted, "required" on every field).
CHAT_INPUTS = json.dumps(
    [
        {"type": "array", "items": {"type": "object", "properties": {
            "content": {"type": "string", "required": False},
            "role": {"type": "string", "required": True},
            "tool_calls": {"type": "array", "items": {"type": "object", "properties": {
                "function": {"type": "object", "properties": {
                    "arguments": {"type": "string", "required": True},
                    "name": {"type": "string", "required": True}}, "required": True},
                "id": {"type": "string", "required": True}}}, "required": False}}},
         "name": "messages", "required": True},
        {"type": "double", "name": "temperature", "required": False},
        {"type": "map", "values": {"type": "any"}, "name": "custom_inputs", "required": False},
        {"type": "array", "items": {"type": "string"}, "name": "stop", "required": False},
    ]
)  # fmt: skip


def test_mlflow_json_round_trips_exactly() -> None:
    schema = Schema.from_json(CHAT_INPUTS)
    assert schema.to_json() == CHAT_INPUTS
    assert schema.has_composite()
    sig = ModelSignature.from_dict({"inputs": CHAT_INPUTS, "outputs": None})
    assert sig.to_dict()["inputs"] == CHAT_INPUTS


def test_built_types_write_mlflow_json() -> None:
    obj = Object([Property("z", Map(AnyType()), required=False), Property("a", Array(ColSpec("long").type))])
    assert ColSpec(obj, "req").to_dict() == {
        "type": "object",
        "properties": {
            "a": {"type": "array", "items": {"type": "long"}, "required": True},
            "z": {"type": "map", "values": {"type": "any"}, "required": False},
        },
        "name": "req",
        "required": True,
    }
    assert ColSpec(Array(AnyType())).to_dict() == {
        "type": "array",
        "items": {"type": "any"},
        "required": True,
    }


def test_request_dict_is_checked_and_passed_through() -> None:
    schema = Schema.from_json(CHAT_INPUTS)
    request = {"messages": [{"role": "user", "content": "hi"}], "temperature": 1, "extra": "kept"}
    out = enforce_schema(request, schema)
    assert out == {"messages": [{"role": "user", "content": "hi"}], "temperature": 1.0, "extra": "kept"}
    assert isinstance(out["temperature"], float)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"temperature": 1.0}, "Model is missing inputs ['messages']."),
        ({"messages": "hi"}, "Expected 'messages' to be a list, got str"),
        ({"messages": [{"content": "hi"}]}, "Missing required properties ['role'] in 'messages'[0]"),
        ({"messages": [{"role": "user", "content": 3}]}, "Expected 'messages'[0].content to be of type string, got int 3"),
        ({"messages": [{"role": "u", "tool_calls": [{"id": "1", "function": {"name": "f"}}]}]},
         "Missing required properties ['arguments'] in 'messages'[0].tool_calls[0].function"),
        ({"messages": [], "custom_inputs": [1]}, "Expected 'custom_inputs' to be a map (dict), got list"),
        ({"messages": [], "stop": ["a", 1]}, "Expected 'stop'[1] to be of type string, got int 1"),
    ],
)  # fmt: skip
def test_bad_requests_get_one_clear_line(request_: dict, message: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        enforce_schema(request_, Schema.from_json(CHAT_INPUTS))
    assert str(info.value) == message


def test_composite_columns_of_a_frame_are_checked() -> None:
    schema = Schema([ColSpec(Array(ColSpec("double").type), "v"), ColSpec("string", "s", required=False)])
    frame = pd.DataFrame({"v": [[1, 2], [3.5]]})
    out = enforce_schema(frame, schema)
    assert out["v"].tolist() == [[1.0, 2.0], [3.5]]
    with pytest.raises(InvalidInputError, match=r"Expected column v\[1\] to be of type double, got str 'x'"):
        enforce_schema(pd.DataFrame({"v": [[1.0, "x"]]}), schema)


@pytest.mark.parametrize(
    "bad",
    [
        '[{"type": "array"}]',
        '[{"type": "object", "properties": []}]',
        '[{"type": "map", "values": "string"}]',
        '[{"type": "array", "items": {"type": "decimal"}}]',
    ],
)
def test_malformed_composite_json_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        Schema.from_json(bad)
