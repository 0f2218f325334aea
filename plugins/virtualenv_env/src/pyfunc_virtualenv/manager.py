"""The ``virtualenv`` environment manager: one cached virtualenv per Python version and requirements."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from pyfunc_core.envs.base import Environment, EnvironmentManager, Reporter, stderr_reporter
from pyfunc_core.envs.cache import env_key, get_or_build, step
from pyfunc_core.envs.host_distributions import (
    install_arguments,
    model_distributions,
    without_distributions,
)
from pyfunc_core.envs.installer import pip_install
from pyfunc_core.errors import EnvironmentBuildError

if TYPE_CHECKING:
    from pyfunc_core.model.mlmodel import ModelDirectory

NAME = "virtualenv"


class VirtualenvManager(EnvironmentManager):
    """Build a virtualenv from the model's ``python_env.yaml`` and reuse it while it matches."""

    name = NAME

    def prepare(self, model_dir: ModelDirectory, *, reporter: Reporter = stderr_reporter) -> Environment:
        from pyfunc_virtualenv.interpreters import find_python
        from pyfunc_virtualenv.python_env import read_python_env

        spec = read_python_env(model_dir)
        interpreter, version = find_python(spec.python, reporter=reporter)
        dists = model_distributions(model_dir, reporter=reporter)
        requirements = without_distributions(spec.requirements, dists)
        key = env_key(NAME, version, spec.build_dependencies, requirements, [d.key for d in dists])
        info = {
            "manager": NAME,
            "python": version,
            "requirements": list(requirements),
            "distributions": [d.key for d in dists],
        }

        def build(path: Path) -> None:
            reporter(f"building a virtualenv for Python {version} at {path}")
            create_virtualenv(path, interpreter, reporter=reporter)
            python = str(python_of(path))
            wheels = install_arguments(dists, reporter=reporter)
            if spec.build_dependencies:
                pip_install(python, spec.build_dependencies, reporter=reporter, what="build dependencies")
            pip_install(
                python,
                [*requirements, *wheels],
                reporter=reporter,
                what=f"{len(requirements)} model requirements and {', '.join(d.name for d in dists)}",
            )

        cached = get_or_build(f"{NAME}-{key}", build, info=info, reporter=reporter)
        bin_dir = python_of(cached.path).parent
        return Environment(
            manager=NAME,
            python=str(python_of(cached.path)),
            root=cached.path,
            env_vars={
                "VIRTUAL_ENV": str(cached.path),
                "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]),
            },
        )


def create_virtualenv(path: Path, interpreter: str, *, reporter: Reporter = stderr_reporter) -> None:
    """Create an empty virtualenv (pip seeded from virtualenv's bundled wheels, no download)."""
    from virtualenv import cli_run

    with step(reporter, f"creating the virtualenv with {interpreter}"):
        try:
            cli_run(
                [str(path), "--python", interpreter, "--quiet", "--no-periodic-update"], setup_logging=False
            )
        except (RuntimeError, OSError, SystemExit) as exc:
            raise EnvironmentBuildError(f"virtualenv could not create {path}: {exc}") from None


def python_of(path: Path) -> Path:
    """The interpreter of the virtualenv at ``path``."""
    return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
