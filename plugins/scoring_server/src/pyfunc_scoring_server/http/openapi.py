"""``GET /openapi.json``: an OpenAPI 3.1 document whose request schemas come from the signature.

The request schemas describe bodies the server accepts: anything they allow is decoded,
passes the signature and reaches the model (the suite checks this with schemathesis). They
describe one plain shape of each format; the server accepts more (columns in another order,
an ``index``, extra columns it ignores), which the document leaves out rather than allow
bodies it would refuse.

The paths are the route table's (:mod:`.routes`): each route documented by an operation
builder of this module (``Route.doc``); path parameters come from the route's template.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

from pyfunc_scoring_server import __version__
from pyfunc_scoring_server.protocols.v2 import tensor_metadata
from pyfunc_scoring_server.protocols.v2_codec import DATATYPES
from pyfunc_scoring_server.scoring.context import ServingContext

if TYPE_CHECKING:
    from pyfunc_scoring_server.http.routes import Route

#: An operation builder: the OpenAPI operation of a route for this model, None to leave it out.
Operation = Callable[[ServingContext], "dict[str, Any] | None"]

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


#: CSV text of each column type (letters only for strings: no quoting, no NA markers).
_CSV_VALUES = {
    "boolean": "(True|False)",
    "integer": "-?[0-9]{1,9}",
    "long": "-?[0-9]{1,9}",
    "float": "-?[0-9]{1,6}(\\.[0-9]{1,6})?",
    "double": "-?[0-9]{1,9}(\\.[0-9]{1,9})?",
    "string": "[A-Za-z]{1,12}",
}


def _dtype_json(dtype: Any) -> dict[str, Any]:
    import numpy as np

    kind = getattr(dtype, "kind", "O")
    if kind == "b":
        return {"type": "boolean"}
    if kind in "iu":  # JSON integers are narrowed to the tensor's type only when they fit
        info = np.iinfo(dtype)
        return {"type": "integer", "minimum": int(info.min), "maximum": int(info.max)}
    if kind == "f":
        return {"type": "number"}
    return {"type": "string"}


def _nested(item: dict[str, Any], shape: Any) -> dict[str, Any]:
    """Nested arrays for a tensor ``shape`` (fixed sizes as min/max items, -1 as 1 or more)."""
    for size in reversed(list(shape)):
        bounds = {"minItems": size, "maxItems": size} if size != -1 else {"minItems": 1}
        item = {"type": "array", "items": item, **bounds}
    return item


def _rows(schema: Any) -> dict[str, Any]:
    """A non-empty list of rows of one value per column, typed column by column."""
    cells = [_column_json(spec) for spec in schema.inputs]
    row = {"type": "array", "prefixItems": cells, "items": False, "minItems": len(cells)}
    return {"type": "array", "items": row, "minItems": 1}


#: JSON integers must fit the column (a wider one is parsed as a float, which an integer column refuses).
_INT_BOUNDS = {"integer": 2**31, "long": 2**63}


def _type_json(t: Any) -> dict[str, Any]:
    """JSON Schema of a column type, composite ones (array, object, map, any) included."""
    from pyfunc_core.schema import AnyType, Array, Map, Object

    if isinstance(t, Array):
        return {"type": "array", "items": _type_json(t.items)}
    if isinstance(t, Object):
        return {
            "type": "object",
            "properties": {p.name: _type_json(p.dtype) for p in t.properties},
            "required": [p.name for p in t.properties if p.required],
        }
    if isinstance(t, Map):
        return {"type": "object", "additionalProperties": _type_json(t.value_type)}
    if isinstance(t, AnyType):
        return {}
    return dict(_JSON_TYPES[t.value])


def _llm_request(schema: Any) -> dict[str, Any]:
    """MLflow's unwrapped request object of a chat or agent signature."""
    return {
        "type": "object",
        "properties": {str(s.name): _type_json(s.type) for s in schema.inputs},
        "required": [str(s.name) for s in schema.inputs if s.required],
    }


def _column_json(spec: Any) -> dict[str, Any]:
    """One column's JSON value; null only for an optional column whose type has a missing value."""
    item = _type_json(spec.type)
    bound = _INT_BOUNDS.get(spec.type.value)
    if bound is not None:  # (JSON Schema also calls 2.0 an integer; the server wants it written 2)
        item.update(minimum=-bound, maximum=bound - 1, description="an integer written without a fraction")
    if not spec.required and spec.type.value in ("double", "float", "string"):
        item = {"anyOf": [item, {"type": "null"}]}
    return item


