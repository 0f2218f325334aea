"""The pyfunc distributions the host runs, and how to install the same ones elsewhere.

A model's environment needs ``pyfunc-core``, the plugin that provides the model's flavor
and (to serve) the server plugins, at the versions the host runs. A distribution that
was installed from a package index is installed into the environment as
``name==version``. One installed from a local source tree (``pip install -e core``,
recorded in its ``direct_url.json``) is not published in that state, so a wheel is built
from that source, cached under ``<env root>/.wheels`` by a fingerprint of the source's
files, and installed from the file. One installed from a wheel file, a URL, or a source
tree that no longer exists is not known to any index either: a wheel is rebuilt from its
installed files (``RECORD``) by :func:`rebuild_wheel`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import zipfile
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
    #: Hash of the source tree's files (local sources), or of the installed ``RECORD`` (direct installs).
    fingerprint: str | None = None
    #: Installed from a wheel or sdist file, a URL, or a source tree that is gone (PEP 610
    #: ``direct_url.json``): no index is known to have it, so it is installed from a wheel
    #: rebuilt from the host's installed files.
    direct: bool = False

    @property
    def requirement(self) -> str:
        """The index requirement: ``name==version`` (or just ``name`` when not on the host)."""
        return f"{self.name}=={self.version}" if self.version else self.name

    @property
    def key(self) -> str:
        """What identifies this exact code: part of an environment's cache key."""
        if self.fingerprint is not None:
            return f"{self.name}=={self.version}@{self.fingerprint}"
        return self.requirement


