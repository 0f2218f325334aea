"""Writing a self-contained build context: Dockerfile, model, wheels, requirements.

Layout of the context directory::

    Dockerfile
    requirements.txt   what pip installs: the model's requirements (with ``--env-manager
                       conda``: the ``pip:`` section of its conda.yaml), then the pyfunc
                       distributions as ``./wheels/<file>`` (no public index has them)
    wheels/            those wheels: built from the host's local source tree, else rebuilt
                       from the host's installed files (see :func:`distribution_wheel`)
    model/             a copy of the model directory
    certs/             extra CA certificates (only with --extra-ca-cert)
    pip.conf           (only with --pip-config)
    conda/             (only with --env-manager conda) see :mod:`pyfunc_docker.conda_context`

File modes are normalised (0644, 0755 for executables and directories), so a model
copied from a private directory is still readable by the image's non-root user.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyfunc_core.envs import Reporter, stderr_reporter
from pyfunc_core.errors import EnvironmentBuildError, InvalidParameterError
from pyfunc_core.model import read_conda_env
from pyfunc_docker.conda_context import check_channels, write_conda_files
from pyfunc_docker.dockerfile import HEADER, DockerfileSpec, render_dockerfile
from pyfunc_docker.options import ENV_MANAGERS, BuildOptions
from pyfunc_docker.python_version import major_minor, model_python

if TYPE_CHECKING:
    from pyfunc_core.envs import HostDistribution
    from pyfunc_core.model import ModelDirectory

#: What a context holds; a directory holding anything else is not overwritten.
MANAGED = ("Dockerfile", "requirements.txt", "wheels", "model", "certs", "pip.conf", "conda")
_IGNORED_IN_MODEL = shutil.ignore_patterns("__pycache__", "*.pyc")


@dataclass(frozen=True)
class BuildContext:
    """A written build context and what went into it."""

    path: Path
    base_image: str
    requirements: tuple[str, ...]
    digest: str


def default_base_image(python: str) -> str:
    return f"python:{major_minor(python)}-slim"


def dockerfile_spec(model_dir: ModelDirectory, options: BuildOptions) -> DockerfileSpec:
    """The Dockerfile's inputs for this model and these options."""
    python = model_python(model_dir)
    if options.base_image is None and python is None:
        raise EnvironmentBuildError(
            f"Model '{model_dir.path}' records no Python version (python_env.yaml or MLmodel "
            "python_version), so the default base image python:<version>-slim is unknown: pass --base-image"
        )
    base = options.base_image or default_base_image(python)  # type: ignore[arg-type]
    return DockerfileSpec(
        base_image=base,
        model_python=major_minor(python) if python else None,
        check_python=options.base_image is not None and options.env_manager != "conda",
        extra_ca_certs=bool(options.extra_ca_certs),
        pip_config=options.pip_config is not None,
        pip_index_url=options.pip_index_url,
        conda=options.env_manager == "conda",
    )


def write_context(
    model_dir: ModelDirectory,
    output: Path,
    options: BuildOptions,
    *,
    reporter: Reporter = stderr_reporter,
) -> BuildContext:
    """Write the build context for ``model_dir`` into ``output`` (new, empty, or an earlier context)."""
    from pyfunc_core.envs import model_distributions, without_distributions

    _check_inputs(options)
    spec = dockerfile_spec(model_dir, options)
    conda = read_conda_env(model_dir) if spec.conda else None
    _prepare_output(output)
    dists = model_distributions(model_dir, reporter=reporter)
    if conda is not None:
        channels = write_conda_files(conda, options.conda_channels, output)
        reporter(f"conda environment: {', '.join(conda.dependencies)} from {', '.join(channels)}")
    model_requirements = conda.pip if conda is not None else model_dir.requirements()
    requirements = list(without_distributions(model_requirements, dists))
    (output / "wheels").mkdir()
    for dist in dists:
        wheel = distribution_wheel(dist, output / "wheels", reporter=reporter)
        requirements.append(f"./wheels/{wheel.name}" if wheel else dist.requirement)
    (output / "requirements.txt").write_text("\n".join(requirements) + "\n", encoding="utf-8")
    shutil.copytree(model_dir.path, output / "model", ignore=_IGNORED_IN_MODEL, symlinks=False)
    if options.extra_ca_certs:
        (output / "certs").mkdir()
        for i, cert in enumerate(options.extra_ca_certs):
            shutil.copyfile(cert, output / "certs" / f"extra-{i:02d}.pem")
    if options.pip_config is not None:
        shutil.copyfile(options.pip_config, output / "pip.conf")
    (output / "Dockerfile").write_text(render_dockerfile(spec), encoding="utf-8")
    _normalise_modes(output)
    return BuildContext(output, spec.base_image, tuple(requirements), context_digest(output))


