"""A host that installed the pyfunc distributions from wheel files, since deleted: the context ships them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

OURS = ("pyfunc-core", "pyfunc-sklearn", "pyfunc-scoring-server", "pyfunc-docker")


def _pip(*args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", *args],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def wheel_host(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site directory holding our distributions installed from wheel files that are gone now."""
    from pyfunc_core.envs import host_distribution, local_wheel

    root = tmp_path_factory.mktemp("wheel-host")
    download = root / "download"
    download.mkdir()
    for name in OURS:  # wheels of this checkout, as a user would download them
        built = local_wheel(host_distribution(name), reporter=lambda _line: None, root=root / "envs")
        (download / built.name).write_bytes(built.read_bytes())
    _pip("--target", str(root / "site"), *map(str, sorted(download.iterdir())))
    for wheel in download.iterdir():
        wheel.unlink()
    return root / "site"


def test_context_of_a_wheel_installed_host_needs_no_index_for_our_code(
    wheel_host: Path, golden_dir: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": str(wheel_host)}
    check = subprocess.run(
        [sys.executable, "-c", "import pyfunc_core, pyfunc_docker; print(pyfunc_core.__file__, pyfunc_docker.__file__)"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert check.stdout.split() and all(p.startswith(str(wheel_host)) for p in check.stdout.split()), check
    context = tmp_path / "context"
    result = subprocess.run(
        [sys.executable, "-m", "pyfunc_core", "generate-dockerfile", "-m", str(golden_dir / "model"),
         "-d", str(context)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]

    lines = (context / "requirements.txt").read_text().splitlines()
    assert lines[:2] == ["scikit-learn==1.5.2", "cloudpickle==3.0.0"]
    assert not [line for line in lines if line.startswith("pyfunc")]  # nothing pinned that no index has
    wheels = {line.removeprefix("./wheels/") for line in lines[2:]}
    assert wheels == {p.name for p in (context / "wheels").iterdir()}
    for prefix in ("pyfunc_core-0.1.0-", "pyfunc_sklearn-", "pyfunc_scoring_server-"):
        assert any(w.startswith(prefix) for w in wheels), wheels

    # The shipped wheels install with no index at all, and hold the host's installed code.
    _pip("--target", str(tmp_path / "image-site"), *(str(context / "wheels" / w) for w in sorted(wheels)))
    core_wheel = next(context / "wheels" / w for w in wheels if w.startswith("pyfunc_core-"))
    names = zipfile.ZipFile(core_wheel).namelist()
    assert "pyfunc_core/cli/serve_cmd.py" in names
    assert not any(n.endswith(("direct_url.json", "INSTALLER")) for n in names)
    shipped = (tmp_path / "image-site" / "pyfunc_core" / "cli" / "serve_cmd.py").read_bytes()
    assert shipped == (wheel_host / "pyfunc_core" / "cli" / "serve_cmd.py").read_bytes()


def test_regenerating_gives_the_same_context(wheel_host: Path, golden_dir: Path, tmp_path: Path) -> None:
    from pyfunc_docker.context import context_digest

    env = {**os.environ, "PYTHONPATH": str(wheel_host)}
    digests: list[Any] = []
    for out in ("one", "two"):
        result = subprocess.run(
            [sys.executable, "-m", "pyfunc_core", "generate-dockerfile", "-m", str(golden_dir / "model"),
             "-d", str(tmp_path / out)],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        digests.append(context_digest(tmp_path / out))
    assert digests[0] == digests[1]  # rebuilt wheels are byte-identical: `serve` reuses its image