def csv_schema(ctx: ServingContext) -> dict[str, Any]:
    """The ``text/csv`` body: a header of the signature's columns, then rows of their values."""
    schema = ctx.input_schema
    body: dict[str, Any] = {"type": "string", "minLength": 1}
    if schema is None or schema.is_tensor_spec or not schema.has_input_names:
        return body
    names = [str(s.name) for s in schema.inputs]
    cells = [_CSV_VALUES.get(s.type.value) for s in schema.inputs]
    if any(c is None for c in cells) or not all(n.isidentifier() for n in names):
        return body
    row = ",".join(cells)  # type: ignore[arg-type]
    body["pattern"] = "^" + ",".join(names) + "\\n(" + row + "\\n){1,20}$"
    return body


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
        specs = schema.tensor_specs
        if schema.has_input_names:
            tensors = {s.name: _nested(_dtype_json(s.dtype), s.shape) for s in specs}
            value: dict[str, Any] = {"type": "object", "properties": tensors, "required": list(tensors),
                                     "additionalProperties": False}  # fmt: skip
            rows = {s.name: _nested(_dtype_json(s.dtype), s.shape[1:]) for s in specs}
            row: dict[str, Any] = {"type": "object", "properties": rows, "required": list(rows),
                                   "additionalProperties": False}  # fmt: skip
            formats = [
                _format("inputs", value),
                _format("instances", {"type": "array", "items": row, "minItems": 1}),
            ]
        else:
            spec = specs[0]
            value = _nested(_dtype_json(spec.dtype), spec.shape)
            formats = [_format("inputs", value), _format("instances", value)]
    elif schema.has_composite() and schema.has_input_names:
        return {"oneOf": [_llm_request(schema)]}
    else:
        columns_specs = schema.column_specs
        props = {}
        for i, column in enumerate(columns_specs):
            props[str(column.name if column.name is not None else i)] = _type_json(column.type)
        required = [str(n) for n in schema.required_input_names()]
        names = list(props)
        columns: dict[str, Any] = {"type": "array", "items": {"type": "string", "enum": names}}
        if schema.has_input_names:  # in signature order, one name per value of a row
            columns.update(
                prefixItems=[{"const": n} for n in names], minItems=len(names), maxItems=len(names)
            )
        split = {
            "type": "object",
            "properties": {"columns": columns, "data": _rows(schema)},
            "required": ["columns", "data"] if schema.has_input_names else ["data"],
            "additionalProperties": False,
        }
        # records name every required column (an optional one missing from some records
        # would be a missing value, which only some column types have)
        record = {n: _column_json(s) for n, s in zip(names, columns_specs) if s.required}
        records = {
            "type": "array",
            "items": {
                "type": "object",
                "properties": record,
                "required": required,
                "additionalProperties": False,
            },
            "minItems": 1,
        }
        formats = [_format("dataframe_split", split), _format("dataframe_records", records)]
    if ctx.params_schema is not None:
        params: dict[str, Any] = {"type": "object", "properties": {}}
        for p in ctx.params_schema.params:
            item: dict[str, Any] = dict(_JSON_TYPES[p.type.value])
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
            "name": {
                "type": "string",
                "minLength": 1,
                **({"enum": [t["name"] for t in tensors]} if tensors else {}),
            },
            "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            "datatype": {"type": "string", "enum": list(DATATYPES)},
            "data": {"type": "array"},
            "parameters": {
                "type": "object",
                "properties": {"content_type": {"type": "string", "enum": ["np", "pd", "str", "base64"]}},
            },
        },
        "required": ["name", "shape", "datatype", "data"],
    }
    return {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "parameters": {"type": "object"},
            "inputs": {"type": "array", "items": tensor, "minItems": 1},
            "outputs": {"type": "array", "items": _requested_output(ctx)},
        },
        "required": ["inputs"],
        "x-model-inputs": tensors,
    }


def _requested_output(ctx: ServingContext) -> dict[str, Any]:
    """An entry of ``outputs``: one of the model's output names (see :mod:`.outputs`)."""
    names = ctx.outputs.names
    return {
        "type": "object",
        "properties": {
            "name": {"type": "string", **({"enum": names} if names else {})},
            "parameters": {"type": "object", "properties": {"binary_data": {"type": "boolean"}}},
        },
        "required": ["name"],
    }


def _openai_answers() -> dict[str, Any]:
    error = {"description": "OpenAI-style error",
             "content": _json({"type": "object", "properties": {"error": {"type": "object"}}})}  # fmt: skip
    return {
        "200": {"description": "The answer as JSON, or with stream=true Server-Sent Events ending with [DONE]",
                "content": {**_json({"type": "object"}), "text/event-stream": {"schema": {"type": "string"}}}},
        "400": error, "404": error, "504": error,
    }  # fmt: skip


