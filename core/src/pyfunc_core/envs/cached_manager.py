"""The base of environment managers that build one cached environment per model's needs.

:class:`CachedEnvironmentManager` owns what every such manager does the same way: the
cache key, the cross-process lock and completion marker (:func:`get_or_build`), finding
the pyfunc distributions the model needs and installing them from the host, and the
``pip``/``uv`` install of the model's requirements. A manager supplies only what differs:
reading its spec from the model directory (:meth:`~CachedEnvironmentManager.read_spec`),
creating the empty environment (:meth:`~CachedEnvironmentManager.create`), and where its
Python and environment variables are.
"""

from __future__ import annotations

import os
from abc import abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Mapping, Sequence, TypeVar

from pyfunc_core.envs.base import Environment, EnvironmentManager, Reporter, stderr_reporter
from pyfunc_core.envs.cache import env_key, get_or_build
from pyfunc_core.envs.host_distributions import install_arguments, model_distributions, without_distributions
from pyfunc_core.envs.installer import pip_install
from pyfunc_core.errors import EnvironmentBuildError

if TYPE_CHECKING:
    from pyfunc_core.model.mlmodel import ModelDirectory

DetailsT = TypeVar("DetailsT")


@dataclass(frozen=True)
class EnvironmentSpec(Generic[DetailsT]):
    """What a model's environment must hold, as a manager reads it from the model directory.

    ``details`` is whatever :meth:`CachedEnvironmentManager.create` needs (an interpreter,
    a parsed ``conda.yaml``). ``requirements`` are pip requirement lines; lines naming the
    pyfunc distributions are dropped, the host's own are installed instead. ``key`` is what
    else identifies the environment (a Python version, conda packages): it goes into the
    cache key. ``info`` is recorded in the completion marker. ``build_dependencies`` are
    installed before the requirements.
    """

    details: DetailsT
    requirements: Sequence[str] = ()
    key: Sequence[Any] = ()
    info: Mapping[str, Any] = field(default_factory=dict)
    build_dependencies: Sequence[str] = ()


class CachedEnvironmentManager(EnvironmentManager, Generic[DetailsT]):
    """An environment built once per spec under :func:`env_root`, then reused.

    The environment lives at ``<env root>/<name>-<key>``, where ``key`` hashes the manager's
    name, ``spec.key``, the requirements and the pyfunc distributions to install.
    """

    #: How progress lines name ``spec.requirements`` ("installing 2 model requirements and ...").
    requirements_label: str = "model requirements"

    @abstractmethod
    def read_spec(self, model_dir: ModelDirectory, *, reporter: Reporter) -> EnvironmentSpec[DetailsT]:
        """What the model's environment holds; raise :class:`EnvironmentBuildError` if it is unusable."""

    @abstractmethod
    def create(self, path: Path, spec: EnvironmentSpec[DetailsT], *, reporter: Reporter) -> None:
        """Create the environment at ``path`` (which does not exist yet), with a Python and pip or uv."""

    def python_of(self, path: Path) -> Path:
        """The interpreter of the environment at ``path`` (a virtualenv's layout by default)."""
        return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    def env_vars(self, path: Path) -> dict[str, str]:
        """Variables set for commands run in the environment: its interpreter's directory first on PATH."""
        return {"PATH": os.pathsep.join([str(self.python_of(path).parent), os.environ.get("PATH", "")])}

    def prepare(self, model_dir: ModelDirectory, *, reporter: Reporter = stderr_reporter) -> Environment:
        spec = self.read_spec(model_dir, reporter=reporter)
        dists = model_distributions(model_dir, reporter=reporter)
        requirements = without_distributions(spec.requirements, dists)
        key = env_key(self.name, *spec.key, requirements, [d.key for d in dists])
        info = {
            **spec.info,
            "manager": self.name,
            "requirements": list(requirements),
            "distributions": [d.key for d in dists],
        }

        def build(path: Path) -> None:
            self.create(path, spec, reporter=reporter)
            python = self.python_of(path)
            if not python.exists():
                raise EnvironmentBuildError(f"the {self.name} environment at {path} has no Python ({python})")
            wheels = install_arguments(dists, reporter=reporter)
            if spec.build_dependencies:
                pip_install(python, spec.build_dependencies, reporter=reporter, what="build dependencies")
            pip_install(
                python,
                [*requirements, *wheels],
                reporter=reporter,
                what=f"{len(requirements)} {self.requirements_label} and {', '.join(d.name for d in dists)}",
            )

        cached = get_or_build(f"{self.name}-{key}", build, info=info, reporter=reporter)
        return Environment(
            manager=self.name,
            python=str(self.python_of(cached.path)),
            root=cached.path,
            env_vars=self.env_vars(cached.path),
        )
