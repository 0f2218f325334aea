"""MLflow's unwrapped JSON for LLM tasks, and the ``inputs`` of type-hinted models.

A JSON object with a top-level ``messages``, ``prompt`` or ``input`` key is a request for a
chat, completion or agent model: it is passed to the model as a dict, without DataFrame
parsing (keys the params schema declares go to ``params``), and the prediction is answered
as it is, without the ``{"predictions": ...}`` wrapper. A model whose signature comes from
type hints gets the raw value of ``inputs``. Both are what MLflow 3's scoring server does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyfunc_core.errors import InvalidInputError

LLM_KEYS = ("messages", "prompt", "input")


@dataclass
class LlmRequest:
    data: Any
    params: dict[str, Any] | None
    unwrapped: bool
    stream: bool


def _json(body: bytes) -> Any:
    import orjson

    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInputError(f"Invalid JSON input: {exc}") from None


def parse_llm_request(body: bytes, content_type: str | None, meta: Any) -> LlmRequest | None:
    """The request when it is unwrapped LLM JSON or a type-hinted model's ``inputs``, else None."""
    if content_type is not None and not content_type.split(";")[0].strip().lower().endswith("json"):
        return None
    hinted = bool(meta.extra.get("is_signature_from_type_hint"))
    schema = meta.get_input_schema()
    if not hinted and schema is not None and (schema.is_tensor_spec or schema.is_all_numeric()):
        return None  # numeric and tensor models take MLflow's formats only (the server's fast path)
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    if body[:64].lstrip()[:1] != b"{":
        return None
    if not hinted and not any(b'"' + k.encode() + b'"' in body for k in LLM_KEYS):
        return None
    payload = _json(body)
    if not isinstance(payload, dict):
        return None
    if any(k in payload for k in LLM_KEYS):
        schema = meta.get_params_schema()
        declared = {p.name for p in schema.params} if schema is not None else set()
        data = {k: v for k, v in payload.items() if k not in declared}
        params = {k: v for k, v in payload.items() if k in declared} or None
        return LlmRequest(data, params, True, payload.get("stream") is True)
    if hinted:
        if "inputs" not in payload:
            raise InvalidInputError(
                "Request payload must be a dictionary with 'inputs' key when the model contains a "
                f"valid type hint. Found keys in payload: {sorted(payload)[:20]}."
            )
        params = payload.get("params")
        if params is not None and not isinstance(params, dict):
            raise InvalidInputError("'params' must be a JSON object")
        return LlmRequest(payload["inputs"], params, False, False)
    return None
