"""Every CLI mistake a new user makes ends in one line that says what to do (issue 12)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from pyfunc_core import infer_signature, load_model, save_model
from pyfunc_core.errors import MissingFlavorError
from pyfunc_core.plugins import Plugins, reset_plugins
from pyfunc_core.testing import ServerProcess, free_port

needs_scoring_server = pytest.mark.skipif(
    importlib.util.find_spec("pyfunc_scoring_server") is None, reason="pyfunc-scoring-server is not installed"
)
NO_PLUGIN = "install a plugin that provides it; 'pyfunc-core plugins' lists the installed ones"


def one_error_line(result) -> str:
    """The single ``Error: ...`` line a failed in-process command printed (exit code 1)."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr.rstrip("\n")


@pytest.fixture
def add_model(tmp_path, models):
    path = tmp_path / "add model"
    example = pd.DataFrame({"x": [1.0, 2.0], "y": [3, 4]})
    save_model(path, models.AddN(), signature=infer_signature(example))
    return path


def write_mlmodel(path: Path, loader_module: str) -> Path:
    path.mkdir(parents=True)
    (path / "MLmodel").write_text(f"flavors:\n  python_function:\n    loader_module: {loader_module}\n")
    return path


# -- 1, 2: -m names a file ----------------------------------------------------------------


def test_a_file_is_not_a_model_directory(add_model, tmp_path, pyfunc_cli):
    inside = add_model / "python_model.pkl"
    line = one_error_line(pyfunc_cli("info", "-m", str(inside)))
    assert line == (
        f"Error: Model path '{inside}' is a file, not a model directory (a folder with an MLmodel file): "
        f"did you mean '{add_model}'?"
    )
    elsewhere = tmp_path / "model.pkl"
    elsewhere.write_bytes(b"\x80\x05junk")
    for command in ("info", "predict", "serve", "prepare-env"):
        line = one_error_line(pyfunc_cli(command, "-m", str(elsewhere), input=""))
        assert line == (
            f"Error: Model path '{elsewhere}' is a file, not a model directory (a folder with an MLmodel file)"
        )


def test_an_mlmodel_file_stands_for_its_directory(add_model, tmp_path, pyfunc_cli, add_recording_server):
    mlmodel = add_model / "MLmodel"
    by_dir = pyfunc_cli("info", "-m", str(add_model)).output
    by_file = pyfunc_cli("info", "-m", str(mlmodel))
    assert by_file.exit_code == 0 and by_file.output == by_dir
    assert "requirements: cloudpickle==" in by_file.output

    body = '{"dataframe_records": [{"x": 1.0, "y": 2}]}'
    predicted = pyfunc_cli("predict", "-m", str(mlmodel), input=body)
    assert predicted.exit_code == 0, predicted.output
    assert predicted.stdout == '{"predictions": [{"x": 1.0, "y": 2}]}\n'
    source = tmp_path / "rows.csv"
    source.write_text("x,y\n1.5,3\n")
    chunked = pyfunc_cli("predict", "-m", str(mlmodel), "-i", str(source))
    assert chunked.stdout == '{"predictions": [{"x": 1.5, "y": 3}]}\n', chunked.output

    prepared = pyfunc_cli("prepare-env", "-m", str(mlmodel))
    assert prepared.stdout == f"environment ready (local): {sys.executable}\n"
    assert load_model(mlmodel).path == add_model.resolve()

    recorder = add_recording_server()
    served = pyfunc_cli("serve", "-m", str(mlmodel), "--server", "recorder")
    assert served.exit_code == 0, served.output
    (options,) = recorder.seen
    assert (options.model_path, options.name) == (add_model.resolve(), "add model")


# -- 3: serve checks the model before the server starts ---------------------------------


