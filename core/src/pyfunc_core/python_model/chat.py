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
from typing import Any, Iterator

from pyfunc_core.python_model.api import PythonModel, PythonModelContext

Message = dict[str, Any]


class ChatModel(PythonModel):
    """An OpenAI-chat-shaped model (MLflow task ``agent/v1/chat``)."""

    @abstractmethod
    def predict(  # type: ignore[override]
        self, context: PythonModelContext, messages: list[Message], params: dict[str, Any]
    ) -> dict[str, Any]:
        """A chat completion for ``messages``; ``params`` holds temperature, max_tokens, tools,
        custom_inputs... as the request gave them."""

    def predict_stream(
        self, context: PythonModelContext, messages: list[Message], params: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """Chat-completion chunks (``{"choices": [{"index", "delta", "finish_reason"}]}``)."""
        raise NotImplementedError("this ChatModel does not implement predict_stream")


class ChatAgent(PythonModel):
    """A conversational agent (MLflow task ``agent/v2/chat``)."""

    @abstractmethod
    def predict(  # type: ignore[override]
        self,
        messages: list[Message],
        context: dict[str, Any] | None = None,
        custom_inputs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``{"messages": [...], "finish_reason"?, "custom_outputs"?, "usage"?}``."""

    def predict_stream(
        self,
        messages: list[Message],
        context: dict[str, Any] | None = None,
        custom_inputs: dict[str, Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """``{"delta": message, ...}`` chunks; messages of one reply share an ``id``."""
        raise NotImplementedError("this ChatAgent does not implement predict_stream")


class ResponsesAgent(PythonModel):
    """An agent speaking the OpenAI Responses format (MLflow task ``agent/v1/responses``)."""

    @abstractmethod
    def predict(self, request: dict[str, Any]) -> dict[str, Any]:  # type: ignore[override]
        """``{"output": [items], "custom_outputs"?}`` for ``request`` (``input``, ``custom_inputs``...)."""

    def predict_stream(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Responses stream events; text arrives as ``response.output_text.delta`` events and
        each finished item as ``response.output_item.done``."""
        raise NotImplementedError("this ResponsesAgent does not implement predict_stream")

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
