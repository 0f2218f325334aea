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
from pathlib import Path
from typing import TYPE_CHECKING, Sequence
from urllib.parse import unquote, urlparse

from pyfunc_core.errors import InvalidParameterError

if TYPE_CHECKING:
    from pyfunc_core.model import CondaEnv

CONDA_DIR = "conda"
#: Where the context's ``conda/`` directory is inside the build stage.
BUILD_CONDA_DIR = "/build/conda"
_SUBDIRS = ("noarch", "linux-64", "linux-aarch64")


def check_channels(channels: Sequence[str]) -> None:
    """Refuse ``--conda-channel`` values that cannot be channels, before anything is written."""
    for channel in channels:
        if not channel.strip() or any(c.isspace() for c in channel):
            raise InvalidParameterError(f"{channel!r} is not a conda channel name or URL")
        local_channel_dir(channel)


def write_conda_files(spec: CondaEnv, channels: Sequence[str], output: Path) -> tuple[str, ...]:
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