def test_serve_checks_the_model_and_its_flavor_before_handing_over(
    tmp_path, pyfunc_cli, add_recording_server
):
    recorder = add_recording_server()
    missing = one_error_line(pyfunc_cli("serve", "-m", str(tmp_path / "nope"), "--server", "recorder"))
    assert missing == f"Error: Model path '{tmp_path / 'nope'}' does not exist"
    unknown = write_mlmodel(tmp_path / "xgb", "mlflow.catboost")
    line = one_error_line(pyfunc_cli("serve", "-m", str(unknown), "--server", "recorder"))
    assert line == f"Error: No installed plugin loads models of loader_module 'mlflow.catboost': {NO_PLUGIN}"
    assert recorder.seen == []  # the server was never started


@needs_scoring_server
def test_serve_fails_before_listening(tmp_path, cli_subprocess):
    port = str(free_port())
    missing = cli_subprocess("serve", "-m", "/nonexistent", "-p", port)
    assert (missing.returncode, missing.stdout) == (1, b"")
    assert missing.stderr == b"Error: Model path '/nonexistent' does not exist\n"

    unknown = write_mlmodel(tmp_path / "xgb", "mlflow.catboost")
    result = cli_subprocess("serve", "-m", str(unknown), "-p", port, "-w", "2")
    assert (result.returncode, result.stdout) == (1, b"")
    assert result.stderr.decode() == (
        f"Error: No installed plugin loads models of loader_module 'mlflow.catboost': {NO_PLUGIN}\n"
    )


# -- 4, 5: what to do when no plugin loads the flavor ------------------------------------

DEMO_PLUGIN = """
from pyfunc_core import hookimpl
from pyfunc_core.registry import Flavor

class Const:
    def predict(self, data, params=None):
        return [42]

@hookimpl
def register_flavors(registry):
    registry.add(Flavor(name="demo", load=lambda d: Const(), loader_modules=("pyfunc_demo",)))
"""


def test_a_disabled_plugin_says_how_to_enable_it(
    fake_dist, tmp_path, monkeypatch, pyfunc_plugins, pyfunc_cli
):
    fake_dist(
        "pyfunc-demo", "1.0", entry_points={"demo": "demo_plugin"}, modules={"demo_plugin": DEMO_PLUGIN}
    )
    model = write_mlmodel(tmp_path / "demo model", "pyfunc_demo")
    monkeypatch.setenv("PYFUNC_CORE_PLUGINS", "")
    reset_plugins(Plugins().load())
    how = (
        "disabled by PYFUNC_CORE_PLUGINS=''; enable it with PYFUNC_CORE_PLUGINS=demo, "
        "or unset PYFUNC_CORE_PLUGINS to load every plugin"
    )
    listed = pyfunc_cli("plugins").output
    assert f"demo  (pyfunc-demo 1.0)  [DISABLED]\n    {how}\n" in listed
    line = one_error_line(pyfunc_cli("predict", "-m", str(model), input='{"inputs": [1]}'))
    assert line == (
        f"Error: No enabled plugin loads models of loader_module 'pyfunc_demo': "
        f"plugin 'demo' (pyfunc-demo 1.0) is {how}"
    )
    info = pyfunc_cli("info", "-m", str(model)).output
    assert (
        f"loader:       pyfunc_demo -> no enabled plugin: plugin 'demo' (pyfunc-demo 1.0) is {how}\n" in info
    )
    assert "pip install" not in info

    monkeypatch.setenv("PYFUNC_CORE_PLUGINS", "demo")
    reset_plugins(Plugins().load())
    assert (
        pyfunc_cli("predict", "-m", str(model), input='{"inputs": [1]}').stdout == '{"predictions": [42]}\n'
    )


def test_a_broken_plugin_is_named_instead_of_an_install_hint(fake_dist, tmp_path, pyfunc_cli):
    fake_dist("pyfunc-demo", "1.0", entry_points={"demo": "demo_plugin"},
              modules={"demo_plugin": "raise ImportError('no numpy here')\n"})  # fmt: skip
    reset_plugins(Plugins().load())
    model = write_mlmodel(tmp_path / "demo model", "pyfunc_demo")
    line = one_error_line(pyfunc_cli("predict", "-m", str(model), input='{"inputs": [1]}'))
    assert line == (
        "Error: No working plugin loads models of loader_module 'pyfunc_demo': plugin 'demo' (pyfunc-demo 1.0) "
        "is broken: import failed: ImportError: no numpy here (see 'pyfunc-core plugins')"
    )


