"""The ``pyfunc-core`` command line: info, predict, serve, prepare-env."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
import numpy as np
import pandas as pd
import pytest

from pyfunc_core import ModelSignature, ParamSchema, ParamSpec, hookimpl, infer_signature, save_model
from pyfunc_core.envs.base import Environment, EnvironmentManager
from pyfunc_core.registry import EnvManager


@pytest.fixture
def add_model(tmp_path, models):
    """A model with a column signature and a params schema, in a path with a space."""
    path = tmp_path / "my model"
    example = pd.DataFrame({"x": [1.0, 2.0], "y": [3, 4]})
    signature = ModelSignature(
        inputs=infer_signature(example).inputs,
        params=ParamSchema([ParamSpec("n", "double", 0.5)]),
    )
    save_model(path, models.AddN(), signature=signature, input_example=example, metadata={"k": "v"})
    return path


def test_info_text_and_json(add_model, pyfunc_cli):
    text = pyfunc_cli("info", "-m", str(add_model))
    assert text.exit_code == 0
    lines = text.output.splitlines()
    assert lines[0] == f"model:        {add_model}"
    assert "flavors:      python_function" in lines
    assert "loader:       pyfunc_core.python_model -> python_model" in lines
    assert "inputs:       x: double, y: long" in lines
    assert "params:       n: double" in lines
    assert lines[-1].startswith("requirements: cloudpickle==")

    data = json.loads(pyfunc_cli("info", "-m", str(add_model), "--json").output)
    assert data["loaded_by"] == "python_model" and data["install_hint"] is None
    assert data["metadata"] == {"k": "v"}
    assert json.loads(data["signature"]["params"]) == [
        {"name": "n", "type": "double", "default": 0.5, "shape": None}
    ]


def test_predict_json_stdin_to_stdout(add_model, pyfunc_cli):
    body = '{"dataframe_split": {"columns": ["y", "x"], "data": [[1, 1.5]]}, "params": {"n": 1}}'
    result = pyfunc_cli("predict", "-m", str(add_model), input=body)
    assert result.exit_code == 0, result.output
    assert result.stdout == '{"predictions": [{"x": 2.5, "y": 2.0}]}\n'


def test_predict_files_with_spaces(add_model, tmp_path, pyfunc_cli):
    source = tmp_path / "in put.json"
    source.write_text('{"dataframe_records": [{"x": 1, "y": 2}]}')
    target = tmp_path / "out dir" / "pred ictions.json"
    target.parent.mkdir()
    result = pyfunc_cli("predict", "-m", str(add_model), "-i", str(source), "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == b'{"predictions": [{"x": 1.5, "y": 2.5}]}\n'


def test_predict_csv_stdin_and_bad_input(add_model, pyfunc_cli):
    result = pyfunc_cli("predict", "-m", str(add_model), "-t", "csv", input="x,y\n1,2\n3,4\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == '{"predictions": [{"x": 1.5, "y": 2.5}, {"x": 3.5, "y": 4.5}]}\n'
    assert "scored 2 rows" in result.stderr

    bad = pyfunc_cli("predict", "-m", str(add_model), "-t", "csv", input="x,y\n1.5,oops\n")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("Error: ") and "oops" in bad.stderr and bad.stderr.count("\n") == 1
    missing = pyfunc_cli("predict", "-m", str(add_model), input='{"inputs": {"x": [1.0]}}')
    assert missing.exit_code == 1
    assert missing.stderr == "Error: Model is missing inputs ['y'].\n"
    wrong_type = pyfunc_cli(
        "predict", "-m", str(add_model), input='{"dataframe_records": [{"x": 1, "y": 2.5}]}'
    )
    assert (
        "Error: Incompatible input types for column y. Can not safely convert float64 to int64."
        in wrong_type.stderr
    )
    bad_param = pyfunc_cli(
        "predict", "-m", str(add_model), input='{"inputs": {"x": [1.0], "y": [1]}, "params": {"n": "x"}}'
    )
    assert "param 'n'" in bad_param.stderr and bad_param.exit_code == 1
    no_file = pyfunc_cli("predict", "-m", str(add_model), "-i", "/nonexistent/input.json")
    assert no_file.exit_code == 1 and no_file.stderr.startswith("Error: ")


def test_large_csv_in_chunks_equals_one_shot(add_model, tmp_path, pyfunc_cli):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=2_500), "y": rng.integers(-5, 5, size=2_500)})
    frame.loc[7, "x"] = np.nan
    source = tmp_path / "big input.csv"
    frame.to_csv(source, index=False)
    outputs = {}
    for chunk in ("0", "1000", "7"):
        out = tmp_path / f"out {chunk}.json"
        result = pyfunc_cli("predict", "-m", str(add_model), "-t", "csv", "-i", str(source), "-o", str(out),
                            "--chunk-size", chunk)  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs[chunk] = out.read_bytes()
    assert outputs["0"] == outputs["1000"] == outputs["7"]
    predictions = json.loads(outputs["0"])["predictions"]
    assert len(predictions) == 2_500 and predictions[1]["y"] == frame["y"][1] + 0.5


def test_chunked_predict_refuses_models_that_do_not_answer_per_row(tmp_path, pyfunc_cli):
    from pyfunc_core import PythonModel

    class Count(PythonModel):
        def predict(self, context, model_input, params=None):
            return {"rows": len(model_input)}

    save_model(tmp_path / "count", Count())
    result = pyfunc_cli("predict", "-m", str(tmp_path / "count"), "-t", "csv", input="a\n1\n")
    assert result.exit_code == 1
    assert "use --chunk-size 0" in result.stderr
    whole = pyfunc_cli(
        "predict", "-m", str(tmp_path / "count"), "-t", "csv", "--chunk-size", "0", input="a\n1\n"
    )
    assert whole.stdout == '{"predictions": {"rows": 1}}\n'


def test_a_model_that_raises_fails_in_one_line(tmp_path, cli_subprocess):
    from pyfunc_core import PythonModel

    class Exploding(PythonModel):
        def predict(self, context, model_input, params=None):
            raise ValueError("model exploded\nsecond line")

    save_model(tmp_path / "boom", Exploding())
    result = cli_subprocess("predict", "-m", str(tmp_path / "boom"), input=b'{"inputs": [1]}')
    assert result.returncode == 1
    assert result.stderr == b"Error: ValueError: model exploded (PYFUNC_CORE_DEBUG=1 shows the traceback)\n"
    debug = cli_subprocess("predict", "-m", str(tmp_path / "boom"), input=b'{"inputs": [1]}',
                           env={"PYFUNC_CORE_DEBUG": "1"})  # fmt: skip
    assert b"Traceback" in debug.stderr and debug.returncode == 1


def test_serve_without_a_server_plugin_names_what_to_install(add_model, cli_subprocess):
    result = cli_subprocess("serve", "-m", str(add_model), env={"PYFUNC_CORE_PLUGINS": ""})
    assert result.returncode == 1
    assert result.stdout == b""
    assert result.stderr == b"Error: No server plugin is installed: pip install pyfunc-scoring-server\n"


def test_serve_hands_options_to_the_server_plugin(
    add_model, pyfunc_plugins, pyfunc_cli, add_recording_server
):
    plugin = add_recording_server()
    has_others = len(pyfunc_plugins.servers) > 1
    args = ["serve", "-m", str(add_model), "-p", "6001", "-w", "2", "--batch-max-size", "32"]
    result = pyfunc_cli(*args, *(["--server", "recorder"] if has_others else []))
    assert result.exit_code == 0, result.output
    (options,) = plugin.seen
    assert options.model_path == add_model.resolve()
    assert (options.name, options.port, options.extra["workers"], options.extra["batch_max_size"]) == (
        "my model", 6001, 2, 32,
    )  # fmt: skip
    unknown = pyfunc_cli("serve", "-m", str(add_model), "--server", "nope")
    assert unknown.exit_code == 1 and "No server 'nope' is installed (installed: " in unknown.stderr


def test_prepare_env_local(add_model, tmp_path, pyfunc_cli, models):
    result = pyfunc_cli("prepare-env", "-m", str(add_model), "--env-manager", "local")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"environment ready (local): {sys.executable}\n"

    save_model(tmp_path / "needs", models.Echo(), extra_pip_requirements=["surely-not-installed-pkg==1.0"])
    warned = pyfunc_cli("prepare-env", "-m", str(tmp_path / "needs"))
    assert warned.exit_code == 0
    assert "the model requires surely-not-installed-pkg==1.0, which is not installed" in warned.stderr


def test_unknown_env_manager_hint(add_model, cli_subprocess):
    env = {"PYFUNC_CORE_PLUGINS": ""}
    conda = cli_subprocess("prepare-env", "-m", str(add_model), "--env-manager", "conda", env=env)
    assert conda.returncode == 1
    assert conda.stderr == b"Error: No environment manager 'conda' is installed: pip install pyfunc-conda\n"
    odd = cli_subprocess("predict", "-m", str(add_model), "--env-manager", "odd", env=env)
    assert odd.stderr == (
        b"Error: No environment manager 'odd' is installed: pip install a plugin that provides it (installed: local)\n"
    )


class SameInterpreter(EnvironmentManager):
    """An environment manager whose environment is this interpreter: exercises the hand-over."""

    name = "same"

    def prepare(self, model_dir, *, reporter=print):
        reporter(f"using {sys.executable} for {model_dir.path.name}")
        return Environment(manager=self.name, python=sys.executable, env_vars={"PYFUNC_CORE_PLUGINS": ""})


class SamePlugin:
    @hookimpl
    def register_env_managers(self, registry):
        registry.add(EnvManager("same", SameInterpreter))


def test_predict_runs_inside_an_environment_manager(add_model, tmp_path, pyfunc_plugins, pyfunc_cli):
    pyfunc_plugins.add_plugin(SamePlugin(), name="same-env")
    source = tmp_path / "in.json"
    source.write_text('{"dataframe_records": [{"x": 1, "y": 2}]}')
    target = tmp_path / "out.json"
    result = pyfunc_cli(
        "predict", "-m", str(add_model), "-i", str(source), "-o", str(target), "--env-manager", "same"
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == b'{"predictions": [{"x": 1.5, "y": 2.5}]}\n'


def test_version_and_help(pyfunc_cli):
    assert pyfunc_cli("--version").output == "pyfunc-core, version 0.1.0\n"
    help_text = pyfunc_cli("--help").output
    for command in ("plugins", "info", "predict", "serve", "prepare-env"):
        assert command in help_text


def test_forwarded_arguments_are_the_ones_given(tmp_path, pyfunc_cli):
    """What ``--env-manager`` hands to the environment: options given explicitly (flags,
    repeated options, short forms, variables), paths made absolute, nothing defaulted."""
    from pyfunc_core.cli.options import explicit_argv

    @click.command()
    @click.option("-m", "--model", "model_path", type=click.Path(path_type=Path))
    @click.option("-w", "--workers", type=int, default=1)
    @click.option("--tag", multiple=True)
    @click.option("--debug", is_flag=True)
    @click.option("--color/--no-color", default=True)
    @click.option("--env-manager", default="local")
    def command(**_: object) -> None: ...

    args = ["-m", "rel", "-w", "3", "--tag", "a", "--tag", "b", "--no-color", "--env-manager", "conda"]
    with command.make_context("c", args, auto_envvar_prefix="PYFUNC_X") as ctx:
        assert explicit_argv(ctx, env_manager=None) == [
            "--model", str(Path("rel").resolve()), "--workers", "3", "--tag", "a", "--tag", "b", "--no-color",
        ]  # fmt: skip
    with command.make_context("c", ["--debug"]) as ctx:
        assert explicit_argv(ctx, workers=5) == ["--workers", "5", "--debug"]
    os.environ["PYFUNC_X_WORKERS"] = "4"
    try:
        with command.make_context("c", [], auto_envvar_prefix="PYFUNC_X") as ctx:
            assert explicit_argv(ctx) == ["--workers", "4"]
    finally:
        del os.environ["PYFUNC_X_WORKERS"]