def distribution_wheel(
    dist: HostDistribution, wheels: Path, *, reporter: Reporter = stderr_reporter
) -> Path | None:
    """Put a wheel of the host's ``dist`` into ``wheels``; None when the image installs it by name.

    The build sees neither the host's pip configuration nor its find-links, and our
    distributions are on no public index, so the host's own code is shipped: a wheel built
    from its local source tree, else one rebuilt from its installed files. Only a
    distribution the host lacks, or a platform-specific one it installed from an index (its
    host wheel may not fit the image's Python), is installed by ``name[==version]``.
    """
    from pyfunc_core.envs import local_wheel, pure_python, rebuild_wheel

    if dist.source is not None:
        built = local_wheel(dist, reporter=reporter)
        shutil.copyfile(built, wheels / built.name)
        return wheels / built.name
    if dist.version is None or (not dist.direct and not pure_python(dist.name)):
        return None
    try:
        return rebuild_wheel(dist.name, wheels, reporter=reporter)
    except EnvironmentBuildError as exc:
        if dist.direct:
            raise
        reporter(f"{exc}; the image installs {dist.requirement} from the index")
        return None


def context_digest(path: Path) -> str:
    """A hash of every file's relative path, mode and bytes: the image's cache key."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames.sort()
        for name in sorted(filenames):
            file = Path(dirpath) / name
            digest.update(str(file.relative_to(path)).encode() + b"\0")
            digest.update(oct(file.stat().st_mode & 0o777).encode() + b"\0")
            digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def _check_inputs(options: BuildOptions) -> None:
    if options.env_manager not in ENV_MANAGERS:
        raise InvalidParameterError(
            f"{options.env_manager!r} is not an image environment manager: use {', '.join(ENV_MANAGERS)}"
        )
    if options.conda_channels and options.env_manager != "conda":
        raise InvalidParameterError("--conda-channel applies only with --env-manager conda")
    check_channels(options.conda_channels)
    for cert in options.extra_ca_certs:
        if not cert.is_file():
            raise InvalidParameterError(f"CA certificate file '{cert}' does not exist")
        if b"-----BEGIN CERTIFICATE-----" not in cert.read_bytes():
            raise InvalidParameterError(f"'{cert}' is not a PEM certificate file (no BEGIN CERTIFICATE line)")
    if options.pip_config is not None and not options.pip_config.is_file():
        raise InvalidParameterError(f"pip configuration file '{options.pip_config}' does not exist")
    if options.base_image is not None and (
        not options.base_image.strip() or any(c.isspace() for c in options.base_image)
    ):
        raise InvalidParameterError(f"{options.base_image!r} is not an image reference")


def _prepare_output(output: Path) -> None:
    if output.exists() and not output.is_dir():
        raise InvalidParameterError(f"Output '{output}' exists and is not a directory")
    if output.is_dir() and any(output.iterdir()):
        dockerfile = output / "Dockerfile"
        ours = dockerfile.is_file() and dockerfile.read_text(encoding="utf-8", errors="replace").startswith(
            HEADER
        )
        extra = sorted(p.name for p in output.iterdir() if p.name not in MANAGED)
        if not ours or extra:
            raise InvalidParameterError(
                f"Output directory '{output}' is not empty and is not a build context written by "
                "pyfunc-docker: choose a new or empty directory"
            )
        for name in MANAGED:
            target = output / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    output.mkdir(parents=True, exist_ok=True)


def _normalise_modes(root: Path) -> None:
    for dirpath, _dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            file = Path(dirpath) / name
            executable = file.stat().st_mode & stat.S_IXUSR
            os.chmod(file, 0o755 if executable else 0o644)
