"""A real model image: built by ``build-docker``, run with its port on 127.0.0.1, stopped with SIGTERM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

pytestmark = pytest.mark.slow


def test_image_configuration(docker_daemon: Any, model_image: str) -> None:
    config = docker_daemon.images.get(model_image).attrs["Config"]
    assert config["User"] == "pyfunc"
    assert config["StopSignal"] == "SIGTERM"
    assert "8080/tcp" in config["ExposedPorts"]
    assert config["Healthcheck"]["Test"][:2] == ["CMD", "python"]
    assert config["Entrypoint"][:2] == ["/bin/sh", "-c"] and config["Entrypoint"][2].startswith("exec ")


def test_final_image_has_no_pip_caches_or_build_secrets(docker_daemon: Any, model_image: str) -> None:
    script = (
        "import importlib.util, os, sys; "
        "print(importlib.util.find_spec('pip') is not None, os.path.exists('/build'), "
        "os.path.exists(os.path.expanduser('~/.cache/pip')), os.path.exists('/root/.cache/pip'), os.getuid())"
    )
    out = docker_daemon.containers.run(
        model_image, entrypoint=["python", "-c", script], remove=True, stdout=True, stderr=True
    )
    assert out.decode().split() == ["False", "False", "False", "False", "10001"]


def test_installed_lock_lists_the_pyfunc_distributions(docker_daemon: Any, model_image: str) -> None:
    out = docker_daemon.containers.run(
        model_image, entrypoint=["cat", "/opt/venv/installed.txt"], remove=True
    ).decode()
    for name in ("pyfunc-core", "pyfunc-sklearn", "pyfunc-scoring-server", "scikit-learn=="):
        assert name in out


def test_container_serves_predictions_and_drains_on_sigterm(
    docker_daemon: Any,
    model_image: str,
    sklearn_model: tuple[Path, Any],
    port_factory: Callable[[], int],
    ping_waiter: Callable[..., None],
    default_workers: int,
    workers_ready: Callable[[str], set[int]],
) -> None:
    import pandas as pd

    _path, model = sklearn_model
    port = port_factory()
    container = docker_daemon.containers.run(
        model_image, detach=True, ports={"8080/tcp": ("127.0.0.1", port)}
    )
    try:
        container.reload()
        assert container.ports["8080/tcp"][0]["HostIp"] == "127.0.0.1"
        ping_waiter(port, alive=lambda: _running(container))
        frame = pd.DataFrame({"a": [1.0, 7.5, -2.0], "b": [1.0, 0.0, 2.0]})
        body = {"dataframe_split": frame.to_dict(orient="split", index=False)}
        resp = requests.post(f"http://127.0.0.1:{port}/invocations", json=body, timeout=30)
        assert resp.status_code == 200, resp.text
        assert resp.json()["predictions"] == pytest.approx(list(model.predict(frame)))
        bad = requests.post(
            f"http://127.0.0.1:{port}/invocations", data="{not json", timeout=30,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        assert bad.status_code == 400 and bad.json()["error_code"] == "BAD_REQUEST"
        # No --workers given: the server's own default, as `serve --env-manager docker` runs it.
        _wait_for_workers(container, default_workers, workers_ready)
        container.kill(signal="SIGTERM")
        assert container.wait(timeout=60)["StatusCode"] == 0
        assert "draining" in container.logs().decode()
    finally:
        container.remove(force=True)


def test_healthcheck_reports_healthy(
    docker_daemon: Any, model_image: str, workers_ready: Callable[[str], set[int]]
) -> None:
    import time

    container = docker_daemon.containers.run(model_image, command=["--workers", "2"], detach=True)
    try:
        deadline = time.monotonic() + 180
        status = None
        while time.monotonic() < deadline:
            container.reload()
            status = container.attrs["State"].get("Health", {}).get("Status")
            if status == "healthy" or container.status != "running":
                break
            time.sleep(1)
        assert status == "healthy", json.dumps(container.attrs["State"].get("Health"))[-2000:]
        _wait_for_workers(container, 2, workers_ready)  # `docker run IMAGE --workers 2`
    finally:
        container.remove(force=True)


def _wait_for_workers(
    container: Any, workers: int, ready_workers: Callable[[str], set[int]], timeout: float = 120
) -> None:
    """Every worker says it is ready; one serves in the entrypoint's own process (PID 1), several are forked."""
    import time

    deadline = time.monotonic() + timeout
    while len(ready := ready_workers(container.logs().decode())) < workers and time.monotonic() < deadline:
        time.sleep(0.5)
    assert ready == {1} if workers == 1 else (len(ready) == workers and 1 not in ready), ready


def _wait_for_log(container: Any, text: str, timeout: float = 120) -> None:
    import time

    deadline = time.monotonic() + timeout
    while text not in container.logs().decode():
        assert time.monotonic() < deadline, (
            f"{text!r} not in the container's log: {container.logs()[-2000:]!r}"
        )
        time.sleep(0.5)


def _running(container: Any) -> bool:
    container.reload()
    return container.status in ("created", "running")