def host_distribution(name: str) -> HostDistribution:
    """``name`` as installed on the host; an unknown name is returned unpinned."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return HostDistribution(name=name, version=None)
    name = dist.metadata["Name"]
    source = local_source(dist)
    if source is not None:
        return HostDistribution(name, dist.version, source=source, fingerprint=source_fingerprint(source))
    info = _direct_url(dist)
    if info is None:
        return HostDistribution(name, dist.version)
    if (info.get("dir_info") or {}).get("editable"):
        # An editable install's files are only a pointer to the source tree that is gone.
        raise EnvironmentBuildError(
            f"{name} {dist.version} is installed in editable mode from {info.get('url')}, which no "
            f"longer exists: reinstall {name}"
        )
    record = dist.read_text("RECORD") or ""
    return HostDistribution(
        name, dist.version, fingerprint=hashlib.sha256(record.encode()).hexdigest()[:16], direct=True
    )


def _direct_url(dist: metadata.Distribution) -> dict | None:
    """``direct_url.json`` (PEP 610): present when ``dist`` was not installed from an index."""
    raw = dist.read_text("direct_url.json")
    if not raw:
        return None
    try:
        info = json.loads(raw)
    except ValueError:
        return {}
    return info if isinstance(info, dict) else {}


def local_source(dist: metadata.Distribution) -> Path | None:
    """The source directory ``dist`` was installed from (``direct_url.json``), if it still exists."""
    info = _direct_url(dist)
    if not info:
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
        if dist.source is not None:
            args.append(str(local_wheel(dist, reporter=reporter, root=root)))
        elif dist.direct:
            target = (root or env_root()) / ".wheels" / f"{dist.name}-{dist.version}-{dist.fingerprint}"
            args.append(str(rebuild_wheel(dist.name, target, reporter=reporter)))
        else:
            args.append(dist.requirement)
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


#: Files of an installed ``.dist-info`` that record the installation, not the distribution.
_INSTALL_RECORDS = {"INSTALLER", "REQUESTED", "direct_url.json", "RECORD", "RECORD.jws", "RECORD.p7s"}
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def rebuild_wheel(name: str, out_dir: Path, *, reporter: Reporter = stderr_reporter) -> Path:
    """A wheel of the installed distribution ``name``, rebuilt from the files its ``RECORD`` lists.

    For code that no index has and whose source is not at hand (installed from a wheel file,
    maybe deleted since, or from a source tree that is gone). The files under the
    installation root and the ``.dist-info`` (less pip's installation records) go in; byte
    code is left out, and so are files installed elsewhere: console scripts are written again
    from ``entry_points.txt`` by the installer. Same installed files, same bytes.
    """
    dist = metadata.distribution(name)
    label = f"{name} {dist.version}"
    files = list(dist.files or ())
    info_dirs = {f.parts[0] for f in files if len(f.parts) == 2 and f.parts[0].endswith(".dist-info")}
    if len(info_dirs) != 1:
        raise EnvironmentBuildError(f"{label} has no RECORD of its installed files to rebuild a wheel from")
    info_dir = info_dirs.pop()
    tags = _wheel_tags(dist.read_text("WHEEL") or "")
    if tags is None:
        raise EnvironmentBuildError(f"{label} has no WHEEL tags in {info_dir}: cannot rebuild a wheel of it")
    scripts = {ep.name for ep in dist.entry_points if ep.group in ("console_scripts", "gui_scripts")}
    entries, left_out = [], []
    for file in files:
        parts = file.parts
        if parts[0] == "..":
            if Path(*parts).stem not in scripts:
                left_out.append(file.as_posix())
            continue
        if "__pycache__" in parts or file.suffix in (".pyc", ".pyo"):
            continue
        if parts[0] == info_dir and len(parts) == 2 and parts[1] in _INSTALL_RECORDS:
            continue
        path = Path(str(dist.locate_file(file)))
        if not path.is_file():
            raise EnvironmentBuildError(f"{label} is incomplete ({path} is missing): reinstall it")
        entries.append((file.as_posix(), path))
    if left_out:
        reporter(
            f"{label}: left out of its rebuilt wheel (installed outside site-packages): {', '.join(left_out)}"
        )
    # Package files first, the .dist-info last, RECORD at the very end (as wheel builders do).
    entries.sort(key=lambda entry: (entry[0].startswith(f"{info_dir}/"), entry[0]))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{info_dir.removesuffix('.dist-info')}-{tags}.whl"
    tmp = out_dir / f".{target.name}.{os.getpid()}.tmp"
    try:
        record = []
        with zipfile.ZipFile(tmp, "w") as archive:
            for arcname, path in entries:
                data = path.read_bytes()
                _add_to_zip(archive, arcname, data, executable=bool(path.stat().st_mode & 0o111))
                digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
                record.append(f"{arcname},sha256={digest},{len(data)}")
            record.append(f"{info_dir}/RECORD,,")
            _add_to_zip(archive, f"{info_dir}/RECORD", ("\n".join(record) + "\n").encode(), executable=False)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def pure_python(name: str) -> bool:
    """True when the installed ``name`` is a pure-Python wheel (``Root-Is-Purelib``, ``*-none-any``)."""
    try:
        text = metadata.distribution(name).read_text("WHEEL") or ""
    except metadata.PackageNotFoundError:
        return False
    tags = _wheel_tags(text)
    purelib = re.search(r"^Root-Is-Purelib:\s*true\s*$", text, re.MULTILINE | re.IGNORECASE)
    return bool(purelib) and tags is not None and tags.endswith("-none-any")


def _wheel_tags(wheel_metadata: str) -> str | None:
    """``py3-none-any`` (components dot-joined, PEP 425 style) from a WHEEL file's ``Tag:`` lines."""
    tags = re.findall(r"^Tag:\s*(\S+)-(\S+)-(\S+)\s*$", wheel_metadata, re.MULTILINE)
    if not tags:
        return None
    return "-".join(".".join(dict.fromkeys(part[i] for part in tags)) for i in range(3))


def _add_to_zip(archive: zipfile.ZipFile, arcname: str, data: bytes, *, executable: bool) -> None:
    info = zipfile.ZipInfo(arcname, date_time=_ZIP_EPOCH)
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


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
