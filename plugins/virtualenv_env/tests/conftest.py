"""Shared fixtures: real models saved by subprocesses, and the CLI run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Callable

import pytest

CLI_TIMEOUT = 900

SIX_MODEL_SCRIPT = textwrap.dedent(
    """
    import sys
    import cloudpickle
    from pyfunc_core.python_model import PythonModel
    from pyfunc_core.python_model.flavor import save_model

    class SixVersion(PythonModel):
        '''Answers with the version of ``six`` it runs with: proves which environment serves it.'''

        def predict(self, context, model_input, params=None):
            import six
            return [six.__version__] * len(model_input)

    requirements = [*sys.argv[2:], f"cloudpickle=={cloudpickle.__version__}"]
    save_model(sys.argv[1], SixVersion(), pip_requirements=requirements)
    """
)


def save_six_model(path: Path, *requirements: str) -> Path:
    """A PythonModel (defined in ``__main__``, so pickled by value) with ``requirements``."""
    subprocess.run(
        [sys.executable, "-c", SIX_MODEL_SCRIPT, str(path), *requirements], check=True, timeout=120
    )
    return path


@pytest.fixture(scope="session")
def six_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model whose requirements pin ``six==1.16.0``, which the host does not have."""
    return save_six_model(tmp_path_factory.mktemp("models") / "six", "six==1.16.0")


@pytest.fixture(scope="session")
def shared_env_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An environment cache shared by the tests that only need a ready environment."""
    return tmp_path_factory.mktemp("envs")


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m pyfunc_core ARGS`` with ``PYFUNC_CORE_ENV_ROOT=root``."""

    def run(root: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pyfunc_core", *args],
            env=cli_env(root),
            capture_output=True,
            text=True,
            input=input,
            timeout=CLI_TIMEOUT,
        )

    return run


def cli_env(root: Path) -> dict[str, str]:
    return {**os.environ, "PYFUNC_CORE_ENV_ROOT": str(root)}


def environments(root: Path) -> list[Path]:
    """The environment directories (not locks or wheels) under a cache root."""
    return sorted(p for p in root.iterdir() if not p.name.startswith(".")) if root.exists() else []


@pytest.fixture
def make_six_model() -> Callable[..., Path]:
    return save_six_model


@pytest.fixture
def list_envs() -> Callable[[Path], list[Path]]:
    return environments


@pytest.fixture
def env_for() -> Callable[[Path], dict[str, str]]:
    return cli_env
