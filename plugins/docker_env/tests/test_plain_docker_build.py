"""A ``generate-dockerfile`` context builds with the plain ``docker build`` CLI, no pyfunc needed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

pytestmark = pytest.mark.slow


def test_generated_context_builds_with_docker_cli(
    cli: Callable[..., Any],
    docker_daemon: Any,
    model_image: str,  # built first: the plain build reuses its cached layers
    sklearn_model: tuple[Path, Any],
    build_flags: list[str],
    tmp_path: Path,
) -> None:
    out = tmp_path / "context"
    result = cli("generate-dockerfile", "-m", str(sklearn_model[0]), "-d", str(out), *build_flags)
    assert result.returncode == 0, result.stderr
    tag = "pyfunc-docker-test-plain:latest"
    docker = shutil.which("docker")
    assert docker, "the docker CLI is needed for this test"
    built = subprocess.run(
        [docker, "build", "-t", tag, str(out)], capture_output=True, text=True, timeout=1800
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    info = docker_daemon.containers.run(
        tag, entrypoint=["pyfunc-core", "info", "-m", "/opt/pyfunc/model"], remove=True
    ).decode()
    assert "sklearn" in info
