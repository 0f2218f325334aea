"""``GET /openapi.json``: an OpenAPI 3.1 document whose request schemas come from the signature."""

from __future__ import annotations

from typing import Any

from pyfunc_scoring_server import __version__
from pyfunc_scoring_server.context import ServingContext
from pyfunc_scoring_server.v2 import tensor_metadata

_JSON_TYPES = {
    "boolean": {"type": "boolean"},
    "integer": {"type": "integer"},
    "long": {"type": "integer"},
    "float": {"type": "number"},
    "double": {"type": "number"},
    "string": {"type": "string"},
    "binary": {"type": "string", "contentEncoding": "base64"},
    "datetime": {"type": "string", "format": "date-time"},
}


def _dtype_json(dtype: Any) -> dict[str, Any]:
    kind = getattr(dtype, "kind", "O")
    if kind == "b":
        return {"type": "boolean"}
    if kind in "iu":
        return {"type": "integer"}
    if kind == "f":
        return {"type": "number"}
    return {"type": "string"}


def _nested(item: dict[str, Any], dims: int) -> dict[str, Any]:
    for _ in range(dims):
        item = {"type": "array", "items": item}
    return item


def invocations_schema(ctx: ServingContext) -> dict[str, Any]:
    """The JSON body of ``/invocations`` for this model's signature."""
    schema = ctx.input_schema
    formats: list[dict[str, Any]] = []
    if schema is None:
        any_rows: dict[str, Any] = {"type": "array"}
        formats = [
            _format("dataframe_split", {"type": "object", "properties": {"columns": {"type": "array"},
                                                                          "data": any_rows}}),
            _format("dataframe_records", {"type": "array", "items": {"type": "object"}}),
            _format("instances", {"type": "array"}),
            _format("inputs", {}),
        ]  # fmt: skip
    elif schema.is_tensor_spec:
        if schema.has_input_names:
            tensors = {s.name: _nested(_dtype_json(s.dtype), len(s.shape)) for s in schema.inputs}
            value: dict[str, Any] = {"type": "object", "properties": tensors, "required": list(tensors)}
            formats = [
                _format("inputs", value),
                _format("instances", {"type": "array", "items": {"type": "object"}}),
            ]
        else:
            spec = schema.inputs[0]
            value = _nested(_dtype_json(spec.dtype), len(spec.shape))
            formats = [_format("inputs", value), _format("instances", value)]
    else:
        props = {}
        for i, spec in enumerate(schema.inputs):
            props[str(spec.name if spec.name is not None else i)] = dict(_JSON_TYPES[spec.type.value])
        required = [str(n) for n in schema.required_input_names()]
        row_items = list(props.values())
        split = {
            "type": "object",
            "properties": {
                "columns": {"type": "array", "items": {"type": "string", "enum": list(props)}},
                "data": {"type": "array", "items": {"type": "array", "prefixItems": row_items}},
                "index": {"type": "array"},
            },
            "required": ["data"],
        }
        records = {
            "type": "array",
            "items": {"type": "object", "properties": props, "required": required},
        }
        formats = [_format("dataframe_split", split), _format("dataframe_records", records)]
    if ctx.params_schema is not None:
        params = {"type": "object", "properties": {}}
        for p in ctx.params_schema.params:
            item = dict(_JSON_TYPES[p.type.value])
            if p.shape is not None:
                item = {"type": "array", "items": item}
            if p.default is not None:
                item["default"] = p.to_dict()["default"]
            params["properties"][p.name] = item
        for f in formats:
            f["properties"]["params"] = params
    return {"oneOf": formats}


def _format(key: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {key: value}, "required": [key], "additionalProperties": False}


def v2_request_schema(ctx: ServingContext) -> dict[str, Any]:
    tensors = tensor_metadata(ctx.input_schema)
    tensor = {
        "type": "object",
        "properties": {
            "name": {"type": "string", **({"enum": [t["name"] for t in tensors]} if tensors else {})},
            "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            "datatype": {"type": "string"},
            "data": {"type": "array"},
            "parameters": {"type": "object"},
        },
        "required": ["name", "shape", "datatype", "data"],
    }
    return {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "parameters": {"type": "object"},
            "inputs": {"type": "array", "items": tensor, "minItems": 1},
            "outputs": {"type": "array", "items": {"type": "object"}},
        },
        "required": ["inputs"],
        "x-model-inputs": tensors,
    }


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"error_code": {"type": "string"}, "message": {"type": "string"}},
        "required": ["error_code", "message"],
    }


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def build_openapi(ctx: ServingContext) -> dict[str, Any]:
    """The whole document (built once per worker)."""
    errors = {
        str(code): {"description": text, "content": _json({"$ref": "#/components/schemas/Error"})}
        for code, text in (
            (400, "Bad input"), (413, "Body too large"), (415, "Unsupported content type"),
            (504, "Timed out"),
        )
    }  # fmt: skip
    v2_error = {"description": "Error", "content": _json({"$ref": "#/components/schemas/V2Error"})}
    simple = {"200": {"description": "OK"}}
    name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string", "enum": [ctx.name]}}
    version = {"name": "version", "in": "path", "required": True, "schema": {"type": "string"}}
    infer = {
        "post": {
            "summary": "Open Inference Protocol inference",
            "requestBody": {"required": True, "content": _json(v2_request_schema(ctx))},
            "responses": {"200": {"description": "Output tensors"}, "400": v2_error, "404": v2_error,
                          "504": v2_error},
        }
    }  # fmt: skip
    paths: dict[str, Any] = {
        "/ping": {"get": {"summary": "200 once the model is loaded", "responses": simple}},
        "/health": {"get": {"summary": "Same as /ping", "responses": simple}},
        "/version": {"get": {"summary": "pyfunc-core version", "responses": simple}},
        "/metrics": {"get": {"summary": "Prometheus metrics", "responses": simple}},
        "/invocations": {
            "post": {
                "summary": "MLflow scoring protocol",
                "requestBody": {
                    "required": True,
                    "content": {
                        **_json(invocations_schema(ctx)),
                        "text/csv": {"schema": {"type": "string"}},
                        "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
                    },
                },
                "responses": {
                    "200": {
                        "description": "Predictions",
                        "content": _json({"type": "object", "properties": {"predictions": {}}}),
                    },
                    **errors,
                },
            }
        },
        "/v2/health/live": {"get": {"responses": simple}},
        "/v2/health/ready": {"get": {"responses": simple}},
        "/v2/models/{name}": {"get": {"parameters": [name], "responses": simple}},
        "/v2/models/{name}/ready": {"get": {"parameters": [name], "responses": simple}},
        "/v2/models/{name}/infer": {"post": {**infer["post"], "parameters": [name]}},
        "/v2/models/{name}/versions/{version}/infer": {
            "post": {**infer["post"], "parameters": [name, version]}
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": f"pyfunc model '{ctx.name}'", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": {
                "Error": _error_schema(),
                "V2Error": {"type": "object", "properties": {"error": {"type": "string"}}},
            }
        },
    }
