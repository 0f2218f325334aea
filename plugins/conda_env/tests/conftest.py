"""Fixtures for real conda environments without a reachable conda channel.

``local_channel`` builds a ``file://`` conda channel at test time with
:func:`conda_kit.build_local_channel`: ``python`` repacked from the interpreter
running the tests, and ``pip`` converted from pip's wheel.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Callable

import pytest

_spec = importlib.util.spec_from_file_location(
    "pyfunc_conda_test_kit", Path(__file__).parent / "conda_kit.py"
)
assert _spec is not None and _spec.loader is not None
conda_kit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conda_kit)


@pytest.fixture(scope="session")
def local_channel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reason = conda_kit.local_channel_unavailable()
    if reason:
        pytest.skip(reason)
    return conda_kit.build_local_channel(tmp_path_factory.mktemp("channel"))


SIX_MODEL_SCRIPT = textwrap.dedent(
    """
    import sys
    import cloudpickle
    from pyfunc_core.python_model import PythonModel
    from pyfunc_core.python_model.flavor import save_model

    class SixVersion(PythonModel):
        def predict(self, context, model_input, params=None):
            import six
            return [six.__version__] * len(model_input)

    save_model(sys.argv[1], SixVersion(), pip_requirements=sys.argv[2:])
    """
)


def save_conda_model(path: Path, channel: Path, *pip: str, conda: tuple[str, ...] = ()) -> Path:
    """A PythonModel answering ``six.__version__``, whose conda.yaml uses ``channel``."""
    import cloudpickle
    import yaml

    subprocess.run([sys.executable, "-c", SIX_MODEL_SCRIPT, str(path), *pip], check=True, timeout=120)
    env = {
        "name": "pyfunc-env",
        "channels": [channel.as_uri()],
        "dependencies": [
            f"python={conda_kit.PY_VERSION}",
            "pip",
            *conda,
            {"pip": [*pip, f"cloudpickle=={cloudpickle.__version__}"]},
        ],
    }
    (path / "conda.yaml").write_text(yaml.safe_dump(env, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def conda_model(tmp_path_factory: pytest.TempPathFactory, local_channel: Path) -> Path:
    return save_conda_model(tmp_path_factory.mktemp("models") / "six", local_channel, "six==1.16.0")


@pytest.fixture
def make_conda_model(local_channel: Path) -> Callable[..., Path]:
    return lambda path, *pip, conda=(): save_conda_model(path, local_channel, *pip, conda=conda)


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m pyfunc_core ARGS`` with the cache at ``root`` and the py-rattler backend."""

    def run(
        root: Path, *args: str, extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYFUNC_CORE_ENV_ROOT": str(root), "PYFUNC_CONDA_BACKEND": "rattler"}
        return subprocess.run(
            [sys.executable, "-m", "pyfunc_core", *args],
            env={**env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=900,
        )

    return run