@pytest.mark.parametrize(
    ("loader", "remedy", "distribution"),
    [
        ("mlflow.sklearn", "pip install pyfunc-sklearn", "pyfunc-sklearn"),
        ("pyfunc_sklearn", "pip install pyfunc-sklearn", "pyfunc-sklearn"),
        ("mlflow.keras", "pip install pyfunc-tensorflow", "pyfunc-tensorflow"),
        ("pyfunc_tensorflow.load", "pip install pyfunc-tensorflow", "pyfunc-tensorflow"),
        ("mlflow.catboost", NO_PLUGIN, "pyfunc-catboost"),
        ("pyfunc_poly", NO_PLUGIN, "pyfunc-poly"),
        ("catboost_pyfunc", NO_PLUGIN, "pyfunc-catboost-pyfunc"),
    ],
)
def test_pip_hints_only_for_our_own_distributions(tmp_path, loader, remedy, distribution):
    model = write_mlmodel(tmp_path / "m", loader)
    with pytest.raises(MissingFlavorError) as err:
        load_model(model, plugins=Plugins().load(entry_points=False))
    assert str(err.value) == f"No installed plugin loads models of loader_module '{loader}': {remedy}"
    assert err.value.distribution == distribution


# -- 6: PYFUNC_CORE_LOG_LEVEL -----------------------------------------------------------


@needs_scoring_server
def test_log_level_applies_to_serve_and_its_workers(add_model, tmp_path):
    logs = {}
    for level in ("", "WARNING"):
        server = ServerProcess(add_model, "-w", "2", log=tmp_path / f"serve{level}.log",
                               env={"PYFUNC_CORE_LOG_LEVEL": level})  # fmt: skip
        assert server.stop() == 0
        logs[level] = server.output()
    assert "INFO" in logs[""] and "listening on http://127.0.0.1:" in logs[""]
    assert "worker" in logs[""] and "ready" in logs[""]  # the workers' own lines
    assert " INFO " not in logs["WARNING"], logs["WARNING"]


def test_a_bad_log_level_is_one_line(cli_subprocess):
    result = cli_subprocess("plugins", env={"PYFUNC_CORE_LOG_LEVEL": "loud"})
    assert (result.returncode, result.stdout) == (1, b"")
    assert result.stderr == (
        b"Error: PYFUNC_CORE_LOG_LEVEL='loud' is not a log level: use one of DEBUG, INFO, WARNING, ERROR, CRITICAL\n"
    )
    assert cli_subprocess("plugins", env={"PYFUNC_CORE_LOG_LEVEL": "error"}).returncode == 0


# -- 7: help, rejects, content type, info -------------------------------------------------


def test_help_is_plain_text(pyfunc_cli):
    for command in ("plugins", "info", "predict", "serve", "prepare-env"):
        text = pyfunc_cli(command, "--help").output
        for markup in ("``", ":mod:", ":class:", ":func:"):
            assert markup not in text, (command, text)
    assert "Score the input (-i FILE, else stdin)" in pyfunc_cli("predict", "--help").output


def test_rejects_go_where_the_help_says(add_model, tmp_path, pyfunc_cli):
    help_text = " ".join(pyfunc_cli("predict", "--help").output.split())
    assert "(out.json -> out.rejects.jsonl)" in help_text
    source = tmp_path / "in.csv"
    source.write_text("x,y\n1.0,2\n1.5,oops\n")
    to_file = pyfunc_cli("predict", "-m", str(add_model), "-i", str(source), "-o", str(tmp_path / "out.json"),
                         "--on-error", "skip")  # fmt: skip
    assert to_file.exit_code == 0, to_file.output
    assert [json.loads(r)["record"] for r in (tmp_path / "out.rejects.jsonl").read_text().splitlines()] == [
        "1.5,oops"
    ]
    to_stdout = pyfunc_cli("predict", "-m", str(add_model), "-i", str(source), "--on-error", "skip")
    assert to_stdout.exit_code == 0, to_stdout.output
    assert (tmp_path / "in.rejects.jsonl").is_file()


