"""A ``file://`` conda channel built on the spot, for tests on machines without a conda channel.

:func:`build_local_channel` writes a channel holding two packages: ``python``, repacked
from the interpreter running this code (its ELF run paths rewritten to ``$ORIGIN``-relative
ones, so it works from any prefix), and ``pip``, converted from the pip wheel bundled with
virtualenv. py-rattler solves and installs from it like from any channel. The pyfunc-conda
and pyfunc-docker tests share it (their conftests load this file by path); it is
test code, not part of the pyfunc-conda wheel.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import sys
import tarfile
import time
import zipfile
from pathlib import Path
from typing import Any, Iterator

PY_VERSION = ".".join(map(str, sys.version_info[:3]))
PY_MINOR = ".".join(map(str, sys.version_info[:2]))
_SKIP_STDLIB = {
    "site-packages",
    "test",
    "idlelib",
    "tkinter",
    "turtledemo",
    "ensurepip",
    "__pycache__",
    "tests",
}


def _python_files(prefix: Path) -> Iterator[tuple[str, Path]]:
    """(path inside the package, file on disk) for the interpreter at ``prefix``."""
    for name in (f"python{PY_MINOR}", "python3", "python"):
        if (prefix / "bin" / name).exists():
            yield f"bin/{name}", prefix / "bin" / name
    for lib in sorted((prefix / "lib").glob("libpython3*.so*")):
        yield f"lib/{lib.name}", lib
    stdlib = prefix / "lib" / f"python{PY_MINOR}"
    for dirpath, dirnames, filenames in os.walk(stdlib):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_STDLIB and not d.startswith("config-")]
        for filename in filenames:
            file = Path(dirpath) / filename
            yield str(file.relative_to(prefix)), file


def _relocate_elf(data: bytes, package_path: str, old_lib: str) -> bytes:
    """Rewrite an absolute run path to ``$ORIGIN/<relative lib dir>`` in place (NUL padded)."""
    if not data.startswith(b"\x7fELF"):
        return data
    old = old_lib.encode() + b"\0"
    rel = os.path.relpath("lib", os.path.dirname(package_path) or ".")
    new = f"$ORIGIN/{rel}".encode() + b"\0"
    if old not in data or len(new) > len(old):
        return data
    return data.replace(old, new.ljust(len(old), b"\0"))


def _write_package(
    out: Path, index: dict[str, Any], files: list[tuple[str, Path | bytes]], old_lib: str = ""
) -> None:
    """A ``.tar.bz2`` conda package: ``info/index.json``, ``info/paths.json`` and the files."""
    paths = []
    with tarfile.open(out, "w:bz2", compresslevel=1) as tar:
        for rel, source in files:
            info = tarfile.TarInfo(rel)
            if isinstance(source, Path) and source.is_symlink():
                info.type, info.linkname = tarfile.SYMTYPE, os.readlink(source)
                tar.addfile(info)
                paths.append({"_path": rel, "path_type": "softlink"})
                continue
            data = source if isinstance(source, bytes) else source.read_bytes()
            if old_lib:
                data = _relocate_elf(data, rel, old_lib)
            info.size = len(data)
            info.mode = 0o755 if isinstance(source, Path) and os.access(source, os.X_OK) else 0o644
            tar.addfile(info, io.BytesIO(data))
            paths.append(
                {
                    "_path": rel,
                    "path_type": "hardlink",
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "size_in_bytes": len(data),
                }
            )
        meta = {
            "info/index.json": json.dumps(index, indent=2).encode(),
            "info/paths.json": json.dumps({"paths": paths, "paths_version": 1}, indent=2).encode(),
            "info/files": "\n".join(p["_path"] for p in paths).encode() + b"\n",
        }
        for name, blob in meta.items():
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))


def _index(name: str, version: str, build: str, depends: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "version": version,
        "build": build,
        "build_number": 0,
        "depends": depends,
        "subdir": "linux-64",
        "platform": "linux",
        "arch": "x86_64",
        "license": "see upstream",
        "timestamp": int(time.time() * 1000),
    }


def _pip_wheel() -> Path | None:
    try:
        from virtualenv.seed.wheels.embed import BUNDLE_FOLDER
    except ImportError:
        return None
    wheels = sorted(Path(BUNDLE_FOLDER).glob("pip-*.whl"))
    return wheels[-1] if wheels else None


def local_channel_unavailable() -> str | None:
    """Why :func:`build_local_channel` cannot work here, or None when it can."""
    if not sys.platform.startswith("linux") or os.uname().machine != "x86_64":
        return "the test channel repacks a linux-64 interpreter"
    if not list(Path(sys.base_prefix, "bin").glob(f"python{PY_MINOR}")):
        return f"no python{PY_MINOR} under {sys.base_prefix} to repack"
    if _pip_wheel() is None:
        return "no pip wheel bundled with virtualenv to convert (pip install virtualenv)"
    return None


def build_local_channel(dest: Path) -> Path:
    """Write a ``file://`` channel holding ``python`` (this interpreter) and ``pip``; return it."""
    from rattler.index import index_fs

    reason = local_channel_unavailable()
    if reason:
        raise RuntimeError(f"cannot build the test channel: {reason}")
    prefix = Path(sys.base_prefix)
    subdir = dest / "linux-64"
    subdir.mkdir(parents=True)
    (dest / "noarch").mkdir()
    python_files: list[tuple[str, Path | bytes]] = list(_python_files(prefix))
    python_files.append((f"lib/python{PY_MINOR}/site-packages/README.txt", b"site-packages\n"))
    _write_package(
        subdir / f"python-{PY_VERSION}-0_repack.tar.bz2",
        _index("python", PY_VERSION, "0_repack", []),
        python_files,
        old_lib=str(prefix / "lib"),
    )
    wheel = _pip_wheel()
    assert wheel is not None
    pip_version = wheel.name.split("-")[1]
    with zipfile.ZipFile(wheel) as zf:
        pip_files: list[tuple[str, Path | bytes]] = [
            (f"lib/python{PY_MINOR}/site-packages/{n}", zf.read(n))
            for n in zf.namelist()
            if not n.endswith("/")
        ]
    _write_package(
        subdir / f"pip-{pip_version}-0_wheel.tar.bz2",
        _index("pip", pip_version, "0_wheel", [f"python {PY_MINOR}.*"]),
        pip_files,
    )
    asyncio.run(index_fs(dest, write_zst=False, write_shards=False))
    return dest
