"""Fixtures for real conda environments without a reachable conda channel.

``local_channel`` builds a ``file://`` conda channel at test time: a ``python`` package
repacked from the interpreter that runs the tests (its ELF run paths rewritten to
``$ORIGIN``-relative ones, so it works from any prefix) and a ``pip`` package converted
from pip's wheel. py-rattler solves and installs from it like from any channel.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import textwrap
import time
import zipfile
from pathlib import Path
from typing import Callable, Iterator

import pytest

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


def _write_package(out: Path, index: dict, files: list[tuple[str, Path | bytes]], old_lib: str = "") -> None:
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


def _index(name: str, version: str, build: str, depends: list[str]) -> dict:
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


def _pip_wheel() -> Path:
    from virtualenv.seed.wheels.embed import BUNDLE_FOLDER

    wheels = sorted(Path(BUNDLE_FOLDER).glob("pip-*.whl"))
    if not wheels:
        pytest.skip("no pip wheel bundled with virtualenv to convert")
    return wheels[-1]


def build_local_channel(dest: Path) -> Path:
    """Write a ``file://`` channel holding ``python`` (this interpreter) and ``pip``; return it."""
    from rattler.index import index_fs

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


@pytest.fixture(scope="session")
def local_channel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not sys.platform.startswith("linux") or os.uname().machine != "x86_64":
        pytest.skip("the test channel repacks a linux-64 interpreter")
    if not list(Path(sys.base_prefix, "bin").glob(f"python{PY_MINOR}")):
        pytest.skip(f"no python{PY_MINOR} under {sys.base_prefix} to repack")
    return build_local_channel(tmp_path_factory.mktemp("channel"))


SIX_MODEL_SCRIPT = textwrap.dedent(
    """
    import sys
    import cloudpickle
    from pyfunc_core.python_model import PythonModel
    from pyfunc_core.python_model.flavor import save_model

    class SixVersion(PythonModel):
        def predict(self, context, model_input, params=None):
            import six
            return [six.__version__] * len(model_input)

    save_model(sys.argv[1], SixVersion(), pip_requirements=sys.argv[2:])
    """
)


def save_conda_model(path: Path, channel: Path, *pip: str, conda: tuple[str, ...] = ()) -> Path:
    """A PythonModel answering ``six.__version__``, whose conda.yaml uses ``channel``."""
    import cloudpickle
    import yaml

    subprocess.run([sys.executable, "-c", SIX_MODEL_SCRIPT, str(path), *pip], check=True, timeout=120)
    env = {
        "name": "pyfunc-env",
        "channels": [channel.as_uri()],
        "dependencies": [
            f"python={PY_VERSION}",
            "pip",
            *conda,
            {"pip": [*pip, f"cloudpickle=={cloudpickle.__version__}"]},
        ],
    }
    (path / "conda.yaml").write_text(yaml.safe_dump(env, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def conda_model(tmp_path_factory: pytest.TempPathFactory, local_channel: Path) -> Path:
    return save_conda_model(tmp_path_factory.mktemp("models") / "six", local_channel, "six==1.16.0")


@pytest.fixture
def make_conda_model(local_channel: Path) -> Callable[..., Path]:
    return lambda path, *pip, conda=(): save_conda_model(path, local_channel, *pip, conda=conda)


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m pyfunc_core ARGS`` with the cache at ``root`` and the py-rattler backend."""

    def run(
        root: Path, *args: str, extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYFUNC_CORE_ENV_ROOT": str(root), "PYFUNC_CONDA_BACKEND": "rattler"}
        return subprocess.run(
            [sys.executable, "-m", "pyfunc_core", *args],
            env={**env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=900,
        )

    return run
