"""The pyfunc distributions the host runs, and how to install the same ones elsewhere.

A model's environment needs ``pyfunc-core``, the plugin that provides the model's flavor
and (to serve) the server plugins, at the versions the host runs. A distribution that
was installed from a package index is installed into the environment as
``name==version``. One installed from a local source tree (``pip install -e core``,
recorded in its ``direct_url.json``) is not published in that state, so a wheel is built
from that source, cached under ``<env root>/.wheels`` by a fingerprint of the source's
files, and installed from the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Iterable
from urllib.parse import unquote, urlparse

from pyfunc_core.envs.base import Reporter, stderr_reporter
from pyfunc_core.envs.cache import env_root, file_lock
from pyfunc_core.envs.installer import find_uv, run_tool
from pyfunc_core.errors import EnvironmentBuildError

if TYPE_CHECKING:
    from pyfunc_core.model.mlmodel import ModelDirectory
    from pyfunc_core.plugins import Plugins

CORE = "pyfunc-core"
_SKIP_DIRS = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", ".ruff_cache", "tests"}


@dataclass(frozen=True)
class HostDistribution:
    """One distribution to install into a model's environment."""

    name: str
    version: str | None
    #: The local source tree the host installed it from, or None for an index install.
    source: Path | None = None
    #: Hash of the source tree's files (only for local sources).
    fingerprint: str | None = None

    @property
    def requirement(self) -> str:
        """The index requirement: ``name==version`` (or just ``name`` when not on the host)."""
        return f"{self.name}=={self.version}" if self.version else self.name

    @property
    def key(self) -> str:
        """What identifies this exact code: part of an environment's cache key."""
        if self.source is not None:
            return f"{self.name}=={self.version}@{self.fingerprint}"
        return self.requirement


def host_distribution(name: str) -> HostDistribution:
    """``name`` as installed on the host; an unknown name is returned unpinned."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return HostDistribution(name=name, version=None)
    source = local_source(dist)
    return HostDistribution(
        name=dist.metadata["Name"],
        version=dist.version,
        source=source,
        fingerprint=source_fingerprint(source) if source else None,
    )


def local_source(dist: metadata.Distribution) -> Path | None:
    """The source directory ``dist`` was installed from (``direct_url.json``), if any."""
    raw = dist.read_text("direct_url.json")
    if not raw:
        return None
    try:
        info = json.loads(raw)
    except ValueError:
        return None
    url = urlparse(str(info.get("url", "")))
    if url.scheme != "file" or "dir_info" not in info:
        return None
    path = Path(unquote(url.path))
    return path if (path / "pyproject.toml").is_file() or (path / "setup.py").is_file() else None


def source_fingerprint(source: Path) -> str:
    """A hash of the files of a source tree (build outputs, caches and tests excluded)."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.endswith(".egg-info"))
        for filename in sorted(filenames):
            if filename.endswith((".pyc", ".pyo")):
                continue
            file = Path(dirpath) / filename
            digest.update(str(file.relative_to(source)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def model_distributions(
    model_dir: ModelDirectory, *, plugins: Plugins | None = None, reporter: Reporter = stderr_reporter
) -> list[HostDistribution]:
    """The pyfunc distributions a model's environment needs: core, its flavor's, the servers'.

    Servers are always included, so that ``prepare-env`` builds the very environment a
    later ``serve`` uses.
    """
    from pyfunc_core.errors import MissingFlavorError
    from pyfunc_core.model.load import resolve_flavor
    from pyfunc_core.plugins import get_plugins

    plugins = plugins or get_plugins()
    names = [CORE]
    try:
        flavor = resolve_flavor(model_dir, plugins)
        names.append(plugins.distribution_of(plugins.flavors.provider(flavor.name)))
    except MissingFlavorError as exc:
        reporter(f"this host has no plugin for the model's flavor; installing {exc.distribution} unpinned")
        names.append(exc.distribution)
    for server in plugins.servers:
        names.append(plugins.distribution_of(plugins.servers.provider(server.name)))
    return [host_distribution(n) for n in _unique(names)]


def install_arguments(
    dists: Iterable[HostDistribution], *, reporter: Reporter = stderr_reporter, root: Path | None = None
) -> list[str]:
    """pip/uv install arguments for ``dists``: index requirements and local wheel paths."""
    args = []
    for dist in dists:
        if dist.source is None:
            args.append(dist.requirement)
        else:
            args.append(str(local_wheel(dist, reporter=reporter, root=root)))
    return args


def local_wheel(
    dist: HostDistribution, *, reporter: Reporter = stderr_reporter, root: Path | None = None
) -> Path:
    """A wheel of ``dist``'s local source, built once per source fingerprint."""
    if dist.source is None:
        raise ValueError(f"{dist.name} has no local source")
    wheels = (root or env_root()) / ".wheels"
    target = wheels / f"{dist.name}-{dist.version}-{dist.fingerprint}"
    found = _wheel_in(target)
    if found:
        return found
    with file_lock(
        wheels / ".locks" / f"{target.name}.lock", reporter=reporter, what=f"a wheel of {dist.name}"
    ):
        found = _wheel_in(target)
        if found:
            return found
        wheels.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=wheels))
        try:
            uv = find_uv()
            cmd = (
                [uv, "build", "--wheel", "--out-dir", str(tmp), str(dist.source)]
                if uv
                else [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp), str(dist.source)]
            )
            run_tool(cmd, reporter=reporter, what=f"building a wheel of {dist.name} from {dist.source}")
            if _wheel_in(tmp) is None:
                raise EnvironmentBuildError(f"building a wheel of {dist.name} produced no wheel")
            os.replace(tmp, target)  # wheels, unlike environments, can be built aside and renamed
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    found = _wheel_in(target)
    assert found is not None
    return found


def _wheel_in(directory: Path) -> Path | None:
    wheels = sorted(directory.glob("*.whl")) if directory.is_dir() else []
    return wheels[0] if wheels else None


def _unique(names: Iterable[str]) -> list[str]:
    from packaging.utils import canonicalize_name

    seen, out = set(), []
    for name in names:
        if canonicalize_name(name) not in seen:
            seen.add(canonicalize_name(name))
            out.append(name)
    return out


def without_distributions(requirements: Iterable[str], dists: Iterable[HostDistribution]) -> tuple[str, ...]:
    """``requirements`` minus lines naming ``dists``: those are installed from the host instead."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    ours = {canonicalize_name(d.name) for d in dists}
    kept = []
    for line in requirements:
        try:
            if canonicalize_name(Requirement(line).name) in ours:
                continue
        except InvalidRequirement:
            pass
        kept.append(line)
    return tuple(kept)
