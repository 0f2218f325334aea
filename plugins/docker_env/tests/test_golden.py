"""The same model directory and options always give the same Dockerfile (golden files)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import pytest

UPDATE = os.environ.get("PYFUNC_DOCKER_UPDATE_GOLDEN") == "1"
CERT = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"


def _option_flags(tmp_path: Path) -> list[str]:
    cert = tmp_path / "proxy-ca.pem"
    cert.write_text(CERT)
    pip_conf = tmp_path / "pip.conf"
    pip_conf.write_text("[global]\ntimeout = 60\n")
    return [
        "--base-image", "registry.example.com/team/python3:bookworm",
        "--extra-ca-cert", str(cert),
        "--pip-index-url", "https://pypi.example.com/simple",
        "--pip-config", str(pip_conf),
    ]  # fmt: skip


def _fake_channel(path: Path) -> Path:
    """A directory that looks like a conda channel (an empty noarch index)."""
    (path / "noarch").mkdir(parents=True)
    (path / "noarch" / "repodata.json").write_text('{"info": {"subdir": "noarch"}, "packages": {}}\n')
    return path


def _conda_flags(tmp_path: Path) -> list[str]:
    cert = tmp_path / "proxy-ca.pem"
    cert.write_text(CERT)
    return [
        "--env-manager", "conda",
        "--conda-channel", _fake_channel(tmp_path / "team-channel").as_uri(),
        "--conda-channel", "https://conda.example.com/mirror/conda-forge",
        "--extra-ca-cert", str(cert),
    ]  # fmt: skip


@pytest.mark.parametrize("case", ["default", "options", "conda"])
def test_dockerfile_matches_golden(
    case: str, cli: Callable[..., Any], golden_dir: Path, tmp_path: Path
) -> None:
    flags = {"default": [], "options": _option_flags, "conda": _conda_flags}[case]
    flags = flags(tmp_path) if callable(flags) else flags
    out = tmp_path / "context"
    result = cli("generate-dockerfile", "-m", str(golden_dir / "model"), "-d", str(out), *flags)
    assert result.returncode == 0, result.stderr
    written = (out / "Dockerfile").read_text()
    golden = golden_dir / f"{case}.Dockerfile"
    if UPDATE:
        golden.write_text(written)
    assert written == golden.read_text()


def test_default_base_follows_the_models_python(
    cli: Callable[..., Any], golden_dir: Path, tmp_path: Path
) -> None:
    result = cli("generate-dockerfile", "-m", str(golden_dir / "model"), "-d", str(tmp_path / "c"))
    assert result.returncode == 0, result.stderr
    dockerfile = (tmp_path / "c" / "Dockerfile").read_text()
    assert dockerfile.count("FROM python:3.10-slim") == 2  # build stage and final stage
    assert "base image python:3.10-slim" in result.stdout


def test_context_is_self_contained_and_reproducible(
    cli: Callable[..., Any], golden_dir: Path, tmp_path: Path
) -> None:
    from pyfunc_docker.context import context_digest

    first, second = tmp_path / "one", tmp_path / "two"
    for out in (first, second):
        result = cli("generate-dockerfile", "-m", str(golden_dir / "model"), "-d", str(out))
        assert result.returncode == 0, result.stderr
    assert context_digest(first) == context_digest(second)
    lines = (first / "requirements.txt").read_text().splitlines()
    assert lines[:2] == ["scikit-learn==1.5.2", "cloudpickle==3.0.0"]
    # pyfunc-core and the plugins run from local sources here: shipped as wheels in the context.
    wheels = sorted(p.name for p in (first / "wheels").iterdir())
    for line in lines[2:]:
        assert line.startswith("./wheels/") and line.removeprefix("./wheels/") in wheels
    assert any(w.startswith("pyfunc_core-") for w in wheels)
    assert any(w.startswith("pyfunc_sklearn-") for w in wheels)
    assert any(w.startswith("pyfunc_scoring_server-") for w in wheels)
    assert (first / "model" / "MLmodel").read_text() == (golden_dir / "model" / "MLmodel").read_text()


def test_regenerating_into_an_earlier_context_replaces_it(
    cli: Callable[..., Any], golden_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ctx"
    flags = _option_flags(tmp_path)
    assert cli("generate-dockerfile", "-m", str(golden_dir / "model"), "-d", str(out), *flags).returncode == 0
    assert (out / "certs").is_dir() and (out / "pip.conf").is_file()
    result = cli("generate-dockerfile", "-m", str(golden_dir / "model"), "-d", str(out))
    assert result.returncode == 0, result.stderr
    assert not (out / "certs").exists() and not (out / "pip.conf").exists()
    assert (out / "Dockerfile").read_text() == (golden_dir / "default.Dockerfile").read_text()


def test_conda_context_holds_the_environment_and_local_channels(
    cli: Callable[..., Any], golden_dir: Path, tmp_path: Path
) -> None:
    import json

    from pyfunc_docker.context import context_digest

    flags = _conda_flags(tmp_path)
    first, second = tmp_path / "one", tmp_path / "two"
    for out in (first, second):
        result = cli("generate-dockerfile", "-m", str(golden_dir / "model"), "-d", str(out), *flags)
        assert result.returncode == 0, result.stderr
    assert context_digest(first) == context_digest(second)
    environment = json.loads((first / "conda" / "environment.json").read_text())
    assert environment == {
        "channels": ["file:///build/conda/channels/00", "https://conda.example.com/mirror/conda-forge"],
        "dependencies": ["python=3.10.14", "pip<=24.2"],
    }
    copied = first / "conda" / "channels" / "00" / "noarch" / "repodata.json"
    assert copied.read_text() == (tmp_path / "team-channel" / "noarch" / "repodata.json").read_text()
    assert (first / "conda" / "create_env.py").read_text().startswith('"""Create a conda environment')
    # conda.yaml's pip: section (-r requirements.txt) is what pip installs, then pyfunc itself.
    lines = (first / "requirements.txt").read_text().splitlines()
    assert lines[:2] == ["scikit-learn==1.5.2", "cloudpickle==3.0.0"]
    assert all(line.startswith("./wheels/") for line in lines[2:])

    # Without --conda-channel, conda.yaml's own channels are used as they are.
    out = tmp_path / "own"
    result = cli(
        "generate-dockerfile", "-m", str(golden_dir / "model"), "-d", str(out), "--env-manager", "conda"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "conda" / "environment.json").read_text())["channels"] == ["conda-forge"]
    assert not any((out / "conda" / "channels").iterdir())
    # Regenerating as a virtualenv context removes the conda part.
    result = cli("generate-dockerfile", "-m", str(golden_dir / "model"), "-d", str(out))
    assert result.returncode == 0, result.stderr
    assert not (out / "conda").exists()
