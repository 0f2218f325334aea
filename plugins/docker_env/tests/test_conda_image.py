"""``build-docker --env-manager conda``: the model's conda.yaml environment, served from an image.

The conda.yaml names ``conda-forge``, which is unreachable here; ``--conda-channel`` replaces
it with the local test channel (this interpreter repacked, and pip), copied into the build
context. The ``pip:`` section comes from PyPI inside the build.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

pytestmark = pytest.mark.slow

TAG = "pyfunc-docker-test-conda:latest"
PREFIX = "/opt/conda-env"
#: The Python the test channel holds: this interpreter, repacked (see the conda_channel fixture).
PY_VERSION = ".".join(map(str, sys.version_info[:3]))


@pytest.fixture(scope="module")
def conda_model(sklearn_model: tuple[Path, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's regression model, with a conda.yaml naming python, pip and its requirements."""
    import yaml

    path = tmp_path_factory.mktemp("conda-models") / "regression"
    shutil.copytree(sklearn_model[0], path)
    pip = (path / "requirements.txt").read_text().split()
    env = {
        "name": "pyfunc-env",
        "channels": ["conda-forge"],
        "dependencies": [f"python={PY_VERSION}", "pip", {"pip": pip}],
    }
    (path / "conda.yaml").write_text(yaml.safe_dump(env, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def conda_image(
    cli: Callable[..., Any], conda_model: Path, conda_channel: Path, build_flags: list[str]
) -> str:
    started = time.perf_counter()
    result = cli(
        "build-docker", "-m", str(conda_model), "-n", TAG, "--env-manager", "conda",
        "--conda-channel", str(conda_channel), *build_flags,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    assert "solving python=" in result.stderr and "file:///build/conda/channels/00" in result.stderr
    print(f"\nconda image built in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    return TAG


def test_conda_image_serves_predictions_from_the_conda_python(
    docker_daemon: Any,
    conda_image: str,
    sklearn_model: tuple[Path, Any],
    port_factory: Callable[[], int],
    ping_waiter: Callable[..., None],
) -> None:
    import pandas as pd

    model = sklearn_model[1]
    port = port_factory()
    container = docker_daemon.containers.run(
        conda_image, detach=True, ports={"8080/tcp": ("127.0.0.1", port)},
        environment={"PYFUNC_CORE_SERVE_WORKERS": "1"},
    )  # fmt: skip
    try:
        ping_waiter(port, alive=lambda: _running(container))
        frame = pd.DataFrame({"a": [1.0, 7.5, -2.0], "b": [1.0, 0.0, 2.0]})
        body = {"dataframe_split": frame.to_dict(orient="split", index=False)}
        resp = requests.post(f"http://127.0.0.1:{port}/invocations", json=body, timeout=30)
        assert resp.status_code == 200, resp.text
        assert resp.json()["predictions"] == pytest.approx(list(model.predict(frame)))
        # The server is PID 1 (exec), and its interpreter is the conda environment's.
        code, out = container.exec_run(["readlink", "-f", "/proc/1/exe"])
        assert code == 0 and out.decode().strip() == f"{PREFIX}/bin/python3.11", out
        container.kill(signal="SIGTERM")
        assert container.wait(timeout=60)["StatusCode"] == 0
    finally:
        container.remove(force=True)


def test_conda_image_holds_the_environment_and_no_build_tools(docker_daemon: Any, conda_image: str) -> None:
    script = (
        "import importlib.util, json, os, sys, pathlib; "
        "print(json.dumps({'prefix': sys.prefix, 'conda_prefix': os.environ.get('CONDA_PREFIX'), "
        f"'records': sorted(p.name for p in pathlib.Path('{PREFIX}/conda-meta').glob('*.json')), "
        "'rattler': importlib.util.find_spec('rattler') is not None, "
        "'build': os.path.exists('/build'), 'venv': os.path.exists('/opt/venv'), "
        "'pip_cache': os.path.exists(os.path.expanduser('~/.cache/pip')), 'uid': os.getuid()}))"
    )
    out = docker_daemon.containers.run(conda_image, entrypoint=["python", "-c", script], remove=True)
    state = json.loads(out.decode())
    assert state["prefix"] == state["conda_prefix"] == PREFIX
    assert [name.rsplit("-", 2)[0] for name in state["records"]] == ["pip", "python"]
    assert state["rattler"] is False and state["build"] is False and state["venv"] is False
    assert state["pip_cache"] is False and state["uid"] == 10001
    installed = docker_daemon.containers.run(
        conda_image, entrypoint=["cat", f"{PREFIX}/installed.txt"], remove=True
    ).decode()
    for name in ("pyfunc-core", "pyfunc-sklearn", "pyfunc-scoring-server", "scikit-learn=="):
        assert name in installed


def _running(container: Any) -> bool:
    container.reload()
    return container.status in ("created", "running")
