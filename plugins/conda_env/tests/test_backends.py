"""Backend selection, and the exact command lines of the conda/mamba/micromamba backends.

No conda executable exists on our machines, so the executable backends run a fake one
placed on PATH that records the command line and environment file it received.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pyfunc_conda.backends import ExecutableBackend, RattlerBackend, select_backend
from pyfunc_core.errors import EnvironmentBuildError


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("micromamba", ["create", "--yes", "--prefix", "/p/env", "--file", "/p/env.yaml"]),
        ("mamba", ["env", "create", "--yes", "--prefix", "/p/env", "--file", "/p/env.yaml"]),
        ("conda", ["env", "create", "--quiet", "--prefix", "/p/env", "--file", "/p/env.yaml"]),
    ],
)
def test_command_lines(kind, expected):
    backend = ExecutableBackend(kind, f"/opt/bin/{kind}")
    assert backend.command(Path("/p/env"), Path("/p/env.yaml")) == [f"/opt/bin/{kind}", *expected]


def _fake(bin_dir: Path, name: str, record: Path) -> Path:
    exe = bin_dir / name
    exe.write_text(
        textwrap.dedent(
            f"""\
            #!{sys.executable}
            import json, sys
            argv = sys.argv[1:]
            env_file = argv[argv.index("--file") + 1]
            json.dump({{"argv": sys.argv, "env_file": open(env_file).read()}}, open({str(record)!r}, "w"))
            print("{name}: PackagesNotFoundError: the fake channel has nothing", file=sys.stderr)
            sys.exit(3)
            """
        )
    )
    exe.chmod(0o755)
    return exe


def test_selection(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("PYFUNC_CONDA_EXE", raising=False)
    monkeypatch.delenv("PYFUNC_CONDA_BACKEND", raising=False)
    assert isinstance(select_backend(), RattlerBackend)
    for kind in ("conda", "mamba", "micromamba"):
        _fake(tmp_path, kind, tmp_path / "rec.json")
        chosen = select_backend()
        assert isinstance(chosen, ExecutableBackend) and chosen.name == kind
    assert select_backend("conda").name == "conda"
    assert isinstance(select_backend("rattler"), RattlerBackend)
    with pytest.raises(EnvironmentBuildError, match="not a conda backend"):
        select_backend("pip")
    monkeypatch.setenv("PYFUNC_CONDA_EXE", str(tmp_path / "mamba"))
    assert select_backend().name == "mamba"
    monkeypatch.setenv("PYFUNC_CONDA_EXE", str(tmp_path / "missing"))
    with pytest.raises(EnvironmentBuildError, match="does not exist"):
        select_backend()


def test_named_backend_missing_from_path_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("PYFUNC_CONDA_EXE", raising=False)
    with pytest.raises(EnvironmentBuildError, match="micromamba is not on PATH"):
        select_backend("micromamba")


@pytest.mark.slow
def test_executable_backend_runs_its_command_through_prepare_env(tmp_path, conda_model):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "record.json"
    exe = _fake(bin_dir, "micromamba", record)
    root = tmp_path / "envs"
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(bin_dir), os.environ["PATH"]]),
        "PYFUNC_CORE_ENV_ROOT": str(root),
    }
    env.pop("PYFUNC_CONDA_BACKEND", None)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pyfunc_core",
            "prepare-env",
            "-m",
            str(conda_model),
            "--env-manager",
            "conda",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 1
    assert "PackagesNotFoundError: the fake channel has nothing" in out.stderr
    assert "Traceback" not in out.stderr
    seen = json.loads(record.read_text())
    (prefix,) = [a for a in seen["argv"] if a.startswith(str(root))][:1]
    assert seen["argv"][:5] == [str(exe), "create", "--yes", "--prefix", prefix]
    assert seen["argv"][5] == "--file"
    assert "pip:" not in seen["env_file"]  # the pip section is installed by pyfunc-conda itself
    assert "python=" in seen["env_file"] and "file://" in seen["env_file"]
    assert [p for p in root.iterdir() if not p.name.startswith(".")] == []
    assert not Path(seen["argv"][6]).exists()  # the temporary environment file is removed
