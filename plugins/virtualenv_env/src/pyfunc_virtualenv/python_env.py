"""Reading a model's ``python_env.yaml``: its Python version and what to install."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyfunc_core.errors import EnvironmentBuildError
from pyfunc_core.model import expand_requirement_files

if TYPE_CHECKING:
    from pyfunc_core.model import ModelDirectory

PYTHON_ENV_FILE = "python_env.yaml"


@dataclass(frozen=True)
class PythonEnv:
    """A model's environment spec: Python version, build tools, requirement lines."""

    python: str
    build_dependencies: tuple[str, ...]
    requirements: tuple[str, ...]


def read_python_env(model_dir: ModelDirectory) -> PythonEnv:
    """The model's ``python_env.yaml``, with ``-r FILE`` lines expanded.

    A model without one (older MLflow models) falls back to the ``python_version`` in
    ``MLmodel`` and to ``requirements.txt``.
    """
    import yaml

    file = model_dir.path / _env_file_name(model_dir)
    if not file.is_file():
        python = str(model_dir.pyfunc_conf.get("python_version") or "")
        if not python:
            raise EnvironmentBuildError(
                f"Model '{model_dir.path}' has no {PYTHON_ENV_FILE} and MLmodel records no "
                "python_version, so the Python version to build an environment for is unknown"
            )
        return PythonEnv(python, (), tuple(model_dir.requirements()))
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise EnvironmentBuildError(f"{file} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict) or not data.get("python"):
        raise EnvironmentBuildError(f"{file} does not name a Python version ('python: 3.11.7')")
    return PythonEnv(
        python=str(data["python"]),
        build_dependencies=tuple(_strings(data.get("build_dependencies"), file)),
        requirements=tuple(
            expand_requirement_files(
                _strings(data.get("dependencies"), file), model_dir.path, source=PYTHON_ENV_FILE
            )
        ),
    )


def _env_file_name(model_dir: ModelDirectory) -> str:
    env = (model_dir.meta.pyfunc_conf or {}).get("env")
    if isinstance(env, dict) and env.get("virtualenv"):
        return str(env["virtualenv"])
    return PYTHON_ENV_FILE


def _strings(value: object, file: Path) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EnvironmentBuildError(f"{file}: dependencies must be a list of strings")
    return [v.strip() for v in value if v.strip()]
