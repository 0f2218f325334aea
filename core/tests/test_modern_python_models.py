"""Models from code, signatures from type hints, and chat/agent models, saved and loaded by
pyfunc-core alone (MLflow's side is in test_modern_models_mlflow.py)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Optional

import pandas as pd
import pytest
import yaml

from pyfunc_core import PythonModel, load_model, save_model
from pyfunc_core.errors import InvalidInputError, InvalidParameterError, ModelLoadError
from pyfunc_core.schema.signature import ModelSignature

AGENTS = Path(__file__).parent / "modern_models" / "agents.py"


def model_file(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.py"
    path.write_text(body, encoding="utf-8")
    return path


def agent_file(folder: Path, cls: str) -> Path:
    """agents.py plus the set_model line: a self-contained models-from-code file."""
    return model_file(
        folder, cls.lower(), AGENTS.read_text() + f"\nimport pyfunc_core\npyfunc_core.set_model({cls}())\n"
    )


CODE_MODEL = """
import pyfunc_core
from pyfunc_core import PythonModel
from helper import offset

class Scale(PythonModel):
    def load_context(self, context):
        with open(context.artifacts["factor"]) as f:
            self.factor = float(f.read())
        self.extra = context.model_config["extra"]

    def predict(self, context, model_input, params=None):
        return model_input * self.factor + self.extra + offset()

