"""The ``conda`` environment manager: one cached conda environment per ``conda.yaml``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Tuple

from pyfunc_core.envs import CachedEnvironmentManager, EnvironmentSpec, Reporter

if TYPE_CHECKING:
    from pyfunc_conda.backends import CondaBackend
    from pyfunc_core.model import CondaEnv, ModelDirectory

NAME = "conda"
#: A spec's details: the backend that creates the environment, and the parsed ``conda.yaml``.
Details = Tuple["CondaBackend", "CondaEnv"]


class CondaManager(CachedEnvironmentManager[Details]):
    """Build a conda environment from the model's ``conda.yaml`` and reuse it while it matches.

    The ``pip:`` section of ``conda.yaml`` is installed afterwards, like any manager's requirements.
    """

    name = NAME
    requirements_label = "pip requirements"

    def __init__(self, backend: str | None = None) -> None:
        self.backend_choice = backend

    def read_spec(self, model_dir: ModelDirectory, *, reporter: Reporter) -> EnvironmentSpec[Details]:
        from pyfunc_conda.backends import select_backend
        from pyfunc_core.model import read_conda_env

        spec = read_conda_env(model_dir)
        backend = select_backend(self.backend_choice)
        return EnvironmentSpec(
            details=(backend, spec),
            requirements=spec.pip,
            key=(backend.name, spec.channels, spec.dependencies),
            info={"backend": backend.name, "channels": spec.channels, "dependencies": spec.dependencies},
        )

    def create(self, path: Path, spec: EnvironmentSpec[Details], *, reporter: Reporter) -> None:
        backend, conda_env = spec.details
        reporter(f"building a conda environment with {backend.name} at {path}")
        backend.create(path, conda_env, reporter=reporter)

    def python_of(self, path: Path) -> Path:
        return path / ("python.exe" if os.name == "nt" else "bin/python")

    def env_vars(self, path: Path) -> dict[str, str]:
        return {**super().env_vars(path), "CONDA_PREFIX": str(path)}
