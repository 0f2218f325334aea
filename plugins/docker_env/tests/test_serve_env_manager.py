"""``pyfunc-core serve --env-manager docker``: build or reuse the image, serve on 127.0.0.1, stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

pytestmark = pytest.mark.slow


def test_serve_builds_runs_and_forwards_sigterm(
    docker_daemon: Any,
    model_image: str,  # built first: this build then reuses its layers
    sklearn_model: tuple[Path, Any],
    build_env: dict[str, str],
    port_factory: Callable[[], int],
    ping_waiter: Callable[..., None],
    default_workers: int,
    workers_ready: Callable[[str], set[int]],
    tmp_path: Path,
) -> None:
    import pandas as pd

    path, model = sklearn_model
    port = port_factory()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pyfunc_core", "serve", "-m", str(path), "--env-manager", "docker",
             "-p", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **build_env}, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        ping_waiter(port, timeout=1500, alive=lambda: proc.poll() is None)
        (container,) = docker_daemon.containers.list(filters={"label": "io.pyfunc.serve"})
        # No --workers given: none is passed on, so the container's server applies its own default.
        assert "--workers" not in container.attrs["Config"]["Cmd"], container.attrs["Config"]["Cmd"]
        frame = pd.DataFrame({"a": [3.0], "b": [4.0]})
        resp = requests.post(
            f"http://127.0.0.1:{port}/invocations", data=frame.to_csv(index=False),
            headers={"Content-Type": "text/csv"}, timeout=30,
        )  # fmt: skip
        assert resp.status_code == 200, resp.text
        assert resp.json()["predictions"] == pytest.approx(list(model.predict(frame)))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    text = log.read_text()
    assert f"on http://127.0.0.1:{port}" in text
    assert "draining" in text  # the container's server received the forwarded SIGTERM
    ready = workers_ready(text)  # the container's server ran its default: one worker is PID 1 itself
    assert ready == {1} if default_workers == 1 else len(ready) == default_workers, ready
    leftovers = docker_daemon.containers.list(all=True, filters={"label": "io.pyfunc.serve"})
    assert leftovers == []


def test_prepare_env_reuses_the_image(
    cli: Callable[..., Any], sklearn_model: tuple[Path, Any], build_env: dict[str, str], docker_daemon: Any
) -> None:
    first = cli("prepare-env", "-m", str(sklearn_model[0]), "--env-manager", "docker", env=build_env)
    assert first.returncode == 0, first.stderr[-3000:]
    second = cli("prepare-env", "-m", str(sklearn_model[0]), "--env-manager", "docker", env=build_env)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "reusing image pyfunc-regression:" in second.stderr
    assert "Step 1/" not in second.stderr


def test_predict_in_the_docker_environment_is_refused(
    cli: Callable[..., Any], sklearn_model: tuple[Path, Any], build_env: dict[str, str], docker_daemon: Any
) -> None:
    result = cli(
        "predict", "-m", str(sklearn_model[0]), "--env-manager", "docker", "--content-type", "json",
        env=build_env,
    )  # fmt: skip
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "runs `pyfunc-core serve` only" in result.stderr
