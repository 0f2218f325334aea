"""The Python version a model was saved with, which picks the default base image."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pyfunc_core.errors import EnvironmentBuildError

if TYPE_CHECKING:
    from pyfunc_core.model import ModelDirectory

PYTHON_ENV_FILE = "python_env.yaml"


def model_python(model_dir: ModelDirectory) -> str | None:
    """``python`` of the model's ``python_env.yaml``, else MLmodel's ``python_version``."""
    import yaml

    env = model_dir.path / PYTHON_ENV_FILE
    if env.is_file():
        try:
            data = yaml.safe_load(env.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise EnvironmentBuildError(f"{env} is not valid YAML: {str(exc).splitlines()[0]}") from None
        if isinstance(data, dict) and data.get("python"):
            return str(data["python"]).strip()
    version = model_dir.pyfunc_conf.get("python_version")
    return str(version).strip() if version else None


def major_minor(version: str) -> str:
    """``3.11`` from ``3.11.7``; a string that is not a version is refused."""
    match = re.fullmatch(r"(\d+)\.(\d+)(?:\.\d+)?\S*", version)
    if not match:
        raise EnvironmentBuildError(f"{version!r} is not a Python version (expected e.g. 3.11.7)")
    return f"{match.group(1)}.{match.group(2)}"
