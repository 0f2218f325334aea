"""The ``conda`` environment manager: one cached conda environment per ``conda.yaml``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from pyfunc_core.envs.base import Environment, EnvironmentManager, Reporter, stderr_reporter
from pyfunc_core.envs.cache import env_key, get_or_build
from pyfunc_core.envs.host_distributions import (
    install_arguments,
    model_distributions,
    without_distributions,
)
from pyfunc_core.envs.installer import pip_install
from pyfunc_core.errors import EnvironmentBuildError

if TYPE_CHECKING:
    from pyfunc_core.model.mlmodel import ModelDirectory

NAME = "conda"


class CondaManager(EnvironmentManager):
    """Build a conda environment from the model's ``conda.yaml`` and reuse it while it matches."""

    name = NAME

    def __init__(self, backend: str | None = None) -> None:
        self.backend_choice = backend

    def prepare(self, model_dir: ModelDirectory, *, reporter: Reporter = stderr_reporter) -> Environment:
        from pyfunc_conda.backends import select_backend
        from pyfunc_core.model.conda_env import read_conda_env

        spec = read_conda_env(model_dir)
        backend = select_backend(self.backend_choice)
        dists = model_distributions(model_dir, reporter=reporter)
        pip_requirements = without_distributions(spec.pip, dists)
        key = env_key(
            NAME, backend.name, spec.channels, spec.dependencies, pip_requirements, [d.key for d in dists]
        )
        info = {
            "manager": NAME,
            "backend": backend.name,
            "channels": list(spec.channels),
            "dependencies": list(spec.dependencies),
            "pip": list(pip_requirements),
            "distributions": [d.key for d in dists],
        }

        def build(path: Path) -> None:
            reporter(f"building a conda environment with {backend.name} at {path}")
            backend.create(path, spec, reporter=reporter)
            python = python_of(path)
            if not python.exists():
                raise EnvironmentBuildError(f"the conda environment at {path} has no Python ({python})")
            wheels = install_arguments(dists, reporter=reporter)
            pip_install(
                python,
                [*pip_requirements, *wheels],
                reporter=reporter,
                what=f"{len(pip_requirements)} pip requirements and {', '.join(d.name for d in dists)}",
            )

        cached = get_or_build(f"{NAME}-{key}", build, info=info, reporter=reporter)
        return Environment(
            manager=NAME,
            python=str(python_of(cached.path)),
            root=cached.path,
            env_vars={
                "CONDA_PREFIX": str(cached.path),
                "PATH": os.pathsep.join([str(python_of(cached.path).parent), os.environ.get("PATH", "")]),
            },
        )


def python_of(prefix: Path) -> Path:
    """The interpreter of the conda environment at ``prefix``."""
    return prefix / ("python.exe" if os.name == "nt" else "bin/python")