def chat_completions_operation(ctx: ServingContext) -> dict[str, Any] | None:
    """``/v1/chat/completions``, documented for the chat models and agents it serves."""
    from pyfunc_scoring_server.protocols.openai_routes import TASK_AGENT, TASK_CHAT, task_of

    if task_of(ctx) not in (TASK_CHAT, TASK_AGENT):
        return None
    model = {"type": "string", "enum": [ctx.name]}
    message = {
        "type": "object",
        "properties": {"role": {"type": "string"}, "content": {}},
        "required": ["role"],
    }
    body = {"type": "object", "properties": {"model": model, "messages": {"type": "array", "items": message,
            "minItems": 1}, "stream": {"type": "boolean"}}, "required": ["model", "messages"]}  # fmt: skip
    return {"summary": "OpenAI chat completions", "requestBody": {"required": True, "content": _json(body)},
            "responses": _openai_answers()}  # fmt: skip


def responses_operation(ctx: ServingContext) -> dict[str, Any] | None:
    """``/v1/responses``, documented for the Responses agents it serves."""
    from pyfunc_scoring_server.protocols.openai_routes import TASK_RESPONSES, task_of

    if task_of(ctx) != TASK_RESPONSES:
        return None
    model = {"type": "string", "enum": [ctx.name]}
    body = {"type": "object", "properties": {"model": model, "input": {"oneOf": [{"type": "string"},
            {"type": "array", "minItems": 1}]}, "instructions": {"type": "string"},
            "stream": {"type": "boolean"}}, "required": ["model", "input"]}  # fmt: skip
    return {"summary": "OpenAI Responses", "requestBody": {"required": True, "content": _json(body)},
            "responses": _openai_answers()}  # fmt: skip


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"error_code": {"type": "string"}, "message": {"type": "string"}},
        "required": ["error_code", "message"],
    }


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def simple(summary: str | None = None) -> Operation:
    """A route answering 200 with nothing to document but its summary."""
    operation: dict[str, Any] = {"summary": summary} if summary else {}

    def build(ctx: ServingContext) -> dict[str, Any]:
        return {**operation, "responses": {"200": {"description": "OK"}}}

    return build


def invocations_operation(ctx: ServingContext) -> dict[str, Any]:
    errors = {
        str(code): {"description": text, "content": _json({"$ref": "#/components/schemas/Error"})}
        for code, text in (
            (400, "Bad input"), (413, "Body too large"), (415, "Unsupported content type"),
            (504, "Timed out"),
        )
    }  # fmt: skip
    return {
        "summary": "MLflow scoring protocol",
        "requestBody": {
            "required": True,
            "content": {
                **_json(invocations_schema(ctx)),
                "text/csv": {"schema": csv_schema(ctx)},
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


def infer_operation(ctx: ServingContext) -> dict[str, Any]:
    v2_error = {"description": "Error", "content": _json({"$ref": "#/components/schemas/V2Error"})}
    return {
        "summary": "Open Inference Protocol inference",
        "description": (
            "JSON tensors, or the binary tensor data extension: an Inference-Header-Content-Length "
            "header, the JSON (inputs with parameters.binary_data_size instead of data), then the "
            "raw tensors (Content-Type application/octet-stream). Outputs come back binary when "
            "asked (parameters.binary_data_output, or an output's parameters.binary_data)."
        ),
        "requestBody": {"required": True, "content": _json(v2_request_schema(ctx))},
        "responses": {"200": {"description": "Output tensors"}, "400": v2_error, "404": v2_error,
                      "504": v2_error},
    }  # fmt: skip


def _path_parameters(ctx: ServingContext, path: str) -> list[dict[str, Any]]:
    """The ``{name}`` (this model's) and ``{version}`` parameters of a route template."""
    parameters = []
    for part in path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            schema = {"type": "string", "enum": [ctx.name]} if name == "name" else {"type": "string"}
            parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def build_openapi(ctx: ServingContext, routes: Sequence[Route]) -> dict[str, Any]:
    """The whole document (built once per worker) from the route table's documented routes."""
    paths: dict[str, Any] = {}
    for route in routes:
        operation = route.doc(ctx) if route.doc is not None else None
        if operation is None:
            continue
        parameters = _path_parameters(ctx, route.path)
        if parameters:
            operation = {**operation, "parameters": parameters}
        paths.setdefault(route.path, {})[route.method.lower()] = operation
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