def test_a_guessed_content_type_that_fails_suggests_the_right_one(add_model, tmp_path, pyfunc_cli):
    text = tmp_path / "rows.txt"
    text.write_text("x,y\n1.0,2\n")
    line = one_error_line(pyfunc_cli("predict", "-m", str(add_model), "-i", str(text)))
    assert line.startswith("Error: Invalid input. Ensure that input is a valid JSON formatted string.")
    assert line.endswith(
        "(the input was read as JSON by default for a '.txt' file; it looks like CSV: pass -t csv)"
    )
    assert pyfunc_cli("predict", "-m", str(add_model), "-i", str(text), "-t", "csv").exit_code == 0

    piped = one_error_line(pyfunc_cli("predict", "-m", str(add_model), input="x,y\n1.0,2\n"))
    assert piped.endswith("(the input was read as JSON by default for stdin; it looks like CSV: pass -t csv)")

    misnamed = tmp_path / "request.csv"
    misnamed.write_text('{"dataframe_records": [\n{"x": 1.0, "y": 2}\n]}\n')
    line = one_error_line(pyfunc_cli("predict", "-m", str(add_model), "-i", str(misnamed)))
    assert line.endswith(
        "(the input was read as CSV from its extension '.csv'; it looks like JSON: pass -t json)"
    )

    # no hint when -t was given, or when the input is the format it was read as
    explicit = one_error_line(pyfunc_cli("predict", "-m", str(add_model), "-i", str(text), "-t", "json"))
    assert "pass -t" not in explicit
    wrong_columns = tmp_path / "request.txt"
    wrong_columns.write_text('{"dataframe_records": [{"x": 1.0}]}')
    line = one_error_line(pyfunc_cli("predict", "-m", str(add_model), "-i", str(wrong_columns)))
    assert line == "Error: Model is missing inputs ['y']."


def test_info_leaves_out_what_a_minimal_model_does_not_say(tmp_path, pyfunc_cli):
    model = write_mlmodel(tmp_path / "minimal", "pyfunc_core.python_model")
    result = pyfunc_cli("info", "-m", str(model))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"model:        {model.resolve()}",
        "flavors:      python_function",
        "loader:       pyfunc_core.python_model -> python_model",
        "signature:    none",
        "requirements: none",
    ]
    data = json.loads(pyfunc_cli("info", "-m", str(model), "--json").output)
    assert (data["python_version"], data["created"], data["model_uuid"]) == (None, None, None)


def test_a_directory_where_a_file_is_expected_is_one_plain_line(add_model, tmp_path, pyfunc_cli):
    for option in ("-i", "-o"):
        body = '{"dataframe_records": [{"x": 1.0, "y": 2}]}'
        line = one_error_line(pyfunc_cli("predict", "-m", str(add_model), option, str(tmp_path), input=body))
        assert line.startswith("Error: [Errno ") and f"Is a directory: '{tmp_path}'" in line


def test_the_allow_list_compares_names_as_pip_does(fake_dist, monkeypatch):
    fake_dist("pyfunc-demo", "1.0", entry_points={"demo_flavor": "demo_plugin"},
              modules={"demo_plugin": DEMO_PLUGIN})  # fmt: skip
    for allow in ("demo-flavor", "Demo.Flavor", "PYFUNC_demo"):
        monkeypatch.setenv("PYFUNC_CORE_PLUGINS", allow)
        assert Plugins().load().info("demo_flavor").status == "ok", allow
    monkeypatch.setenv("PYFUNC_CORE_PLUGINS", "demo")
    assert Plugins().load().info("demo_flavor").status == "disabled"
