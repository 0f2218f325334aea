"""What a user may choose about an image build, beyond the model itself."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: Environment variables that ``serve --env-manager docker`` reads (it has no build options).
BASE_IMAGE_VAR = "PYFUNC_DOCKER_BASE_IMAGE"
EXTRA_CA_CERTS_VAR = "PYFUNC_DOCKER_EXTRA_CA_CERTS"
PIP_INDEX_URL_VAR = "PYFUNC_DOCKER_PIP_INDEX_URL"
PIP_CONFIG_VAR = "PYFUNC_DOCKER_PIP_CONFIG"
#: How an image may hold the model's environment (``virtualenv`` builds what ``local`` does).
ENV_MANAGERS = ("local", "virtualenv", "conda")


@dataclass(frozen=True)
class BuildOptions:
    """Choices about the image: its base, its environment, and how the build reaches indexes.

    ``base_image`` None means ``python:<the model's major.minor>-slim``.
    ``env_manager`` ``conda`` serves from the model's conda.yaml environment (created with
    py-rattler from ``conda_channels`` when given, else from conda.yaml's channels); ``local``
    and ``virtualenv`` from a virtualenv of its requirements.txt.
    ``extra_ca_certs`` are PEM files trusted by pip during the build (a TLS-intercepting
    proxy's CA); ``pip_index_url`` and ``pip_config`` point pip at another index. None of
    them reaches the final image.
    """

    base_image: str | None = None
    extra_ca_certs: tuple[Path, ...] = ()
    pip_index_url: str | None = None
    pip_config: Path | None = None
    env_manager: str = "local"
    conda_channels: tuple[str, ...] = ()

    @classmethod
    def from_environment(cls) -> BuildOptions:
        """Options from ``PYFUNC_DOCKER_*`` variables (CA certificates separated by ``os.pathsep``)."""
        certs = os.environ.get(EXTRA_CA_CERTS_VAR, "")
        config = os.environ.get(PIP_CONFIG_VAR)
        return cls(
            base_image=os.environ.get(BASE_IMAGE_VAR) or None,
            extra_ca_certs=tuple(Path(p) for p in certs.split(os.pathsep) if p),
            pip_index_url=os.environ.get(PIP_INDEX_URL_VAR) or None,
            pip_config=Path(config) if config else None,
        )
