"""Shared fixtures: a Docker daemon, the registry-free base image, a real model and its image."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from pyfunc_core.testing import free_port

HERE = Path(__file__).parent
CLI_TIMEOUT = 1800
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

_spec = importlib.util.spec_from_file_location("pyfunc_docker_test_support", HERE / "docker_support.py")
assert _spec is not None and _spec.loader is not None
support = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(support)


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = CLI_TIMEOUT
) -> subprocess.CompletedProcess:
    """``pyfunc-core *args`` as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "pyfunc_core", *args],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture(scope="session")
def cli() -> Callable[..., subprocess.CompletedProcess]:
    return run_cli


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    return HERE / "golden"


@pytest.fixture(scope="session")
def docker_daemon() -> Any:
    """A Docker SDK client; the test is skipped only when no daemon can be started."""
    reason = support.ensure_daemon()
    if reason:
        pytest.skip(f"no Docker daemon: {reason}")
    import docker

    return docker.from_env(timeout=300)


@pytest.fixture(scope="session")
def base_image(docker_daemon: Any) -> str:
    """A python3 base image built without a registry (debootstrap + docker import), once."""
    started = time.perf_counter()
    tag = support.ensure_base_image()
    print(f"\nbase image {tag} ready in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    return tag


@pytest.fixture(scope="session")
def build_flags(base_image: str) -> list[str]:
    """``--base-image`` plus the host's CA bundle, which pip inside a build needs here."""
    flags = ["--base-image", base_image]
    if HOST_CA_BUNDLE.is_file():
        flags += ["--extra-ca-cert", str(HOST_CA_BUNDLE)]
    return flags


@pytest.fixture(scope="session")
def build_env(base_image: str) -> dict[str, str]:
    """The same choices as ``build_flags``, for ``serve --env-manager docker``."""
    env = {"PYFUNC_DOCKER_BASE_IMAGE": base_image}
    if HOST_CA_BUNDLE.is_file():
        env["PYFUNC_DOCKER_EXTRA_CA_CERTS"] = str(HOST_CA_BUNDLE)
    return env


@pytest.fixture(scope="session")
def sklearn_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """A real linear regression saved with pyfunc_sklearn, and a frame to score."""
    import pandas as pd
    from sklearn.linear_model import LinearRegression

    import pyfunc_sklearn

    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.0, 1.0, 0.0, 1.0]})
    model = LinearRegression().fit(frame, frame.a * 2 + frame.b * 3 + 1)
    path = tmp_path_factory.mktemp("models") / "regression"
    pyfunc_sklearn.save_model(model, path, input_example=frame.head(2))
    return path, model


@pytest.fixture(scope="session")
def model_image(cli: Callable[..., Any], sklearn_model: tuple[Path, Any], build_flags: list[str]) -> str:
    """The model's image, built once per session by ``pyfunc-core build-docker``."""
    tag = "pyfunc-docker-test-model:latest"
    started = time.perf_counter()
    result = cli("build-docker", "-m", str(sklearn_model[0]), "-n", tag, *build_flags)
    assert result.returncode == 0, result.stderr[-4000:]
    print(f"\nmodel image built in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    return tag


@pytest.fixture(scope="session")
def conda_channel(tmp_path_factory: pytest.TempPathFactory, base_image: str) -> Path:
    """A ``file://`` conda channel holding this interpreter (repacked) and pip, built once.

    Its python runs inside the test base image only if that image's glibc is not older than
    the one this interpreter was built against, so the test skips, saying so, otherwise.
    """
    pytest.importorskip("rattler", reason="py-rattler (a pyfunc-conda dependency) builds the test channel")
    testing = conda_kit()
    reason = testing.local_channel_unavailable()
    if reason:
        pytest.skip(reason)
    host_glibc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    base_glibc = support.glibc_version(base_image)
    if _version(host_glibc) > _version(base_glibc):
        pytest.skip(
            f"this interpreter needs {host_glibc}; the base image {base_image} has {base_glibc or 'an unknown glibc'}"
        )
    started = time.perf_counter()
    channel = testing.build_local_channel(tmp_path_factory.mktemp("conda-channel") / "channel")
    print(f"\nconda channel built in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    return channel


def conda_kit() -> Any:
    """The pyfunc-conda tests' channel builder (``plugins/conda_env/tests/conda_kit.py``), loaded once."""
    module = sys.modules.get("pyfunc_conda_test_kit")
    if module is None:
        path = HERE.parents[1] / "conda_env" / "tests" / "conda_kit.py"
        spec = importlib.util.spec_from_file_location("pyfunc_conda_test_kit", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["pyfunc_conda_test_kit"] = module
        spec.loader.exec_module(module)
    return module


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text)[:2])


def wait_for_ping(port: int, *, timeout: float = 180, alive: Callable[[], bool] = lambda: True) -> None:
    """Poll ``/ping`` until it answers 200; bounded in time, and stops when ``alive()`` turns false."""
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise AssertionError("the server exited before answering /ping")
        try:
            if requests.get(f"http://127.0.0.1:{port}/ping", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"/ping on port {port} did not answer within {timeout:.0f}s")


@pytest.fixture(scope="session")
def default_workers() -> int:
    """The scoring server's default ``--workers``: what an image runs unless told otherwise.

    The server declares the option; without a default of its own it runs one worker per CPU
    the process may use, which a container without CPU limits shares with this process.
    """
    from pyfunc_core.plugins import get_plugins

    server = get_plugins().servers.get("scoring-server")
    assert server is not None, "the docker tests serve with pyfunc-scoring-server"
    option = next(o for o in server.options if o.flag == "--workers")
    if option.default is not None:
        return int(option.default)
    from pyfunc_scoring_server.process.cpus import available_cpus

    return available_cpus()


def ready_workers(log: str) -> set[int]:
    """PIDs of the server's workers that said they were ready (one worker serves as PID 1 itself)."""
    return {int(pid) for pid in re.findall(r"worker (\d+) ready", log)}


@pytest.fixture(scope="session")
def workers_ready() -> Callable[[str], set[int]]:
    return ready_workers


@pytest.fixture(scope="session")
def port_factory() -> Callable[[], int]:
    return free_port


@pytest.fixture(scope="session")
def ping_waiter() -> Callable[..., None]:
    return wait_for_ping
