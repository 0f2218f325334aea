"""The ``generate-dockerfile`` and ``build-docker`` sub-commands (the Docker SDK is imported in callbacks)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import click

from pyfunc_core.cli import one_line_errors
from pyfunc_docker.options import ENV_MANAGERS

if TYPE_CHECKING:
    from pyfunc_core.model import ModelDirectory
    from pyfunc_docker.options import BuildOptions

#: How the image installs the model's environment. ``local`` and ``virtualenv`` build the
#: same image: a virtualenv of the model's requirements.txt with the base image's Python
#: (accepting ``virtualenv`` keeps MLflow's command lines working). ``conda`` builds the
#: model's conda.yaml environment with py-rattler (no conda in the image).
IMAGE_ENV_MANAGERS = ENV_MANAGERS

_model_option = click.option(
    "-m", "--model", "model_path", required=True, type=click.Path(path_type=Path), help="Model directory."
)


def _build_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add the build options to a command; ``fn`` receives them as one ``options: BuildOptions``."""

    @functools.wraps(fn)
    def with_options(
        *args: Any,
        base_image: str | None,
        extra_ca_certs: tuple[Path, ...],
        pip_index_url: str | None,
        pip_config: Path | None,
        env_manager: str,
        conda_channels: tuple[str, ...],
        **kwargs: Any,
    ) -> Any:
        from pyfunc_docker.options import BuildOptions

        options = BuildOptions(
            base_image, tuple(extra_ca_certs), pip_index_url, pip_config, env_manager, tuple(conda_channels)
        )
        return fn(*args, options=options, **kwargs)

    options = [
        click.option(
            "--base-image",
            default=None,
            help="Base image with python3 (default: python:<the model's major.minor>-slim).",
        ),
        click.option(
            "--extra-ca-cert",
            "extra_ca_certs",
            multiple=True,
            type=click.Path(path_type=Path),
            help=(
                "PEM CA certificate pip (and py-rattler) trust during the build (repeatable; not "
                "kept in the image)."
            ),
        ),
        click.option("--pip-index-url", default=None, help="Package index pip uses during the build."),
        click.option(
            "--pip-config",
            default=None,
            type=click.Path(path_type=Path),
            help="pip configuration file used during the build (not kept in the image).",
        ),
        click.option(
            "--env-manager",
            default="local",
            show_default=True,
            type=click.Choice(IMAGE_ENV_MANAGERS),
            help=(
                "The image's serving environment: local and virtualenv both build a virtualenv of "
                "requirements.txt with the base image's Python; conda builds the model's conda.yaml "
                "environment (conda packages, then its pip: section) with py-rattler."
            ),
        ),
        click.option(
            "--conda-channel",
            "conda_channels",
            multiple=True,
            help=(
                "With --env-manager conda: channel to use instead of conda.yaml's (repeatable, in "
                "priority order). A local directory or file:// channel is copied into the build "
                "context, so the build needs no conda network access."
            ),
        ),
    ]
    command: Callable[..., Any] = with_options
    for option in reversed(options):
        command = option(command)
    return command


def _open(model_path: Path) -> ModelDirectory:
    from pyfunc_core.errors import ModelLoadError
    from pyfunc_core.model import ModelDirectory

    if not (model_path / "MLmodel").is_file():
        raise ModelLoadError(f"No model directory at '{model_path}' (no MLmodel file there)")
    return ModelDirectory.open(model_path)


@click.command("generate-dockerfile")
@_model_option
@click.option(
    "-d",
    "--output-directory",
    "output",
    default="mlflow-dockerfile",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Directory to write the build context to (new, empty, or an earlier context).",
)
@_build_options
@one_line_errors
def generate_dockerfile_command(model_path: Path, output: Path, options: BuildOptions) -> None:
    """Write a build context (Dockerfile, model, wheels, requirements) that `docker build` builds."""
    from pyfunc_docker.context import write_context

    context = write_context(_open(model_path), output, options)
    click.echo(f"build context written to {context.path} (base image {context.base_image})")
    click.echo(f"build it with: docker build -t IMAGE {context.path}")


@click.command("build-docker")
@_model_option
@click.option("-n", "--name", "image_name", required=True, help="Name (tag) of the image to build.")
@_build_options
@one_line_errors
def build_docker_command(model_path: Path, image_name: str, options: BuildOptions) -> None:
    """Build a serving image for a model, streaming the build's progress."""
    from pyfunc_docker.image import build_model_image

    image = build_model_image(_open(model_path), options, tag=image_name)
    click.echo(f"built image {image.tag}; run it with: docker run -p 127.0.0.1:5000:8080 {image.tag}")
