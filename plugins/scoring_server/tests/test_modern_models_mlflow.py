"""MLflow 3 and pyfunc-core exchange modern pyfunc models, both ways.

In a virtualenv of its own (MLflow, this pyfunc-core and this scoring server, built once per
machine and source), MLflow writes models from code, a ChatModel, a ChatAgent, a
ResponsesAgent and type-hinted PythonModels, which our server (run with that venv's Python,
where ``mlflow`` is installed as their requirements say) loads and serves unchanged; and
MLflow loads and predicts with the models-from-code, chat and agent directories we write.
"""

from __future__ import annotations

import json
import os
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import pytest
import requests
import yaml

from pyfunc_core import save_model
from pyfunc_core.testing import ServerProcess
from repo_testing import cached_venv, run_checked, shared_test_cache

MLFLOW_REQUIREMENT = "mlflow-skinny==3.17.2"
SCRIPT = Path(__file__).parent / "mlflow_side" / "modern_models.py"
AGENTS = Path(__file__).parents[3] / "core" / "tests" / "modern_models" / "agents.py"
MATCHED = ("numpy", "pandas", "cloudpickle")
HINTED = """
import pyfunc_core
from pyfunc_core import PythonModel


class Lengths(PythonModel):
    def predict(self, model_input: list[str], params=None) -> list[int]:
        return [len(s) for s in model_input]


pyfunc_core.set_model(Lengths())
"""
PLAIN = """
import pyfunc_core

k = pyfunc_core.get_model_config()["k"]


class Plus(pyfunc_core.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input + k


pyfunc_core.set_model(Plus())
"""
ASK = {"messages": [{"role": "user", "content": "hello big world"}]}
#: our directories -> the request MLflow predicts on, and whether it streams too
OURS = {
    "EchoChat": {"request": ASK, "stream": True},
    "EchoAgent": {"request": ASK, "stream": True},
    "EchoResponses": {"request": {"input": [{"role": "user", "content": "hello big world"}]}, "stream": True},
    "hinted": {"request": ["ab", "cde"]},
    "plain": {"request": {"x": [1.0, 2.0]}},
}


@pytest.fixture(scope="module")
def mlflow_python() -> Path:
    from pyfunc_core.envs.host_distributions import host_distribution, install_arguments

    if sys.version_info < (3, 10):
        pytest.skip(f"{MLFLOW_REQUIREMENT} needs Python >= 3.10; checked on the newer Pythons")
    cache = shared_test_cache()
    ours = [host_distribution("pyfunc-core"), host_distribution("pyfunc-scoring-server")]
    args = install_arguments(ours, root=cache / "pyfunc-core-wheels")
    pins = [MLFLOW_REQUIREMENT, *(f"{n}=={metadata.version(n)}" for n in MATCHED)]
    return cached_venv("mlflow-serving-venv", [*pins, *args],
                       check="import mlflow.pyfunc, pyfunc_core, pyfunc_scoring_server, pydantic", timeout=1500)  # fmt: skip


@pytest.fixture(scope="module")
def exchanged(tmp_path_factory: pytest.TempPathFactory, mlflow_python: Path) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("modern")
    src = root / "src"
    src.mkdir()
    for cls in ("EchoChat", "EchoAgent", "EchoResponses"):
        file = src / f"{cls.lower()}.py"
        file.write_text(AGENTS.read_text() + f"\nimport pyfunc_core\npyfunc_core.set_model({cls}())\n")
        save_model(root / "ours" / cls, python_model=file)
    (src / "hinted.py").write_text(HINTED)
    save_model(root / "ours" / "hinted", python_model=src / "hinted.py")
    (src / "plain.py").write_text(PLAIN)
    example = pd.DataFrame({"x": [1.0]})
    save_model(
        root / "ours" / "plain", python_model=src / "plain.py", model_config={"k": 10}, input_example=example
    )
    (root / "ours.json").write_text(json.dumps(OURS))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONWARNINGS"] = "ignore"
    run_checked(
        [str(mlflow_python), str(SCRIPT), str(root)], 900, "MLflow writing and loading models", env=env
    )
    return {"root": root, **json.loads((root / "results.json").read_text())}


