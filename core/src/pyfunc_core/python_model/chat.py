"""Chat and agent models: base classes whose requests and responses are MLflow's JSON.

Everything is plain dicts (no pydantic): a ``ChatModel`` takes chat-completions messages
(``{"role", "content", "tool_calls", "tool_call_id", ...}``) and the request's other fields
as ``params``, and returns a chat-completion dict (``{"choices": [{"index", "message",
"finish_reason"}], ...}``; ``id``, ``object``, ``created`` and ``model`` are filled in when
missing). A ``ChatAgent`` takes messages, an optional ``context``
(``conversation_id``, ``user_id``) and ``custom_inputs``, and returns ``{"messages": [...],
"custom_outputs": ...}``; its stream yields ``{"delta": message}`` chunks. A
``ResponsesAgent`` takes a ``ResponsesAgentRequest`` dict (``input`` items, ``custom_inputs``,
``context``) and returns ``{"output": [items], "custom_outputs": ...}``; its stream yields
Responses stream events (``response.output_text.delta``, ``response.output_item.done``).
"""

from __future__ import annotations

import uuid
from abc import abstractmethod
from typing import Any

from pyfunc_core.python_model.api import PythonModel, PythonModelContext

Message = dict[str, Any]


class ChatModel(PythonModel):
    """An OpenAI-chat-shaped model (MLflow task ``agent/v1/chat``).

    To stream, define ``predict_stream(context, messages, params)`` yielding chat-completion
    chunks (``{"choices": [{"index", "delta", "finish_reason"}]}``); without it the model
    answers whole replies only.
    """

    @abstractmethod
    def predict(  # type: ignore[override]
        self, context: PythonModelContext, messages: list[Message], params: dict[str, Any]
    ) -> dict[str, Any]:
        """A chat completion for ``messages``; ``params`` holds temperature, max_tokens, tools,
        custom_inputs... as the request gave them."""


class ChatAgent(PythonModel):
    """A conversational agent (MLflow task ``agent/v2/chat``).

    To stream, define ``predict_stream(messages, context=None, custom_inputs=None)`` yielding
    ``{"delta": message, ...}`` chunks (messages of one reply share an ``id``).
    """

    @abstractmethod
    def predict(  # type: ignore[override]
        self,
        messages: list[Message],
        context: dict[str, Any] | None = None,
        custom_inputs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``{"messages": [...], "finish_reason"?, "custom_outputs"?, "usage"?}``."""


class ResponsesAgent(PythonModel):
    """An agent speaking the OpenAI Responses format (MLflow task ``agent/v1/responses``).

    To stream, define ``predict_stream(request)`` yielding Responses stream events: text as
    ``response.output_text.delta`` events (:meth:`create_text_delta`), each finished item as
    ``response.output_item.done``.
    """

    @abstractmethod
    def predict(self, request: dict[str, Any]) -> dict[str, Any]:  # type: ignore[override]
        """``{"output": [items], "custom_outputs"?}`` for ``request`` (``input``, ``custom_inputs``...)."""

    @staticmethod
    def create_text_delta(delta: str, item_id: str) -> dict[str, Any]:
        return {"type": "response.output_text.delta", "item_id": item_id, "delta": delta}

    @staticmethod
    def create_text_output_item(text: str, id: str, annotations: list[Any] | None = None) -> dict[str, Any]:
        return {
            "id": id,
            "content": [{"text": text, "type": "output_text", "annotations": annotations or []}],
            "role": "assistant",
            "type": "message",
        }

    @staticmethod
    def create_function_call_item(id: str, call_id: str, name: str, arguments: str) -> dict[str, Any]:
        return {"type": "function_call", "id": id, "call_id": call_id, "name": name, "arguments": arguments}

    @staticmethod
    def create_function_call_output_item(call_id: str, output: str) -> dict[str, Any]:
        return {"type": "function_call_output", "call_id": call_id, "output": output}


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"
