"""Reading a model's ``conda.yaml``: channels, conda dependencies and the ``pip:`` section.

The core writes that file (:mod:`pyfunc_core.model.requirements`); the environment plugins
that build from it (``pyfunc-conda``, ``pyfunc-docker --env-manager conda``) read it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyfunc_core.errors import EnvironmentBuildError
from pyfunc_core.model.requirements import expand_requirement_files

if TYPE_CHECKING:
    from pyfunc_core.model.mlmodel import ModelDirectory

CONDA_ENV_FILE = "conda.yaml"
#: Used when ``conda.yaml`` lists no channels (conda's own default is not reachable offline
#: either, and MLflow writes conda-forge).
DEFAULT_CHANNEL = "conda-forge"


@dataclass(frozen=True)
class CondaEnv:
    """A conda environment spec: where packages come from and which to install."""

    channels: tuple[str, ...]
    dependencies: tuple[str, ...]
    pip: tuple[str, ...]

    def to_yaml_dict(self, *, with_pip: bool) -> dict[str, Any]:
        """The spec as an environment file (``conda env create --file``)."""
        deps: list[Any] = list(self.dependencies)
        if with_pip and self.pip:
            deps.append({"pip": list(self.pip)})
        return {"channels": list(self.channels), "dependencies": deps}


def read_conda_env(model_dir: ModelDirectory) -> CondaEnv:
    """The model's conda environment file (MLmodel's ``env.conda``, else ``conda.yaml``), with
    ``-r FILE`` lines of its pip section expanded; every defect is an EnvironmentBuildError."""
    import yaml

    file = model_dir.path / _env_file_name(model_dir)
    if not file.is_file():
        raise EnvironmentBuildError(
            f"Model '{model_dir.path}' has no {file.name}: cannot build a conda environment"
        )
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise EnvironmentBuildError(f"{file} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise EnvironmentBuildError(f"{file} is not a mapping with channels and dependencies")
    channels = data.get("channels") or [DEFAULT_CHANNEL]
    if not isinstance(channels, list) or not all(isinstance(c, str) and c.strip() for c in channels):
        raise EnvironmentBuildError(f"{file}: channels must be a list of channel names or URLs")
    conda: list[str] = []
    pip: list[str] = []
    for dep in data.get("dependencies") or []:
        if isinstance(dep, str) and dep.strip():
            conda.append(dep.strip())
        elif isinstance(dep, dict) and set(dep) == {"pip"} and isinstance(dep["pip"], list):
            lines = [str(p).strip() for p in dep["pip"]]
            pip.extend(expand_requirement_files(lines, file.parent, source=file.name))
        else:
            raise EnvironmentBuildError(f"{file}: unexpected dependency entry {dep!r}")
    if not any(package_name(d) == "python" for d in conda):
        raise EnvironmentBuildError(
            f"{file} does not list python among its dependencies (e.g. python=3.11.7)"
        )
    return CondaEnv(tuple(c.strip() for c in channels), tuple(conda), tuple(pip))


def package_name(dependency: str) -> str:
    """The package a conda match spec names (``conda-forge::numpy>=1.2`` → ``numpy``)."""
    for sep in ("=", "<", ">", "!", " ", "["):
        dependency = dependency.split(sep, 1)[0]
    return dependency.split("::")[-1].strip().lower()


def _env_file_name(model_dir: ModelDirectory) -> str:
    env = (model_dir.meta.pyfunc_conf or {}).get("env")
    if isinstance(env, dict) and env.get("conda"):
        return str(env["conda"])
    if isinstance(env, str):  # older MLflow models: env: conda.yaml
        return env
    return CONDA_ENV_FILE