# -- ours, loaded by MLflow ------------------------------------------------------------------


def test_mlflow_loads_our_chat_and_agent_models(exchanged: dict[str, Any]) -> None:
    assert exchanged["mlflow_version"].startswith("3.")
    ours = exchanged["ours"]
    chat = ours["EchoChat"]
    assert chat["predict"]["ok"]["choices"][0]["message"]["content"] == "echo: hello big world", chat
    assert [c["choices"][0]["delta"].get("content") for c in chat["stream"]["ok"]] == [
        "hello",
        " big",
        " world",
        None,
    ]
    agent = ours["EchoAgent"]
    assert agent["predict"]["ok"]["messages"][0]["content"] == "echo: hello big world", agent
    assert [c["delta"]["content"] for c in agent["stream"]["ok"]] == ["hello", "big", "world"]
    responses = ours["EchoResponses"]
    assert responses["predict"]["ok"]["output"][0]["content"][0]["text"] == "echo: hello big world", responses
    assert responses["stream"]["ok"][-1]["type"] == "response.output_item.done"


def test_mlflow_loads_our_models_from_code(exchanged: dict[str, Any]) -> None:
    ours = exchanged["ours"]
    assert ours["hinted"]["predict"] == {"ok": [2, 3]}, ours["hinted"]
    assert ours["plain"]["predict"] == {"ok": {"x": [11.0, 12.0]}}, ours["plain"]


def signature_of(path: Path) -> dict[str, Any]:
    return yaml.safe_load((path / "MLmodel").read_text())["signature"]


@pytest.mark.parametrize(("ours", "theirs"), [("EchoChat", "chat_model"), ("EchoAgent", "chat_agent"),
                                              ("EchoResponses", "responses_agent")])  # fmt: skip
def test_our_chat_and_agent_signatures_are_mlflows(exchanged: dict[str, Any], ours: str, theirs: str) -> None:
    root = exchanged["root"]
    assert signature_of(root / "ours" / ours) == signature_of(root / "mlflow" / theirs)
    ours_meta = yaml.safe_load((root / "ours" / ours / "MLmodel").read_text())
    theirs_meta = yaml.safe_load((root / "mlflow" / theirs / "MLmodel").read_text())
    assert ours_meta["metadata"]["task"] == theirs_meta["metadata"]["task"]


@pytest.mark.parametrize("name", ["hint_pydantic", "hint_str"])
def test_our_type_hint_signatures_are_mlflows(exchanged: dict[str, Any], name: str) -> None:
    root = exchanged["root"]
    assert (
        signature_of(root / "ours-in-venv" / name)["inputs"] == signature_of(root / "mlflow" / name)["inputs"]
    )
    meta = yaml.safe_load((root / "ours-in-venv" / name / "MLmodel").read_text())
    assert meta["is_signature_from_type_hint"] is True


def test_pydantic_hints_convert_in_ours_and_mlflow(exchanged: dict[str, Any]) -> None:
    result = exchanged["pydantic"]
    assert result["pyfunc_core"] == {"ok": ["user:hi"]}, result
    assert result["mlflow"] == {"ok": ["user:hi"]}, result
    assert result["pyfunc_core_bad"]["error"].startswith(
        "InvalidInputError: Failed to validate data against type hint `list[Message]`"
    )


# -- MLflow's, served by us ------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(exchanged: dict[str, Any], mlflow_python: Path) -> Iterator[dict[str, ServerProcess]]:
    root = exchanged["root"]
    started: dict[str, ServerProcess] = {}
    try:
        for name in ("code_plain", "chat_model", "chat_agent", "responses_agent", "hint_str", "hint_dict",
                     "hint_pydantic"):  # fmt: skip
            started[name] = ServerProcess(
                root / "mlflow" / name, log=root / f"{name}.log", python=str(mlflow_python)
            )
        yield started
    finally:
        for server in started.values():
            server.stop()


