"""prepare-env / predict through real virtualenvs: build, reuse, failures, concurrency."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def env_python(root, list_envs):
    (env,) = list_envs(root)
    return env / "bin" / "python"


def test_prepare_builds_once_then_reuses(tmp_path, six_model, run_cli, list_envs):
    root = tmp_path / "envs"
    first = run_cli(root, "prepare-env", "-m", str(six_model), "--env-manager", "virtualenv")
    assert first.returncode == 0, first.stderr
    assert "building a virtualenv for Python" in first.stderr
    assert "installing 2 model requirements" in first.stderr
    assert "done in" in first.stderr  # progress carries timings
    (env,) = list_envs(root)
    assert str(env) in first.stdout
    marker = env / ".pyfunc-env.json"
    stamp = marker.stat().st_mtime_ns
    six = subprocess.run(
        [str(env / "bin" / "python"), "-c", "import six; print(six.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert six.stdout.strip() == "1.16.0"

    second = run_cli(root, "prepare-env", "-m", str(six_model), "--env-manager", "virtualenv")
    assert second.returncode == 0, second.stderr
    assert "reusing environment" in second.stderr
    assert "installing" not in second.stderr and "creating" not in second.stderr
    assert marker.stat().st_mtime_ns == stamp
    assert list_envs(root) == [env]


def test_predict_runs_in_the_model_environment(tmp_path, shared_env_root, six_model, run_cli):
    data = tmp_path / "input.json"
    data.write_text(json.dumps({"inputs": [[1], [2], [3]]}))
    out = run_cli(
        shared_env_root, "predict", "-m", str(six_model), "-i", str(data), "--env-manager", "virtualenv"
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"predictions": ["1.16.0", "1.16.0", "1.16.0"]}


def test_exit_code_of_the_inner_command_passes_through(tmp_path, shared_env_root, six_model, run_cli):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    out = run_cli(
        shared_env_root, "predict", "-m", str(six_model), "-i", str(bad), "--env-manager", "virtualenv"
    )
    assert out.returncode == 1
    assert "Error:" in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_requirement_fails_with_the_installer_message_and_leaves_nothing(
    tmp_path, make_six_model, run_cli, list_envs
):
    model = make_six_model(tmp_path / "model", "pyfunc-no-such-distribution-x7q==1.0")
    root = tmp_path / "envs"
    out = run_cli(root, "prepare-env", "-m", str(model), "--env-manager", "virtualenv")
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "Error: installing" in out.stderr
    assert "pyfunc-no-such-distribution-x7q" in out.stderr  # uv's/pip's own explanation
    assert "failed (exit code" in out.stderr
    assert list_envs(root) == []


def test_unknown_python_version_is_one_clear_error(tmp_path, make_six_model, run_cli, list_envs):
    model = make_six_model(tmp_path / "model", "six==1.16.0")
    env_file = model / "python_env.yaml"
    env_file.write_text(env_file.read_text().replace(f"python: {_host_version()}", "python: 3.4.1"))
    root = tmp_path / "envs"
    out = run_cli(root, "prepare-env", "-m", str(model), "--env-manager", "virtualenv")
    assert out.returncode == 1
    assert "needs Python 3.4.1" in out.stderr
    assert "pyenv install 3.4.1" in out.stderr
    assert "Traceback" not in out.stderr
    assert list_envs(root) == []


def test_concurrent_prepare_builds_one_good_environment(tmp_path, six_model, env_for, list_envs):
    root = tmp_path / "envs"
    cmd = [
        sys.executable,
        "-m",
        "pyfunc_core",
        "prepare-env",
        "-m",
        str(six_model),
        "--env-manager",
        "virtualenv",
    ]
    procs = [
        subprocess.Popen(cmd, env=env_for(root), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    errs = [err for _, err in results]
    assert sum("building a virtualenv" in err for err in errs) == 1, errs
    (env,) = list_envs(root)
    assert all(str(env) in out for out, _ in results)
    check = subprocess.run(
        [str(env / "bin" / "python"), "-c", "import six, pyfunc_core; print(six.__version__)"],
        capture_output=True,
        text=True,
    )
    assert check.stdout.strip() == "1.16.0", check.stderr


def _host_version() -> str:
    return ".".join(map(str, sys.version_info[:3]))
