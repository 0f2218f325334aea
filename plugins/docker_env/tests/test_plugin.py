"""Registration through the core's hooks, without importing the Docker SDK at start-up."""

from __future__ import annotations

import subprocess
import sys
from typing import Any


def test_registers_env_manager_and_commands(pyfunc_plugins: Any) -> None:
    assert pyfunc_plugins.env_managers.provider("docker") == "docker"
    assert {"generate-dockerfile", "build-docker"} <= set(pyfunc_plugins.commands.names())
    from pyfunc_docker.manager import DockerManager

    assert isinstance(pyfunc_plugins.env_managers["docker"].factory(), DockerManager)


def test_startup_does_not_import_docker() -> None:
    script = (
        "import sys; from pyfunc_core.cli.main import build_cli; build_cli(); "
        "print('docker' in sys.modules, 'pyfunc_docker.commands' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]
