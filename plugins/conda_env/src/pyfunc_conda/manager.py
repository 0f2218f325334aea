"""The ``conda`` environment manager: one cached conda environment per ``conda.yaml``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from pyfunc_core.envs import CachedEnvironmentManager, EnvironmentSpec, Reporter, stderr_reporter

if TYPE_CHECKING:
    from pyfunc_conda.backends import CondaBackend
    from pyfunc_core.model import CondaEnv, ModelDirectory

NAME = "conda"


class CondaManager(CachedEnvironmentManager["tuple[CondaBackend, CondaEnv]"]):
    """Build a conda environment from the model's ``conda.yaml`` and reuse it while it matches.

    The spec's details are the backend that creates it and the parsed ``conda.yaml``; its
    ``pip:`` section is installed afterwards, like any manager's requirements.
    """

    name = NAME
    requirements_label = "pip requirements"

    def __init__(self, backend: str | None = None) -> None:
        self.backend_choice = backend

    def read_spec(
        self, model_dir: ModelDirectory, *, reporter: Reporter = stderr_reporter
    ) -> EnvironmentSpec[tuple[CondaBackend, CondaEnv]]:
        from pyfunc_conda.backends import select_backend
        from pyfunc_core.model import read_conda_env

        spec = read_conda_env(model_dir)
        backend = select_backend(self.backend_choice)
        return EnvironmentSpec(
            details=(backend, spec),
            requirements=spec.pip,
            key=(backend.name, spec.channels, spec.dependencies),
            info={
                "backend": backend.name,
                "channels": list(spec.channels),
                "dependencies": list(spec.dependencies),
            },
        )

    def create(
        self,
        path: Path,
        spec: EnvironmentSpec[tuple[CondaBackend, CondaEnv]],
        *,
        reporter: Reporter = stderr_reporter,
    ) -> None:
        backend, conda_env = spec.details
        reporter(f"building a conda environment with {backend.name} at {path}")
        backend.create(path, conda_env, reporter=reporter)

    def python_of(self, path: Path) -> Path:
        return path / ("python.exe" if os.name == "nt" else "bin/python")

    def env_vars(self, path: Path) -> dict[str, str]:
        return {**super().env_vars(path), "CONDA_PREFIX": str(path)}
