"""Bad inputs fail with one clear line: no traceback, no hang."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest


def _one_line_error(result: Any) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    return result.stderr


def test_missing_model(cli: Callable[..., Any], tmp_path: Path) -> None:
    for command in (["generate-dockerfile", "-d", str(tmp_path / "out")], ["build-docker", "-n", "x:1"]):
        err = _one_line_error(cli(*command, "-m", str(tmp_path / "nope")))
        assert "No model directory" in err and "nope" in err


def test_output_directory_that_is_not_a_context(
    cli: Callable[..., Any], golden_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    err = _one_line_error(cli("generate-dockerfile", "-m", str(golden_dir / "model"), "-d", str(tmp_path)))
    assert "is not empty" in err
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_bad_certificate_and_pip_config(cli: Callable[..., Any], golden_dir: Path, tmp_path: Path) -> None:
    model = str(golden_dir / "model")
    err = _one_line_error(
        cli(
            "generate-dockerfile",
            "-m",
            model,
            "-d",
            str(tmp_path / "a"),
            "--extra-ca-cert",
            str(tmp_path / "x.pem"),
        )
    )
    assert "does not exist" in err
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello")
    err = _one_line_error(
        cli("generate-dockerfile", "-m", model, "-d", str(tmp_path / "b"), "--extra-ca-cert", str(not_pem))
    )
    assert "not a PEM certificate" in err
    err = _one_line_error(
        cli(
            "generate-dockerfile", "-m", model, "-d", str(tmp_path / "c"), "--pip-config", str(tmp_path / "p")
        )
    )
    assert "pip configuration file" in err


def test_unsupported_image_env_manager(cli: Callable[..., Any], golden_dir: Path) -> None:
    err = _one_line_error(
        cli("build-docker", "-m", str(golden_dir / "model"), "-n", "x:1", "--env-manager", "pixi")
    )
    assert "conda" in err and "local" in err


def test_bad_conda_inputs(cli: Callable[..., Any], golden_dir: Path, tmp_path: Path) -> None:
    import shutil

    model = str(golden_dir / "model")

    def generate(*args: str, m: str = model) -> str:
        out = tmp_path / f"out{len(list(tmp_path.iterdir()))}"
        return _one_line_error(cli("generate-dockerfile", "-m", m, "-d", str(out), *args))

    assert "--conda-channel applies only with --env-manager conda" in generate(
        "--conda-channel", "conda-forge"
    )
    err = generate("--env-manager", "conda", "--conda-channel", str(tmp_path / "missing"))
    assert "does not exist" in err and "missing" in err
    (tmp_path / "empty").mkdir()
    err = generate("--env-manager", "conda", "--conda-channel", (tmp_path / "empty").as_uri())
    assert "is not a conda channel" in err
    no_conda = tmp_path / "no-conda"
    shutil.copytree(golden_dir / "model", no_conda)
    (no_conda / "conda.yaml").unlink()
    assert "has no conda.yaml" in generate("--env-manager", "conda", m=str(no_conda))
    (no_conda / "conda.yaml").write_text("channels: [conda-forge]\ndependencies: [numpy, {pip: [six]}]\n")
    assert "does not list python" in generate("--env-manager", "conda", m=str(no_conda))
    (no_conda / "conda.yaml").write_text("dependencies: [python=3.10, [nested]]\n")
    assert "unexpected dependency entry" in generate("--env-manager", "conda", m=str(no_conda))


def test_unreachable_daemon(cli: Callable[..., Any], golden_dir: Path, tmp_path: Path) -> None:
    env = {"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}
    err = _one_line_error(cli("build-docker", "-m", str(golden_dir / "model"), "-n", "x:1", env=env))
    assert "Cannot reach a Docker daemon" in err
    err = _one_line_error(cli("serve", "-m", str(golden_dir / "model"), "--env-manager", "docker", env=env))
    assert "Cannot reach a Docker daemon" in err


@pytest.mark.slow
def test_unknown_base_image(
    cli: Callable[..., Any], docker_daemon: Any, sklearn_model: tuple[Path, Any]
) -> None:
    result = cli(
        "build-docker", "-m", str(sklearn_model[0]), "-n", "pyfunc-docker-test-never:1",
        "--base-image", "pyfunc-no-such-base-image:0", timeout=300,
    )  # fmt: skip
    err = _one_line_error(result)
    assert "Base image 'pyfunc-no-such-base-image:0' is not available locally and could not be pulled" in err


@pytest.mark.slow
def test_invalid_image_name(
    cli: Callable[..., Any], sklearn_model: tuple[Path, Any], build_flags: list[str]
) -> None:
    result = cli("build-docker", "-m", str(sklearn_model[0]), "-n", "Bad Name:1", *build_flags, timeout=300)
    err = _one_line_error(result)
    assert "invalid reference format" in err


@pytest.mark.slow
def test_uninstallable_requirement_fails_the_build_with_pips_message(
    cli: Callable[..., Any], golden_dir: Path, build_flags: list[str], tmp_path: Path
) -> None:
    import shutil

    model = tmp_path / "model"
    shutil.copytree(golden_dir / "model", model)
    (model / "requirements.txt").write_text("pyfunc-docker-no-such-distribution==1.0\n")
    result = cli(
        "build-docker", "-m", str(model), "-n", "pyfunc-docker-test-never:2", *build_flags, timeout=900
    )
    err = _one_line_error(result)
    (error,) = [line for line in err.splitlines() if line.startswith("Error: ")]
    # pip's own cause first, then the step, on one line without colour codes
    assert error.startswith(
        "Error: docker build failed: No matching distribution found for pyfunc-docker-no-such-distribution==1.0 "
        "(step "
    ), error
    assert error.endswith("exited with code 1)") and error == err.splitlines()[-1]
    assert "\x1b" not in err
