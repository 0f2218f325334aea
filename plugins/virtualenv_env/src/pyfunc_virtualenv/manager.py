"""The ``virtualenv`` environment manager: one cached virtualenv per Python version and requirements."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pyfunc_core.envs import CachedEnvironmentManager, EnvironmentSpec, Reporter, stderr_reporter, step
from pyfunc_core.errors import EnvironmentBuildError

if TYPE_CHECKING:
    from pyfunc_core.model import ModelDirectory

NAME = "virtualenv"


class VirtualenvManager(CachedEnvironmentManager[tuple[str, str]]):
    """Build a virtualenv from the model's ``python_env.yaml`` and reuse it while it matches.

    The spec's details are the interpreter to create it with and that interpreter's version.
    """

    name = NAME

    def read_spec(self, model_dir: ModelDirectory, *, reporter: Reporter) -> EnvironmentSpec[tuple[str, str]]:
        from pyfunc_virtualenv.interpreters import find_python
        from pyfunc_virtualenv.python_env import read_python_env

        spec = read_python_env(model_dir)
        interpreter, version = find_python(spec.python, reporter=reporter)
        return EnvironmentSpec(
            details=(interpreter, version),
            requirements=spec.requirements,
            key=(version, spec.build_dependencies),
            info={"python": version},
            build_dependencies=spec.build_dependencies,
        )

    def create(self, path: Path, spec: EnvironmentSpec[tuple[str, str]], *, reporter: Reporter) -> None:
        interpreter, version = spec.details
        reporter(f"building a virtualenv for Python {version} at {path}")
        create_virtualenv(path, interpreter, reporter=reporter)

    def env_vars(self, path: Path) -> dict[str, str]:
        return {**super().env_vars(path), "VIRTUAL_ENV": str(path)}


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
