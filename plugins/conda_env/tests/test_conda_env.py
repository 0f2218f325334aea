"""Real conda environments from a local file:// channel through py-rattler."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def environments(root):
    return sorted(p for p in root.iterdir() if not p.name.startswith(".")) if root.exists() else []


def test_prepare_builds_once_then_reuses(tmp_path, conda_model, run_cli):
    root = tmp_path / "envs"
    first = run_cli(root, "prepare-env", "-m", str(conda_model), "--env-manager", "conda")
    assert first.returncode == 0, first.stderr
    assert "building a conda environment with rattler" in first.stderr
    assert "installing 2 conda packages" in first.stderr
    assert "done in" in first.stderr
    (env,) = environments(root)
    assert str(env) in first.stdout
    records = sorted(p.name.rsplit("-", 2)[0] for p in (env / "conda-meta").glob("*.json"))
    assert records == ["pip", "python"]
    probe = subprocess.run(
        [str(env / "bin" / "python"), "-c", "import sys, six; print(sys.prefix); print(six.__version__)"],
        capture_output=True,
        text=True,
    )
    assert probe.stdout.split() == [str(env), "1.16.0"], probe.stderr
    stamp = (env / ".pyfunc-env.json").stat().st_mtime_ns

    second = run_cli(root, "prepare-env", "-m", str(conda_model), "--env-manager", "conda")
    assert second.returncode == 0, second.stderr
    assert "reusing environment" in second.stderr
    assert "installing" not in second.stderr and "solving" not in second.stderr
    assert (env / ".pyfunc-env.json").stat().st_mtime_ns == stamp


@pytest.fixture(scope="module")
def shared_root(tmp_path_factory):
    """One environment cache for the tests that only need a ready environment."""
    return tmp_path_factory.mktemp("shared-envs")


def test_predict_runs_in_the_conda_environment(tmp_path, shared_root, conda_model, run_cli):
    data = tmp_path / "input.json"
    data.write_text(json.dumps({"inputs": [[1], [2]]}))
    out = run_cli(
        tmp_path / "envs", "predict", "-m", str(conda_model), "-i", str(data), "--env-manager", "conda"
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"predictions": ["1.16.0", "1.16.0"]}


def test_missing_conda_package_fails_clearly_and_leaves_nothing(tmp_path, make_conda_model, run_cli):
    model = make_conda_model(tmp_path / "model", "six==1.16.0", conda=("pyfunc-no-such-conda-package",))
    root = tmp_path / "envs"
    out = run_cli(root, "prepare-env", "-m", str(model), "--env-manager", "conda")
    assert out.returncode == 1
    assert "Error: py-rattler could not create the conda environment" in out.stderr
    assert "pyfunc-no-such-conda-package" in out.stderr
    assert "Traceback" not in out.stderr
    assert environments(root) == []


def test_missing_pip_requirement_fails_with_the_installer_message(tmp_path, make_conda_model, run_cli):
    model = make_conda_model(tmp_path / "model", "pyfunc-no-such-distribution-x7q==1.0")
    root = tmp_path / "envs"
    out = run_cli(root, "prepare-env", "-m", str(model), "--env-manager", "conda")
    assert out.returncode == 1
    assert "Error: installing" in out.stderr
    assert "pyfunc-no-such-distribution-x7q" in out.stderr
    assert "Traceback" not in out.stderr
    assert environments(root) == []


def test_concurrent_prepare_builds_one_environment(tmp_path, conda_model):
    root = tmp_path / "envs"
    env = {**os.environ, "PYFUNC_CORE_ENV_ROOT": str(root), "PYFUNC_CONDA_BACKEND": "rattler"}
    cmd = [
        sys.executable,
        "-m",
        "pyfunc_core",
        "prepare-env",
        "-m",
        str(conda_model),
        "--env-manager",
        "conda",
    ]
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert sum("building a conda environment" in err for _, err in results) == 1
    (built,) = environments(root)
    assert all(str(built) in out for out, _ in results)


def test_serves_over_http_from_the_conda_environment(tmp_path, shared_root, conda_model):
    pytest.importorskip("pyfunc_scoring_server", reason="pyfunc-scoring-server is not installed")
    import signal
    import urllib.request

    from pyfunc_core.testing import ServerProcess

    env = {"PYFUNC_CORE_ENV_ROOT": str(shared_root), "PYFUNC_CONDA_BACKEND": "rattler"}
    log = tmp_path / "serve.log"
    # SIGTERM on stop is forwarded to the server inside the environment.
    server = ServerProcess(
        conda_model, "--env-manager", "conda", log=log, env=env, start_timeout=900, wait=False
    )
    try:
        server.wait_ready()
        req = urllib.request.Request(
            f"{server.url}/invocations",
            data=json.dumps({"inputs": [[1], [2], [3]]}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            assert json.loads(resp.read()) == {"predictions": ["1.16.0"] * 3}
    finally:
        code = server.stop()
    assert code != -signal.SIGKILL, "serve did not stop within 60s of SIGTERM"
    served_from = f"{shared_root}{os.sep}conda-"  # built here, or reused from the predict test
    assert f"reusing environment {served_from}" in log.read_text() or f"s: {served_from}" in log.read_text()
