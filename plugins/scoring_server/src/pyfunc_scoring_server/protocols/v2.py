"""Open Inference Protocol (V2) REST handlers: health, server and model metadata, inference.

The handlers take ``(ctx, req)`` (see :mod:`..http.routes`); ``server_metadata`` and
``model_metadata`` are also called by the gRPC plugin.
"""

from __future__ import annotations

from typing import Any

import orjson

from pyfunc_core.errors import PyfuncError, quote
from pyfunc_scoring_server import __version__
from pyfunc_scoring_server.http.request import Request
from pyfunc_scoring_server.http.responses import Reply, json_reply, retry_after, stack_of, too_large, v2_error
from pyfunc_scoring_server.protocols.v2_binary import HEADER, HEADER_ENV, encode_raw
from pyfunc_scoring_server.protocols.v2_codec import (
    InferRequest,
    check_content_type,
    decode_infer_request,
    encode_outputs,
    v2_datatype,
)
from pyfunc_scoring_server.scoring.context import ServingContext, log_internal

SERVER_NAME = "pyfunc-scoring-server"
#: Protocol extensions this server implements (listed by ``GET /v2``).
EXTENSIONS = ["binary_tensor_data"]


def live(ctx: ServingContext, req: Request) -> Reply:
    return json_reply({"live": True})


def ready(ctx: ServingContext, req: Request | None = None) -> Reply:
    if not ctx.draining:
        return json_reply({"ready": True})
    return v2_error(503, "The model is not ready")


def server_metadata(ctx: ServingContext, req: Request | None = None) -> Reply:
    return json_reply({"name": SERVER_NAME, "version": __version__, "extensions": EXTENSIONS})


def _unknown_model(name: str) -> Reply:
    return v2_error(404, f"Model {quote(name)} not found (this server serves one model)")


def model_ready(ctx: ServingContext, req: Request) -> Reply:
    name = req.params["name"]
    if name != ctx.name:
        return _unknown_model(name)
    return ready(ctx)


def model_metadata_route(ctx: ServingContext, req: Request) -> Reply:
    return model_metadata(ctx, req.params["name"], req.params.get("version"))


def model_metadata(ctx: ServingContext, name: str, version: str | None = None) -> Reply:
    if name != ctx.name:
        return _unknown_model(name)
    meta: dict[str, Any] = {
        "name": ctx.name,
        "versions": [version] if version else [],
        "platform": f"pyfunc-{ctx.model.flavor.name}",
        "inputs": tensor_metadata(ctx.input_schema),
        "outputs": output_metadata(ctx),
    }
    if ctx.input_schema is not None and not ctx.input_schema.is_tensor_spec:
        meta["parameters"] = {"content_type": "pd"}
    if ctx.params_schema is not None:
        meta["parameters"] = {
            **meta.get("parameters", {}),
            "inference_params": [p.to_dict() for p in ctx.params_schema.params],
        }
    return json_reply(meta)


def output_metadata(ctx: ServingContext) -> list[dict[str, Any]]:
    """The outputs under the names ``infer`` answers with (see :mod:`.outputs`)."""
    outputs = ctx.outputs
    schema = ctx.output_schema
    if outputs.dtypes:
        described = []
        for name, (dtype, shape) in outputs.dtypes.items():
            entry = {"name": name, "datatype": v2_datatype(dtype), "shape": list(shape)}
            if name == outputs.default and schema is not None and len(schema.inputs) == 1:
                entry = {**tensor_metadata(schema)[0], "name": name}
            described.append(entry)
        return described
    described = tensor_metadata(schema, "output")
    if len(described) == 1:
        described[0]["name"] = outputs.default
    return described


def tensor_metadata(schema: Any, unnamed: str = "input") -> list[dict[str, Any]]:
    """A signature schema as V2 tensor metadata (columns are 1-d tensors of any length)."""
    if schema is None:
        return []
    out = []
    for i, spec in enumerate(schema.inputs):
        name = spec.name if spec.name is not None else f"{unnamed}-{i}"
        if schema.is_tensor_spec:
            out.append({"name": name, "datatype": v2_datatype(spec.dtype), "shape": list(spec.shape)})
        else:
            dtype = spec.type.to_numpy()
            entry: dict[str, Any] = {"name": name, "datatype": v2_datatype(dtype), "shape": [-1]}
            if spec.type.value in ("string", "binary"):
                entry["parameters"] = {"content_type": "str" if spec.type.value == "string" else "base64"}
            out.append(entry)
    return out


def infer(ctx: ServingContext, req: Request) -> Reply:
    name, version, environ = req.params["name"], req.params.get("version"), req.environ
    if name != ctx.name:
        return _unknown_model(name)
    body = req.body(ctx.max_body)
    if body is None:
        return v2_error(413, too_large(ctx.max_body))
    header_length = environ.get(HEADER_ENV)

    def decode() -> InferRequest:
        check_content_type(environ.get("CONTENT_TYPE"), binary=header_length is not None)
        request = decode_infer_request(body, ctx.input_schema, header_length)
        request.outputs = ctx.outputs.check(request.requested)
        return request

    try:
        request, predictions = ctx.predict(decode, req.started)
        outputs, content_type = encode_outputs(
            predictions, list(request.outputs) if request.outputs else None, ctx.outputs.default
        )
    except PyfuncError as exc:
        return _error(exc, ctx.debug)
    except Exception as exc:
        return _encode_failed(exc, ctx.debug)
    response: dict[str, Any] = {
        "model_name": ctx.name,
        "id": request.id or req.rid,
        "parameters": {"content_type": content_type},
        "outputs": outputs,
    }
    if version:
        response["model_version"] = version
    try:
        if request.binary_all or request.binary:
            return binary_reply(response, request.binary, request.binary_all)
        return json_reply(response)
    except Exception as exc:
        return _encode_failed(exc, ctx.debug)


def binary_reply(response: dict[str, Any], names: frozenset[str], every: bool) -> Reply:
    """The response with the chosen outputs' data as raw bytes after the JSON."""
    chunks = []
    for output in response["outputs"]:
        if every or output["name"] in names:
            raw = encode_raw(output.pop("data"))
            output["parameters"] = {**output.get("parameters", {}), "binary_data_size": len(raw)}
            chunks.append(raw)
    header = orjson.dumps(response, option=orjson.OPT_SERIALIZE_NUMPY)
    return Reply(200, b"".join([header, *chunks]), "application/octet-stream", [(HEADER, str(len(header)))])


def _encode_failed(exc: Exception, debug: bool) -> Reply:
    log_internal(exc)
    stack = stack_of(exc) if debug else None
    return v2_error(500, f"Failed to encode the predictions: {type(exc).__name__}", stack)


def _error(exc: PyfuncError, debug: bool) -> Reply:
    reply = v2_error(exc.http_status, exc.message, stack_of(exc) if debug else None)
    reply.headers.extend(retry_after(exc))
    return reply
