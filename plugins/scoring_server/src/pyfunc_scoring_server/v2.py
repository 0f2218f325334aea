"""Open Inference Protocol (V2) REST routes: health, server and model metadata, inference."""

from __future__ import annotations

from typing import Any

from pyfunc_core.errors import PyfuncError, quote
from pyfunc_scoring_server import __version__
from pyfunc_scoring_server.context import ServingContext, log_internal
from pyfunc_scoring_server.invocations import read_body
from pyfunc_scoring_server.responses import Reply, json_reply, retry_after, stack_of, too_large, v2_error
from pyfunc_scoring_server.v2_codec import (
    InferRequest,
    check_content_type,
    decode_infer_request,
    encode_outputs,
    v2_datatype,
)

SERVER_NAME = "pyfunc-scoring-server"


def live(ctx: ServingContext) -> Reply:
    return json_reply({"live": True})


def ready(ctx: ServingContext) -> Reply:
    if ctx.ready and not ctx.draining:
        return json_reply({"ready": True})
    return v2_error(503, "The model is not ready")


def server_metadata(ctx: ServingContext) -> Reply:
    return json_reply({"name": SERVER_NAME, "version": __version__, "extensions": []})


def _unknown_model(name: str) -> Reply:
    return v2_error(404, f"Model {quote(name)} not found (this server serves one model)")


def model_ready(ctx: ServingContext, name: str, version: str | None = None) -> Reply:
    if name != ctx.name:
        return _unknown_model(name)
    return ready(ctx)


def model_metadata(ctx: ServingContext, name: str, version: str | None = None) -> Reply:
    if name != ctx.name:
        return _unknown_model(name)
    meta: dict[str, Any] = {
        "name": ctx.name,
        "versions": [version] if version else [],
        "platform": f"pyfunc-{ctx.model.flavor.name}",
        "inputs": tensor_metadata(ctx.input_schema),
        "outputs": tensor_metadata(ctx.output_schema, "output"),
    }
    if ctx.input_schema is not None and not ctx.input_schema.is_tensor_spec:
        meta["parameters"] = {"content_type": "pd"}
    if ctx.params_schema is not None:
        meta["parameters"] = {
            **meta.get("parameters", {}),
            "inference_params": [p.to_dict() for p in ctx.params_schema.params],
        }
    return json_reply(meta)


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


def infer(
    ctx: ServingContext,
    environ: dict[str, Any],
    started: float,
    rid: str,
    name: str,
    version: str | None = None,
) -> Reply:
    if name != ctx.name:
        return _unknown_model(name)
    body = read_body(environ, ctx.max_body)
    if body is None:
        return v2_error(413, too_large(ctx.max_body))

    def decode() -> InferRequest:
        check_content_type(environ.get("CONTENT_TYPE"))
        return decode_infer_request(body, ctx.input_schema)

    try:
        request, predictions = ctx.predict(decode, started)
    except PyfuncError as exc:
        return _error(exc, ctx.debug)
    try:
        outputs, content_type = encode_outputs(predictions, request.outputs)
        response: dict[str, Any] = {
            "model_name": ctx.name,
            "id": request.id or rid,
            "parameters": {"content_type": content_type},
            "outputs": outputs,
        }
        if version:
            response["model_version"] = version
        return json_reply(response)
    except Exception as exc:
        log_internal(exc)
        stack = stack_of(exc) if ctx.debug else None
        return v2_error(500, f"Failed to encode the predictions: {type(exc).__name__}", stack)


def _error(exc: PyfuncError, debug: bool) -> Reply:
    reply = v2_error(exc.http_status, exc.message, stack_of(exc) if debug else None)
    reply.headers.extend(retry_after(exc))
    return reply