def events(server: ServerProcess, path: str, body: dict[str, Any]) -> list[Any]:
    with requests.post(server.url + path, json=body, stream=True, timeout=60) as r:
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"] == "text/event-stream"
        data = [line[6:] for line in r.iter_lines(decode_unicode=True) if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    return [json.loads(d) for d in data[:-1]]


def test_we_serve_mlflow_models_from_code(served: dict[str, ServerProcess]) -> None:
    r = requests.post(served["code_plain"].url + "/invocations", json={"inputs": [1.5, 2.0]}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": [{"0": 3.0}, {"0": 4.0}]} or r.json() == {"predictions": [3.0, 4.0]}


def test_we_serve_mlflow_chat_model(served: dict[str, ServerProcess]) -> None:
    server = served["chat_model"]
    r = requests.post(server.url + "/invocations", json=ASK, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["content"] == "echo: hello big world"
    chunks = events(server, "/invocations", {**ASK, "stream": True})
    assert [c["choices"][0]["delta"]["content"] for c in chunks] == ["hello", "big", "world"]
    r = requests.post(server.url + "/v1/chat/completions", json={"model": "chat_model", **ASK}, timeout=60)
    assert r.json()["choices"][0]["message"]["content"] == "echo: hello big world"
    assert r.json()["model"] == "chat_model"


def test_we_serve_mlflow_chat_agent(served: dict[str, ServerProcess]) -> None:
    server = served["chat_agent"]
    r = requests.post(server.url + "/invocations", json={**ASK, "custom_inputs": {"k": "v"}}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["messages"][0]["content"] == "echo: hello big world"
    assert r.json()["custom_outputs"] == {"k": "v"}
    chunks = events(server, "/invocations", {**ASK, "stream": True})
    assert [c["delta"]["content"] for c in chunks] == ["hello", "big", "world"]
    chunks = events(server, "/v1/chat/completions", {"model": "chat_agent", "stream": True, **ASK})
    assert [c["choices"][0]["delta"].get("content") for c in chunks] == ["hello", "big", "world", None]


def test_we_serve_mlflow_responses_agent(served: dict[str, ServerProcess]) -> None:
    server = served["responses_agent"]
    r = requests.post(server.url + "/invocations", json=OURS["EchoResponses"]["request"], timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["output"][0]["content"][0]["text"] == "echo: hello big world"
    r = requests.post(
        server.url + "/v1/responses", json={"model": "responses_agent", "input": "hi"}, timeout=60
    )
    assert r.status_code == 200, r.text
    assert r.json()["output"][0]["content"][0]["text"] == "echo: hi" and r.json()["status"] == "completed"
    streamed = events(server, "/v1/responses", {"model": "responses_agent", "input": "a b", "stream": True})
    assert [e["type"] for e in streamed] == ["response.created", "response.output_text.delta",
        "response.output_text.delta", "response.output_item.done", "response.completed"]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "inputs", "expected"),
    [
        ("hint_str", ["ab", "c"], ["AB", "C"]),
        ("hint_dict", [{"b": 1, "a": 2}], ["a,b"]),
        ("hint_pydantic", [{"role": "user", "content": "hi"}], ["user:hi"]),
    ],
)
def test_we_serve_mlflow_type_hinted_models(
    served: dict[str, ServerProcess], name: str, inputs: Any, expected: Any
) -> None:
    r = requests.post(served[name].url + "/invocations", json={"inputs": inputs}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": expected}


def test_type_hint_violations_are_one_line_400s(served: dict[str, ServerProcess]) -> None:
    r = requests.post(served["hint_str"].url + "/invocations", json={"inputs": ["a", 1]}, timeout=60)
    assert r.status_code == 400 and "\n" not in r.json()["message"]
    assert "list[str]" in r.json()["message"]
    r = requests.post(
        served["hint_pydantic"].url + "/invocations", json={"inputs": [{"role": "user"}]}, timeout=60
    )
    assert r.status_code == 400, r.text
