"""Run inside a virtualenv with MLflow 3, pyfunc-core and the scoring server.

Usage: python modern_models.py ROOT

1. Writes with MLflow, under ROOT/mlflow/: models from code (a PythonModel), a ChatModel, a
   ChatAgent and a ResponsesAgent (models from code, streaming), and type-hinted PythonModels
   (list[str], list[dict[str, Any]], list[<pydantic model>]), pickled.
2. Saves the same type-hinted models with pyfunc-core (ROOT/ours-in-venv/), and predicts on
   the pydantic one with pyfunc-core and with MLflow.
3. Loads with ``mlflow.pyfunc.load_model`` the directories pyfunc-core wrote under ROOT/ours/
   (named in ROOT/ours.json ``{name: request}``) and records ``predict(request)`` and, for
   streaming ones, ``predict_stream(request)``.
Writes ROOT/results.json ``{"mlflow_version", "ours": {name: {"predict": r, "stream": r}}}``,
each result ``{"ok": value}`` or ``{"error": "Type: message"}``.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import pydantic
from mlflow.pyfunc import PythonModel

CODE = {
    "code_plain": """
        import mlflow
        from mlflow.pyfunc import PythonModel

        class Doubler(PythonModel):
            def predict(self, context, model_input, params=None):
                return model_input * 2

        mlflow.models.set_model(Doubler())
    """,
    "chat_model": """
        import mlflow
        from mlflow.pyfunc import ChatModel
        from mlflow.types.llm import (ChatChoice, ChatChoiceDelta, ChatChunkChoice, ChatCompletionChunk,
                                      ChatCompletionResponse, ChatMessage)

        class Echo(ChatModel):
            def predict(self, context, messages, params):
                reply = ChatMessage(role="assistant", content="echo: " + messages[-1].content)
                return ChatCompletionResponse(choices=[ChatChoice(index=0, message=reply)], model="echo")

            def predict_stream(self, context, messages, params):
                for word in messages[-1].content.split():
                    delta = ChatChoiceDelta(role="assistant", content=word)
                    yield ChatCompletionChunk(choices=[ChatChunkChoice(delta=delta)])

        mlflow.models.set_model(Echo())
    """,
    "chat_agent": """
        import mlflow
        from mlflow.pyfunc import ChatAgent
        from mlflow.types.agent import ChatAgentChunk, ChatAgentMessage, ChatAgentResponse

        class Echo(ChatAgent):
            def predict(self, messages, context=None, custom_inputs=None):
                reply = ChatAgentMessage(role="assistant", content="echo: " + messages[-1].content, id="m1")
                return ChatAgentResponse(messages=[reply], custom_outputs=custom_inputs)

            def predict_stream(self, messages, context=None, custom_inputs=None):
                for word in messages[-1].content.split():
                    yield ChatAgentChunk(delta=ChatAgentMessage(role="assistant", content=word, id="m1"))

        mlflow.models.set_model(Echo())
    """,
    "responses_agent": """
        import mlflow
        from mlflow.pyfunc import ResponsesAgent
        from mlflow.types.responses import ResponsesAgentResponse, ResponsesAgentStreamEvent

        def text_of(item):
            content = item.content
            return content if isinstance(content, str) else " ".join(p["text"] for p in content)

        class Echo(ResponsesAgent):
            def predict(self, request):
                item = self.create_text_output_item("echo: " + text_of(request.input[-1]), "o1")
                return ResponsesAgentResponse(output=[item], custom_outputs=request.custom_inputs)

            def predict_stream(self, request):
                text = text_of(request.input[-1])
                for word in text.split():
                    yield ResponsesAgentStreamEvent(**self.create_text_delta(word, "o1"))
                item = self.create_text_output_item("echo: " + text, "o1")
                yield ResponsesAgentStreamEvent(type="response.output_item.done", item=item)

        mlflow.models.set_model(Echo())
    """,
}


class Message(pydantic.BaseModel):
    role: str
    content: str
    score: float | None = None


class Upper(PythonModel):
    def predict(self, model_input: list[str], params=None) -> list[str]:
        return [s.upper() for s in model_input]


class Keys(PythonModel):
    def predict(self, model_input: list[dict[str, Any]], params=None) -> list[str]:
        return [",".join(sorted(d)) for d in model_input]


class Roles(PythonModel):
    def predict(self, model_input: list[Message], params=None) -> list[str]:
        return [f"{m.role}:{m.content}" for m in model_input]


def attempt(call):
    try:
        return {"ok": call()}
    except Exception as exc:  # reported, not raised: the test names what failed
        return {
            "error": f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        }


def write(root: Path) -> None:
    out = root / "mlflow"
    out.mkdir(parents=True, exist_ok=True)
    src = root / "mlflow-src"
    src.mkdir(exist_ok=True)
    for name, code in CODE.items():
        path = src / f"{name}.py"
        path.write_text(textwrap.dedent(code), encoding="utf-8")
        extra = {"input_example": [1.0, 2.0]} if name == "code_plain" else {}
        mlflow.pyfunc.save_model(out / name, python_model=str(path), **extra)
    mlflow.pyfunc.save_model(out / "hint_str", python_model=Upper())
    mlflow.pyfunc.save_model(out / "hint_dict", python_model=Keys())
    mlflow.pyfunc.save_model(out / "hint_pydantic", python_model=Roles())


def load_ours(root: Path) -> dict[str, Any]:
    cases = json.loads((root / "ours.json").read_text(encoding="utf-8"))
    results = {}
    for name, case in cases.items():
        path = str(root / "ours" / name)
        loaded = attempt(lambda p=path: mlflow.pyfunc.load_model(p))
        if "error" in loaded:
            results[name] = {"load": loaded}
            continue
        model = loaded["ok"]
        result = {"predict": attempt(lambda m=model, c=case: _plain(m.predict(c["request"])))}
        if case.get("stream"):
            result["stream"] = attempt(
                lambda m=model, c=case: [_plain(x) for x in m.predict_stream(c["request"])]
            )
        results[name] = result
    return results


def _plain(value: Any) -> Any:
    if hasattr(value, "to_dict") and hasattr(value, "columns"):
        return value.to_dict(orient="list")
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def ours_with_pydantic(root: Path) -> dict[str, Any]:
    """The type-hinted models saved by pyfunc-core here (pydantic is installed in this venv),
    loaded by pyfunc-core and by MLflow."""
    import pyfunc_core

    class OurRoles(pyfunc_core.PythonModel):
        def predict(self, model_input: list[Message], params=None) -> list[str]:
            return [f"{m.role}:{m.content}" for m in model_input]

    class OurUpper(pyfunc_core.PythonModel):
        def predict(self, model_input: list[str], params=None) -> list[str]:
            return [s.upper() for s in model_input]

    out = root / "ours-in-venv"
    pyfunc_core.save_model(out / "hint_pydantic", python_model=OurRoles())
    pyfunc_core.save_model(out / "hint_str", python_model=OurUpper())
    good = [{"role": "user", "content": "hi"}]
    ours = pyfunc_core.load_model(out / "hint_pydantic")
    return {
        "pyfunc_core": attempt(lambda: ours.predict(good)),
        "pyfunc_core_bad": attempt(lambda: ours.predict([{"role": "user"}])),
        "mlflow": attempt(lambda: mlflow.pyfunc.load_model(str(out / "hint_pydantic")).predict(good)),
    }


def main() -> None:
    root = Path(sys.argv[1])
    write(root)
    results = {
        "mlflow_version": mlflow.__version__,
        "ours": load_ours(root),
        "pydantic": ours_with_pydantic(root),
    }
    (root / "results.json").write_text(json.dumps(results, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
