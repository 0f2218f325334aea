"""The conda part of a build context (``--env-manager conda``).

Written under ``conda/`` in the context::

    conda/environment.json   channels and conda dependencies py-rattler installs
    conda/create_env.py      the script that does it (:mod:`pyfunc_docker.conda_create`)
    conda/channels/NN/       copies of local channels (a directory or a file:// URL), which
                             the build reads as file:///build/conda/channels/NN: no network

The ``pip:`` section of ``conda.yaml`` becomes the context's ``requirements.txt``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence
from urllib.parse import unquote, urlparse

from pyfunc_core.errors import EnvironmentBuildError, InvalidParameterError

if TYPE_CHECKING:
    from pyfunc_core.model.mlmodel import ModelDirectory

CONDA_DIR = "conda"
CONDA_ENV_FILE = "conda.yaml"
#: Where the context's ``conda/`` directory is inside the build stage.
BUILD_CONDA_DIR = "/build/conda"
_SUBDIRS = ("noarch", "linux-64", "linux-aarch64")


@dataclass(frozen=True)
class CondaSpec:
    """A model's ``conda.yaml``: channels, conda dependencies and the ``pip:`` requirements."""

    channels: tuple[str, ...]
    dependencies: tuple[str, ...]
    pip: tuple[str, ...]


def read_conda_spec(model_dir: ModelDirectory) -> CondaSpec:
    """The model's conda environment file (MLmodel's ``env.conda``, else ``conda.yaml``)."""
    import yaml

    from pyfunc_core.model.requirements import expand_requirement_files

    file = model_dir.path / _env_file_name(model_dir)
    if not file.is_file():
        raise EnvironmentBuildError(
            f"Model '{model_dir.path}' has no {file.name}, so --env-manager conda has no environment to build"
        )
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise EnvironmentBuildError(f"{file} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise EnvironmentBuildError(f"{file} is not a mapping with channels and dependencies")
    channels = data.get("channels") or ["conda-forge"]
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
    if not any(_package_name(d) == "python" for d in conda):
        raise EnvironmentBuildError(
            f"{file} does not list python among its dependencies (e.g. python=3.11.7)"
        )
    return CondaSpec(tuple(c.strip() for c in channels), tuple(conda), tuple(pip))


def check_channels(channels: Sequence[str]) -> None:
    """Refuse ``--conda-channel`` values that cannot be channels, before anything is written."""
    for channel in channels:
        if not channel.strip() or any(c.isspace() for c in channel):
            raise InvalidParameterError(f"{channel!r} is not a conda channel name or URL")
        local_channel_dir(channel)


def write_conda_files(spec: CondaSpec, channels: Sequence[str], output: Path) -> tuple[str, ...]:
    """Write ``conda/`` into the context ``output``; the channels the build will use.

    ``channels`` (from ``--conda-channel``) replace the spec's own when given.
    """
    from pyfunc_docker import conda_create

    conda_dir = output / CONDA_DIR
    (conda_dir / "channels").mkdir(parents=True)
    effective = []
    for channel in channels or spec.channels:
        source = local_channel_dir(channel)
        if source is None:
            effective.append(channel)
            continue
        name = f"{len(effective):02d}"
        shutil.copytree(source, conda_dir / "channels" / name, symlinks=False)
        effective.append(f"file://{BUILD_CONDA_DIR}/channels/{name}")
    environment = {"channels": effective, "dependencies": list(spec.dependencies)}
    (conda_dir / "environment.json").write_text(json.dumps(environment, indent=2) + "\n", encoding="utf-8")
    shutil.copyfile(conda_create.__file__, conda_dir / "create_env.py")
    return tuple(effective)


def local_channel_dir(channel: str) -> Path | None:
    """The directory of a local channel (``file://`` URL or a path), or None for a name or remote URL."""
    if channel.startswith("file:"):
        path = Path(unquote(urlparse(channel).path))
    elif channel.startswith(("/", "./", "../", "~")):
        path = Path(channel).expanduser()
    else:
        return None
    if not path.is_dir():
        raise InvalidParameterError(f"conda channel {channel!r}: directory '{path}' does not exist")
    if not any((path / sub / "repodata.json").is_file() for sub in _SUBDIRS):
        raise InvalidParameterError(
            f"conda channel {channel!r}: '{path}' is not a conda channel (no <subdir>/repodata.json)"
        )
    return path


def _package_name(dep: str) -> str:
    for sep in ("=", "<", ">", "!", " ", "["):
        dep = dep.split(sep, 1)[0]
    return dep.split("::")[-1].strip().lower()


def _env_file_name(model_dir: ModelDirectory) -> str:
    env = (model_dir.meta.pyfunc_conf or {}).get("env")
    if isinstance(env, dict) and env.get("conda"):
        return str(env["conda"])
    if isinstance(env, str):  # older MLflow models: env: conda.yaml
        return env
    return CONDA_ENV_FILE