pyfunc_core.set_model(Scale())
"""


def test_models_from_code_copy_the_file_and_pickle_nothing(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    model_file(src, "helper", "def offset():\n    return 100\n")
    factor = src / "factor.txt"
    factor.write_text("2")
    path = tmp_path / "m"
    save_model(path, python_model=model_file(src, "agent", CODE_MODEL), model_config={"extra": 1},
               code_paths=[src / "helper.py"], artifacts={"factor": factor})  # fmt: skip
    conf = yaml.safe_load((path / "MLmodel").read_text())["flavors"]["python_function"]
    assert conf["loader_module"] == "pyfunc_core.python_model"
    assert conf["model_code_path"] == "agent.py" and conf["model_config"] == {"extra": 1}
    assert "python_model" not in conf and not list(path.glob("*.pkl"))
    assert (path / "agent.py").read_text() == CODE_MODEL
    out = load_model(path).predict(pd.DataFrame({"x": [1.0, 2.0]}))
    assert out["x"].tolist() == [103.0, 105.0]


def test_a_plain_callable_with_model_config(tmp_path: Path) -> None:
    body = "import pyfunc_core\nk = pyfunc_core.get_model_config()['k']\npyfunc_core.set_model(lambda rows: [r * k for r in rows['x']])\n"
    path = tmp_path / "m"
    save_model(path, python_model=model_file(tmp_path, "fn", body), model_config={"k": 3})
    assert load_model(path).predict(pd.DataFrame({"x": [1, 2]})) == [3, 6]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x = 1\n", "did not call pyfunc_core.set_model"),
        ("raise KeyError('nope')\n", "Running the model file 'bad.py' failed: KeyError: 'nope'"),
        (
            "import pyfunc_core\npyfunc_core.set_model(42)\n",
            "set_model() takes a PythonModel instance or a callable, got int",
        ),
    ],
)
def test_bad_model_files_fail_in_one_line(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises((ModelLoadError, InvalidParameterError)) as info:
        save_model(tmp_path / "m", python_model=model_file(tmp_path, "bad", body))
    assert message in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "m").exists()
    with pytest.raises(InvalidParameterError, match=r"must name an existing \.py file"):
        save_model(tmp_path / "m", python_model=tmp_path / "missing.py")


@dataclasses.dataclass
class Point:
    x: float
    label: Optional[str] = None


HINTED = {
    "strings": ("def predict(self, model_input: list[str], params=None) -> list[str]:\n        return [s.upper() for s in model_input]",
                '[{"type": "string", "required": true}]'),
    "dicts": ("def predict(self, model_input: list[dict[str, Any]], params=None):\n        return [sorted(d) for d in model_input]",
              '[{"type": "map", "values": {"type": "any"}, "required": true}]'),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(HINTED))
def test_signature_from_type_hints(tmp_path: Path, kind: str) -> None:
    method, schema = HINTED[kind]
    body = f"from typing import Any\nimport pyfunc_core\nclass M(pyfunc_core.PythonModel):\n    {method}\npyfunc_core.set_model(M())\n"
    path = tmp_path / kind
    save_model(path, python_model=model_file(tmp_path, kind, body))
    meta = yaml.safe_load((path / "MLmodel").read_text())
    assert meta["signature"]["inputs"] == schema and meta["is_signature_from_type_hint"] is True
    model = load_model(path)
    if kind == "strings":
        assert model.predict(["a", "b"]) == ["A", "B"]
        assert model.predict(pd.DataFrame({0: ["c"]})) == ["C"]
        with pytest.raises(
            InvalidInputError,
            match=r"Failed to validate data against type hint `list\[str\]`, invalid elements: \[\('1', 'Expected type str, but got int'\)\]",
        ):
            model.predict(["a", 1])
    else:
        assert model.predict([{"b": 1, "a": 2}]) == [["a", "b"]]
        assert model.predict(pd.DataFrame([{"a": 1}])) == [["a"]]
        with pytest.raises(InvalidInputError, match="Expected dict, but got str"):
            model.predict(["x"])


class Dist(PythonModel):
    def predict(self, model_input: list[Point], params=None) -> list[float]:
        return [p.x * 2 for p in model_input]


def test_dataclass_hints_convert_dicts(tmp_path: Path) -> None:
    from pyfunc_core.python_model.type_hints import signature_from_type_hints

    sig = signature_from_type_hints(Dist())
    assert json.loads(sig.inputs.to_json()) == [{"type": "object", "properties": {
        "label": {"type": "string", "required": False}, "x": {"type": "double", "required": True}}, "required": True}]  # fmt: skip
    path = tmp_path / "m"
    save_model(path, Dist())
    model = load_model(path)
    assert model.predict([{"x": 1.5}, {"x": 2.0, "label": "a"}]) == [3.0, 4.0]
    with pytest.raises(InvalidInputError, match="missing fields \\['x'\\]"):
        model.predict([{"label": "a"}])


TASKS = {"EchoChat": "agent/v1/chat", "EchoAgent": "agent/v2/chat", "EchoResponses": "agent/v1/responses"}


@pytest.mark.parametrize("cls", sorted(TASKS))
def test_chat_and_agent_models_have_fixed_signatures_and_tasks(tmp_path: Path, cls: str) -> None:
    path = tmp_path / cls
    save_model(path, python_model=agent_file(tmp_path, cls))
    meta = yaml.safe_load((path / "MLmodel").read_text())
    assert meta["metadata"]["task"] == TASKS[cls]
    assert meta["flavors"]["python_function"]["streamable"] is True
    sig = ModelSignature.from_dict(meta["signature"])
    assert sig.inputs.has_composite()
    model = load_model(path)
    if cls == "EchoChat":
        out = model.predict(
            {"messages": [{"role": "user", "content": "hi there"}], "custom_inputs": {"a": 1}}
        )
        assert out["choices"][0]["message"] == {"role": "assistant", "content": "echo: hi there"}
        assert out["object"] == "chat.completion" and out["custom_outputs"] == {"a": 1}
        chunks = list(model.predict_stream({"messages": [{"role": "user", "content": "a b"}]}))
        assert [c["choices"][0]["delta"].get("content") for c in chunks] == ["a", " b", None]
        assert len({c["id"] for c in chunks}) == 1
    elif cls == "EchoAgent":
        out = model.predict({"messages": [{"role": "user", "content": "hi"}], "custom_inputs": {"k": "v"}})
        assert out == {
            "messages": [{"role": "assistant", "content": "echo: hi", "id": "m-1"}],
            "custom_outputs": {"k": "v"},
        }
        assert [
            c["delta"]["content"]
            for c in model.predict_stream({"messages": [{"role": "user", "content": "x y"}]})
        ] == ["x", "y"]
    else:
        out = model.predict({"input": [{"role": "user", "content": "hi"}]})
        assert out["output"][0]["content"][0]["text"] == "echo: hi" and out["object"] == "response"
        events = list(model.predict_stream({"input": [{"role": "user", "content": "a b"}]}))
        assert [e["type"] for e in events] == ["response.output_text.delta"] * 2 + [
            "response.output_item.done"
        ]
    with pytest.raises(InvalidInputError, match="Model is missing inputs"):
        model.predict({"custom_inputs": {}})


def test_a_one_row_frame_is_a_request(tmp_path: Path) -> None:
    path = tmp_path / "a"
    save_model(path, python_model=agent_file(tmp_path, "EchoAgent"))
    model = load_model(path)
    frame = pd.DataFrame({"messages": [[{"role": "user", "content": "hi"}]], "custom_inputs": [None]})
    assert model.predict_prepared(frame)["messages"][0]["content"] == "echo: hi"


def test_hints_of_a_class_pickled_by_value_survive_the_pickle(tmp_path: Path) -> None:
    """A class defined in a function is pickled by value without its module's globals, so its
    string annotations (``from __future__ import annotations``) are resolved when it is made."""

    class LocalDist(PythonModel):
        def predict(self, model_input: list[Point], params=None) -> list[float]:
            return [p.x + 1 for p in model_input]

    save_model(tmp_path / "m", LocalDist())
    assert load_model(tmp_path / "m").predict([{"x": 1.0}]) == [2.0]
