"""``POST /invocations``: MLflow's scoring protocol.

The body is decoded only by the core's codecs (by ``Content-Type``), the signature applied
per request, the prediction run through the worker's runner (possibly batched), and the
answer written as MLflow writes it (``{"predictions": ...}``).
"""

from __future__ import annotations

from typing import Any

from pyfunc_core.codecs import ModelRequest, decode_request, predictions_to_json
from pyfunc_core.errors import PyfuncError
from pyfunc_scoring_server.http.request import Request
from pyfunc_scoring_server.http.responses import Reply, json_reply, mlflow_error, mlflow_error_from, too_large
from pyfunc_scoring_server.protocols.llm_input import LlmRequest, parse_llm_request
from pyfunc_scoring_server.scoring.context import ServingContext, internal_error


def llm_invocation(ctx: ServingContext, llm: LlmRequest, started: float) -> Reply:
    """Unwrapped LLM JSON (answered unwrapped, streamed on ``"stream": true``) or a type-hinted
    model's ``inputs`` (answered as ``{"predictions": ...}``)."""
    from pyfunc_scoring_server.protocols.streaming import can_stream, prepare, stream_predictions

    try:
        if llm.stream and can_stream(ctx):
            data, params = prepare(ctx, llm.data, llm.params, started)
            reply = stream_predictions(ctx, data, params, started=started)
            if isinstance(reply, PyfuncError):
                return mlflow_error_from(reply, ctx.debug)
            return reply
        _, predictions = ctx.predict(lambda: ModelRequest(llm.data, llm.params), started)
    except PyfuncError as exc:
        return mlflow_error_from(exc, ctx.debug)
    try:
        if llm.unwrapped:
            return json_reply(jsonable_predictions(predictions))
        return Reply(200, predictions_to_json(predictions))
    except Exception as exc:
        return internal_error(exc, ctx.debug)


def jsonable_predictions(predictions: Any) -> Any:
    """What MLflow writes for an unwrapped answer: frames as records, arrays as lists."""
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        return predictions.to_dict(orient="records")
    if hasattr(predictions, "tolist"):
        return predictions.tolist()
    return predictions


def invocations(ctx: ServingContext, req: Request) -> Reply:
    body = req.body(ctx.max_body)
    if body is None:
        return mlflow_error(413, too_large(ctx.max_body))
    content_type = req.content_type
    try:
        llm = parse_llm_request(body, content_type, ctx.model.metadata)
    except PyfuncError as exc:
        return mlflow_error_from(exc, ctx.debug)
    if llm is not None:
        return llm_invocation(ctx, llm, req.started)

    def decode() -> ModelRequest:
        return decode_request(ctx.codecs, content_type, body, ctx.input_schema, ctx.params_schema)[1]

    try:
        _, predictions = ctx.predict(decode, req.started)
    except PyfuncError as exc:
        return mlflow_error_from(exc, ctx.debug)
    try:
        return Reply(200, predictions_to_json(predictions))
    except Exception as exc:
        return internal_error(exc, ctx.debug)
